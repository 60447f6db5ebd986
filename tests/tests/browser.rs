//! The pages in a real browser: headless Chromium (Debian's `chromium`) driven by the scripts
//! in `tests/browser/` with `playwright-core`:
//! - `notifications.mjs`: an agent posts notifications with its own token (one a title full of
//!   markup, some with action URLs); the script signs in, checks what the inbox shows and
//!   marks all read, which the test then checks through the API;
//! - `first_run.mjs`: a fresh taosd, front door → setup page → inbox, where notifications sent
//!   through the API while it is open appear without a reload (local times, priority colours);
//! - `api_page.mjs`: the API page opened at `localhost` and at `127.0.0.1`, on the port the
//!   test server got (never the contract's default 6969): "Try it out" and "Authorize" work.
//!
//! Built as `#[ignore]` unless `TAOS_BROWSER_TESTS=1` was set at build time (see build.rs):
//! `tests/run-all.sh` installs chromium and `npm ci`s `tests/browser`, then sets it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use taos_conformance::people::{ADMIN, PASSWORD};
use taos_conformance::*;

/// How long the whole browser run may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

const XSS_TITLE: &str = "<img src=x onerror=\"document.title='pwned'\">";
const NEWEST_TITLE: &str = "Deploy finished";

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(browser_tests),
    ignore = "TAOS_BROWSER_TESTS not set at build time: the browser test did not run: chromium / \
              playwright-core not installed (tests/run-all.sh installs them)"
)]
async fn notifications_page_in_chromium() {
    let s = Server::start_sqlite().await;
    s.run_case(notifications_page_case(&s)).await;
    s.stop().await;
}

async fn notifications_page_case(s: &Server) {
    // Before anything is made: a missing browser says so first.
    preflight();

    let admin = s.setup_admin().await;
    let client = s.client(&admin.token);
    create_agent(&client, "Deploy Bot").await;
    let agent = issue_agent_token_with(&client, "deploy-bot", json!({"scope": ["ui.notify"]}))
        .await
        .token;

    let notify = |body: serde_json::Value| {
        let req = s.post("/api/ui/notify").bearer(&agent).json(&body);
        async move { req.send().await }
    };

    notify(json!({"title": XSS_TITLE, "body": "<script>document.title='pwned'</script>"}))
        .await
        .expect_status(200);

    // Action URLs: the API takes the safe ones; the unsafe ones it refuses, so they are written
    // to the database as if an older server had stored them, to prove the page's own rule.
    let links = [
        ("Link to the web", "https://example.com/x"),
        ("Link on this site", "/notifications"),
    ];
    for (title, url) in links {
        notify(json!({"title": title, "action_url": url}))
            .await
            .expect_status(200);
    }
    let texts = [
        ("Script URL", "javascript:alert(1)"),
        ("Data URL", "data:text/html,<script>alert(1)</script>"),
        ("Other host", "//evil.example"),
        ("Spaced script URL", " javascript:alert(1)"),
    ];
    for (title, url) in texts {
        let refused = notify(json!({"title": title, "action_url": url})).await;
        assert!(
            refused.status().is_client_error(),
            "the API refuses action_url {url:?} (got {})",
            refused.status()
        );
        notify(json!({"title": title, "action_url": "/notifications"}))
            .await
            .expect_status(200);
        let changed = s
            .sql_execute(
                "UPDATE notifications SET action_url = $1 WHERE title = $2",
                &[url, title],
            )
            .await;
        assert_eq!(changed, 1, "{title}");
    }

    notify(json!({"title": NEWEST_TITLE, "body": "v1.4.2 is live.", "app_origin": "deployer"}))
        .await
        .expect_status(200);
    let count = 2 + links.len() + texts.len();

    let expect = json!({
        "count": count,
        "newest_title": NEWEST_TITLE,
        "agent_source": "agent:deploy-bot",
        "xss_title": XSS_TITLE,
        "links": links.iter().map(|(t, u)| json!({"title": t, "href": u})).collect::<Vec<_>>(),
        "texts": texts.iter().map(|(t, u)| json!({"title": t, "text": u.trim()})).collect::<Vec<_>>(),
    });
    run_script(
        "notifications.mjs",
        &[
            ("TAOS_URL", s.url().to_string()),
            ("TAOS_USERNAME", ADMIN.to_string()),
            ("TAOS_PASSWORD", PASSWORD.to_string()),
            ("TAOS_EXPECT", expect.to_string()),
        ],
    )
    .await;

    // The button really marked them read, as the API sees it.
    let all = client.list_notifications().send().await.value();
    assert_eq!(all.items.len(), count);
    assert!(
        all.items.iter().all(|n| n.read),
        "every notification is read after \"Mark all read\" in the browser"
    );
    assert_eq!(all.items[0].title, NEWEST_TITLE);
    assert_eq!(all.items[0].source, "agent:deploy-bot");
}

