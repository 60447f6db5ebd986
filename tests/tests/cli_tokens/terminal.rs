//! On a terminal (under util-linux `script`): revoke asks first, create asks for the password.

use taos_conformance::people::PASSWORD;
use taos_conformance::taosctl::Terminal as Ctl;
use taos_conformance::*;

use super::{new_token, works};

e2e!(on_a_terminal_it_asks);
/// On a terminal, `tokens revoke` asks first (no: nothing revoked; yes: revoked, with the
/// warning when it is the token in use) and `tokens create` asks for the password unechoed.
async fn on_a_terminal_it_asks(s: &Server) {
    let admin = s.setup_admin().await;
    let victim = new_token(s, &admin.username, "old-laptop", None).await;
    let id = victim.id.to_string();
    let ctl = Ctl::with_token(s, &admin.token);

    let no = ctl.run_on_tty(&["auth", "tokens", "revoke", &id], "n\n").await;
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(
        no.stdout.contains(&format!("Revoke personal token {id}?")) && no.stdout.contains("cancelled"),
        "{}",
        no.stdout
    );
    assert!(works(s, &victim.token).await, "answering no revokes nothing");

    let yes = ctl.run_on_tty(&["auth", "tokens", "revoke", &id], "y\n").await;
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(
        yes.stdout.contains(&format!("token revoked: {id}")),
        "{}",
        yes.stdout
    );
    assert!(!works(s, &victim.token).await);

    // The token in use: the question says so before anything happens.
    let mine = admin.token.clone();
    let mine_id = s
        .client(&mine)
        .whoami()
        .send()
        .await
        .value()
        .token_id
        .expect("id");
    let asked = ctl
        .run_on_tty(&["auth", "tokens", "revoke", &mine_id.to_string()], "n\n")
        .await;
    assert_eq!(asked.code, 1, "{}", asked.stdout);
    assert!(asked.stdout.contains("taosctl is using"), "{}", asked.stdout);
    assert!(works(s, &mine).await);

    // The password typed at the prompt (whether the terminal echoes it depends on when `script`
    // passes the keystrokes on, so that is not checked here); the token printed.
    let created = ctl
        .run_on_tty(
            &["auth", "tokens", "create", "--label", "typed"],
            &format!("{PASSWORD}\n"),
        )
        .await;
    assert_eq!(created.code, 0, "{}", created.stdout);
    assert!(created.stdout.contains("Password:"), "{}", created.stdout);
    let token = created
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("taos_user_"))
        .unwrap_or_else(|| panic!("a token: {}", created.stdout));
    let me = s.client(token).whoami().send().await.value();
    assert_eq!(me.username, admin.username);
}
