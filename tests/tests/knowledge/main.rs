//! The knowledge store: the embedded docs ingested as `taos-core`, apps' guides from
//! `TAOS_GUIDES_DIR` as `app:<slug>`, list / get / search over them, and the helper agent's
//! system prompt.

use std::num::NonZeroU64;
use std::path::Path;

use taos_conformance::*;

mod access;
mod filters;
mod ingest;
mod prompt;
mod search;
mod sections;

/// The first `# ` heading outside code fences, else the file name.
fn title_of(path: &str, text: &str) -> String {
    let mut fence = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        } else if !fence
            && let Some(rest) = t.strip_prefix("# ")
            && !rest.trim().is_empty()
        {
            return rest.trim().to_string();
        }
    }
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn nz(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).expect("non-zero")
}

/// Every item of a list, following cursors `page` items at a time.
async fn list_all(
    client: &taos_client::Client,
    category: Option<&str>,
    source_id: Option<&str>,
    page: u64,
) -> Vec<types::KnowledgeItemSummary> {
    let mut all = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let mut req = client.list_knowledge_items().limit(nz(page));
        if let Some(c) = category {
            req = req.category(c);
        }
        if let Some(s) = source_id {
            req = req.source_id(s);
        }
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let got = req.send().await.value();
        assert!(
            got.items.len() as u64 <= page,
            "a page holds at most `limit` items"
        );
        all.extend(got.items);
        cursor = got.next_cursor;
        if cursor.is_none() {
            return all;
        }
    }
    panic!("paging did not end");
}

async fn get_item(client: &taos_client::Client, id: uuid::Uuid) -> types::KnowledgeItem {
    client.get_knowledge_item().id(id).send().await.value()
}

async fn search(
    client: &taos_client::Client,
    q: &str,
    category: Option<&str>,
    source_id: Option<&str>,
) -> types::KnowledgeSearchResults {
    let mut req = client.search_knowledge().q(q).limit(nz(50));
    if let Some(c) = category {
        req = req.category(c);
    }
    if let Some(s) = source_id {
        req = req.source_id(s);
    }
    req.send().await.value()
}

/// A guides directory: `notes/` with two guides (one nested) and `weather/` with one.
fn guides_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(notes.join("howto")).unwrap();
    std::fs::write(
        notes.join("README.md"),
        "# Notes app\n\nThe notes app keeps the user's quick notes. Agents add a note with the notes API.\n",
    )
    .unwrap();
    std::fs::write(
        notes.join("howto/tagging.md"),
        "Tag notes with #words to find them later.\n",
    )
    .unwrap();
    let weather = dir.path().join("weather");
    std::fs::create_dir_all(&weather).unwrap();
    std::fs::write(
        weather.join("barometer.md"),
        "# Barometer calibration\n\nCalibrate the barometer once a month against the airport reading.\n",
    )
    .unwrap();
    std::fs::write(
        weather.join("station.md"),
        "# Weather station\n\nThe station has a thermometer, a rain gauge and two barometers; \
         each barometer reports every minute.\n",
    )
    .unwrap();
    dir
}

async fn use_guides(s: &Server, dir: &Path) {
    // Once taosd has answered a request it is serving, and so handles SIGTERM gracefully.
    s.get("/api/health").send().await;
    s.set_env("TAOS_GUIDES_DIR", dir.to_str().expect("UTF-8 temp path"));
    s.restart().await;
}