fn preflight() -> String {
    let chromium = std::env::var("TAOS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "{chromium} is missing: install Debian's chromium (apt-get install -y chromium), as \
         tests/run-all.sh does"
    );
    assert!(
        browser_dir()
            .join("node_modules/playwright-core/package.json")
            .is_file(),
        "playwright-core is not installed: run `npm ci` in {}, as tests/run-all.sh does",
        browser_dir().display()
    );
    chromium
}

/// Runs `node tests/browser/<script>` with `env`; fails the test with its output unless it
/// exits 0.
async fn run_script(script: &str, env: &[(&str, String)]) {
    let chromium = preflight();
    let path = browser_dir().join(script);
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(&path)
        .current_dir(browser_dir())
        .env("TAOS_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(BROWSER_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "node {} did not finish within {BROWSER_TIMEOUT:?}",
                path.display()
            )
        })
        .unwrap_or_else(|e| panic!("cannot run node {}: {e}", path.display()));
    let report = format!(
        "--- node {} ({}) ---\n{}{}",
        path.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(out.status.success(), "the browser checks failed:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(browser_tests),
    ignore = "TAOS_BROWSER_TESTS not set at build time: the browser test did not run: chromium / \
              playwright-core not installed (tests/run-all.sh installs them)"
)]
async fn first_run_in_chromium() {
    let s = Server::start_sqlite().await;
    s.run_case(first_run_case(&s)).await;
    s.stop().await;
}

async fn first_run_case(s: &Server) {
    let status = s.get("/auth/status").send().await.expect_json(200);
    assert_eq!(status["configured"], false, "a fresh server: {status}");
    run_script(
        "first_run.mjs",
        &[
            ("TAOS_URL", s.url()),
            ("TAOS_USERNAME", "ada".into()),
            ("TAOS_PASSWORD", PASSWORD.into()),
        ],
    )
    .await;
    // The admin the page made is a real one, and the inbox's button marked both read.
    let token = s.user_token("ada", PASSWORD, None).await;
    let users = s.get("/api/users").bearer(&token).send().await.expect_json(200);
    assert_eq!(users["items"][0]["admin"], true, "{users}");
    let all = s.client(&token).list_notifications().send().await.value();
    assert_eq!(all.items.len(), 2);
    assert!(all.items.iter().all(|n| n.read));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(browser_tests),
    ignore = "TAOS_BROWSER_TESTS not set at build time: the browser test did not run: chromium / \
              playwright-core not installed (tests/run-all.sh installs them)"
)]
async fn api_page_in_chromium_from_two_host_names() {
    let s = Server::start_sqlite().await;
    s.run_case(api_page_case(&s)).await;
    s.stop().await;
}

async fn api_page_case(s: &Server) {
    let admin = s.setup_admin().await;
    let port = s
        .url()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("the server's port");
    assert_ne!(
        port, 6969,
        "the page must work away from the contract's default port"
    );
    let origins = [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ];
    run_script(
        "api_page.mjs",
        &[
            ("TAOS_ORIGINS", origins.join(",")),
            ("TAOS_TOKEN", admin.token.clone()),
            ("TAOS_USERNAME", ADMIN.into()),
        ],
    )
    .await;
}
