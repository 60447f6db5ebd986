//! The notifications page in a real browser: headless Chromium (Debian's `chromium`) driven by
//! `tests/browser/notifications.mjs` with `playwright-core`. This test starts taosd, has an
//! agent post notifications with its own token (one a title full of markup, some with action
//! URLs), runs the script, and checks through the API that "Mark all read" really marked them.
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
    let script = browser_dir().join("notifications.mjs");
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(&script)
        .current_dir(browser_dir())
        .env("TAOS_URL", s.url())
        .env("TAOS_USERNAME", ADMIN)
        .env("TAOS_PASSWORD", PASSWORD)
        .env("TAOS_EXPECT", expect.to_string())
        .env("TAOS_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(BROWSER_TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "node {} did not finish within {BROWSER_TIMEOUT:?}",
                script.display()
            )
        })
        .unwrap_or_else(|e| panic!("cannot run node {}: {e}", script.display()));
    let report = format!(
        "--- node {} ({}) ---\n{}{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(out.status.success(), "the browser checks failed:\n{report}");

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
