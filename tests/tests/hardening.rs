//! Small hardening promises of issue 9 (A9) that a client or an operator sees: what taosd
//! writes in its log (no password of the database URL, request ids quoted, no colour codes in
//! a pipe), which request ids it keeps, and the `Idempotency-Key` charset.

use serde_json::json;
use taos_conformance::*;

/// How long a log line may take to reach the harness's copy of taosd's stderr.
const LOG_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Restarts `s` with `TAOS_LOG=filter`, so the lines the cases look at are written.
async fn restart_logging(s: &Server, filter: &str) {
    s.set_env("TAOS_LOG", filter);
    s.restart().await;
}

e2e!(no_colour_codes_when_stderr_is_not_a_terminal);
/// The harness reads taosd's stderr through a pipe, as a log file or journald would: the
/// lines are plain text, without ANSI escape codes.
async fn no_colour_codes_when_stderr_is_not_a_terminal(s: &Server) {
    restart_logging(s, "info").await;
    s.get("/api/no-such-route").send().await.expect_status(404);
    let Some(log) = s.stderr_once_it_holds("taosd ready", LOG_WAIT).await else {
        panic!("the info lines were not logged:\n{}", s.stderr());
    };
    assert!(!log.contains('\u{1b}'), "escape codes in a piped log:\n{log:?}");
}

/// The `x-request-id` taosd answered `sent` with.
async fn request_id_for(s: &Server, sent: &[u8]) -> String {
    let resp = s
        .get("/api/health")
        .header("x-request-id", sent)
        .send()
        .await
        .expect_status(200);
    resp.header("x-request-id")
        .expect("every answer carries x-request-id")
        .to_string()
}

e2e!(request_ids_are_kept_only_when_short_and_plain);
/// A client's `x-request-id` of 1 to 128 characters of `A-Z a-z 0-9 . _ : -` is echoed; one
/// with spaces, quotes, `=`, a TAB, non-ASCII bytes, or longer, is replaced by a fresh UUID.
/// The log quotes the id.
async fn request_ids_are_kept_only_when_short_and_plain(s: &Server) {
    let max = "a".repeat(128);
    for good in [
        "0b6f3c2e-8d4a-4f7e-9a51-2c7d9e0f1a23",
        "trace:1.2_x-Y",
        max.as_str(),
    ] {
        assert_eq!(request_id_for(s, good.as_bytes()).await, good);
    }
    let too_long = "a".repeat(129);
    let bad: [&[u8]; 6] = [
        b"two words",
        b"forged\" level=ERROR",
        b"a=b",
        b"tab\there",
        "caf\u{e9}".as_bytes(),
        too_long.as_bytes(),
    ];
    for sent in bad {
        let got = request_id_for(s, sent).await;
        assert!(
            uuid::Uuid::parse_str(&got).is_ok(),
            "{:?} came back as {got:?}, not a fresh id",
            String::from_utf8_lossy(sent)
        );
    }
    // Two ids in one request: neither is trusted.
    let resp = s
        .get("/api/health")
        .header("x-request-id", "first")
        .header("x-request-id", "second")
        .send()
        .await
        .expect_status(200);
    let got = resp.header("x-request-id").unwrap_or_default();
    assert!(uuid::Uuid::parse_str(got).is_ok(), "two ids came back as {got:?}");

    restart_logging(s, "info,tower_http=debug").await;
    request_id_for(s, b"quoted-id.7").await;
    if s.stderr_once_it_holds("request_id=\"quoted-id.7\"", LOG_WAIT)
        .await
        .is_none()
    {
        panic!("the request id is not logged quoted:\n{}", s.stderr());
    }
}

e2e!(an_idempotency_key_with_a_tab_is_refused);
/// `Idempotency-Key` takes visible ASCII only: one with a TAB inside is the documented 422
/// `invalid_parameter` naming the header, and nothing is created; a space is still fine.
async fn an_idempotency_key_with_a_tab_is_refused(s: &Server) {
    let admin = s.setup_admin().await;
    for path in ["/api/agents", "/api/agents/import"] {
        let body = if path == "/api/agents" {
            json!({"name": "Tabbed"})
        } else {
            json!({"version": 1, "agent": {"name": "tabbed", "display_name": "Tabbed"}})
        };
        let refused = s
            .post(path)
            .bearer(&admin.token)
            .header("idempotency-key", b"key\twith-tab")
            .json(&body)
            .send()
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(refused.body["parameter"], "Idempotency-Key", "{}", refused.body);
        assert_eq!(refused.body["location"], "header", "{}", refused.body);
    }
    assert_eq!(agents_listed(&s.client(&admin.token)).await, 0);
    s.post("/api/agents")
        .bearer(&admin.token)
        .header("idempotency-key", "key with-space")
        .json(&json!({"name": "Spaced"}))
        .send()
        .await
        .expect_json(201);
}

e2e!(postgres_only: database_passwords_stay_out_of_the_log);
/// A password in `TAOS_DATABASE_URL`, as `user:password@` or as `?password=`, is never written
/// to the log (PostgreSQL of the suite trusts local connections, so taosd starts with either).
async fn database_passwords_stay_out_of_the_log(s: &Server) {
    let url = match s.backend() {
        Backend::Postgres { url, .. } => url.clone(),
        other => panic!("a PostgreSQL case on {other:?}"),
    };
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (user, host_and_db) = rest.split_once('@').expect("user@host in the test URL");
    let in_userinfo = format!(
        "{scheme}://{}:secret@{host_and_db}",
        user.split(':').next().unwrap_or(user)
    );
    let in_query = format!("{url}?sslmode=prefer&password=secret");
    for with_password in [in_userinfo, in_query] {
        s.set_env("TAOS_DATABASE_URL", &with_password);
        restart_logging(s, "debug,tokio=info,runtime=info").await;
        s.get("/api/health").send().await.expect_status(200);
    }
    s.setup_admin().await;
    let Some(log) = s.stderr_once_it_holds("***", LOG_WAIT).await else {
        panic!("taosd did not log its (redacted) database URL:\n{}", s.stderr());
    };
    assert!(
        !log.contains("secret"),
        "a database password reached the log:\n{log}"
    );
}
