//! `taosctl users list|create|delete` and `taosctl agents permissions` end to end: the real
//! binary against a real taosd (SQLite and PostgreSQL), each run with its own empty config
//! directory; every effect is checked through the API, not through taosctl's own word.

use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

mod manage;
mod permissions;

/// The people of the server, through the API (`GET /api/users`, one page of 200).
async fn users(s: &Server, admin: &Person) -> types::UserList {
    s.client(&admin.token)
        .list_users()
        .limit(std::num::NonZeroU64::new(200).expect("200"))
        .send()
        .await
        .value()
}

sqlite_e2e!(every_new_command_has_an_example);
async fn every_new_command_has_an_example(s: &Server) {
    let ctl = Ctl::new(s);
    ctl.assert_examples(&[
        &["users", "list"],
        &["users", "create"],
        &["users", "delete"],
        &["agents", "permissions"],
    ])
    .await;
    let top = ctl.run(&["--help"], None).await.ok();
    assert!(top.stdout.contains("users"), "{}", top.stdout);
}
