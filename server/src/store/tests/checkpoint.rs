//! The WAL of a SQLite file is checkpointed by the store's own thread, not by commits.

use super::*;

/// A few small commits stay far below the pool's autocheckpoint threshold, so only the
/// checkpoint thread can have copied them from the WAL into the database file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wal_is_checkpointed_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taos.db");
    let s = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    // Let the thread take in the migrations' pages first.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let before = std::fs::metadata(&file).unwrap().len();
    let u = user(&s, "quinn").await;
    for i in 0..200 {
        let note = NewNotification {
            user_id: u.id,
            title: format!("note {i}"),
            message: "x".repeat(500),
            level: "normal".to_owned(),
            source: "user:quinn".to_owned(),
            app_origin: None,
            action_url: None,
        };
        s.notify_user(note).await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = std::fs::metadata(&file).unwrap().len();
        if now > before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the database file did not grow from the WAL within 10 s ({before} bytes)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
