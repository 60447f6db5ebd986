//! Search answers kept by query, on a SQLite file: the same search asked again while the
//! database has not changed is answered from memory instead of being ranked, sectioned and
//! snippeted again (about 2.4 M instructions a search on the docs; docs/benchmarks.md).
//!
//! Correct across re-ingest and replicas: an answer is kept with the generation it was
//! computed in, and only an answer of the current generation is served. The generation moves
//! on whenever any read connection sees that the file changed since that connection last
//! looked: SQLite's `PRAGMA data_version`, which changes on the commits of every other
//! connection, those of this process (ingest, all writes go through the pool) and of any other
//! process on the file alike. Each connection looks before every search and remembers what it
//! saw on the connection itself (`sqlite3_set_clientdata`), so the memory goes when the
//! connection does; a connection that has never looked moves the generation on, since
//! commits may have come before it opened. So any commit at all, not only to the knowledge
//! tables, empties the cache: coarse, but it needs no schema of its own and cannot miss a
//! change.
//!
//! Why an answer is never stale: the generation is read after the connection has looked,
//! and the search's snapshot starts after that, so an answer kept under generation `g`
//! includes every commit whose sighting moved the generation to `g` or before; and a search
//! that finds it has looked itself just before, so a commit it could see would have moved
//! the generation past `g`.
//!
//! Bounded: at most [`MAX_ENTRIES`] answers and [`MAX_BYTES`] of their text; past either,
//! the answers of old generations go first, then all of them. PostgreSQL searches are not
//! kept: replicas there share no change signal this could read without a schema of its own.

use std::collections::HashMap;
use std::ffi::{CStr, c_void};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, ffi};

use super::{KnowledgeFilter, KnowledgeHit};

/// Answers kept at most.
pub(super) const MAX_ENTRIES: usize = 256;
/// Text (and fixed size) of the answers kept, at most: 256 answers of 10 hits are about 1 MB.
pub(super) const MAX_BYTES: usize = 4 << 20;

/// Moves on at every change a read connection sees; starts above what `store` hands out.
/// Each database file's generation (a process normally has one; tests have many, and one
/// file's commits must not move another's on).
static GENERATIONS: Mutex<Option<HashMap<std::path::PathBuf, u64>>> = Mutex::new(None);

fn generations() -> std::sync::MutexGuard<'static, Option<HashMap<std::path::PathBuf, u64>>> {
    GENERATIONS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The generation answers to searches of `file` are kept under now.
pub(super) fn current(file: &std::path::Path) -> u64 {
    generations()
        .as_ref()
        .and_then(|g| g.get(file).copied())
        .unwrap_or(1)
}

fn bump(file: &std::path::Path) {
    let mut g = generations();
    let n = g
        .get_or_insert_with(HashMap::new)
        .entry(file.to_owned())
        .or_insert(1);
    *n += 1;
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// What a search is: the file it reads, its words (as given), its filter and its limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub file: std::path::PathBuf,
    pub words: Vec<String>,
    pub filter: (Option<String>, Option<String>),
    pub limit: i64,
}

impl Key {
    pub(super) fn new(file: &std::path::Path, words: &[String], filter: &KnowledgeFilter, limit: i64) -> Key {
        Key {
            file: file.to_owned(),
            words: words.to_vec(),
            filter: (filter.category.clone(), filter.source_id.clone()),
            limit,
        }
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Key>()
            + self.file.as_os_str().len()
            + self.words.iter().map(|w| w.len() + 24).sum::<usize>()
            + self.filter.0.as_ref().map_or(0, String::len)
            + self.filter.1.as_ref().map_or(0, String::len)
    }
}

struct Entry {
    generation: u64,
    hits: Arc<Vec<KnowledgeHit>>,
    bytes: usize,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, Entry>,
    bytes: usize,
}

/// The name the last `data_version` seen is kept under, on each connection.
const SEEN: &CStr = c"taos_knowledge_data_version";

unsafe extern "C" fn free_seen(p: *mut c_void) {
    // SAFETY: the pointer is the `Box<i64>` `observe` handed to `sqlite3_set_clientdata`.
    drop(unsafe { Box::from_raw(p.cast::<i64>()) });
}

/// Looks whether the file changed since this connection last looked (moving the generation on
/// if so), and answers the generation to keep or find a search's answer under. Called on the
/// connection the search runs on, before it.
pub(super) fn observe(conn: &Connection, file: &std::path::Path) -> rusqlite::Result<u64> {
    let now: i64 = conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?;
    // SAFETY: `handle` is the open connection `conn` owns, used from this thread only (the
    // read connections are per thread); the client data under `SEEN` is only ever a
    // `Box<i64>` set here, freed by SQLite with `free_seen` when replaced or closed.
    unsafe {
        let db = conn.handle();
        let seen = ffi::sqlite3_get_clientdata(db, SEEN.as_ptr()).cast::<i64>();
        if seen.is_null() || *seen != now {
            // Before the value is recorded: a failure to record leaves the next search to
            // move the generation on again, never to skip it.
            bump(file);
            if seen.is_null() {
                let boxed = Box::into_raw(Box::new(now)).cast::<c_void>();
                if ffi::sqlite3_set_clientdata(db, SEEN.as_ptr(), boxed, Some(free_seen)) != ffi::SQLITE_OK {
                    // SQLite has called the destructor on failure already.
                    return Ok(current(file));
                }
            } else {
                *seen = now;
            }
        }
    }
    Ok(current(file))
}

/// The answer kept for `key` in `generation`, if any.
pub(super) fn get(key: &Key, generation: u64) -> Option<Arc<Vec<KnowledgeHit>>> {
    let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = cache.as_ref()?.entries.get(key)?;
    (entry.generation == generation).then(|| entry.hits.clone())
}

/// Keeps `hits` as the answer to `key` in `generation`, within the bounds.
pub(super) fn put(key: Key, generation: u64, hits: Arc<Vec<KnowledgeHit>>) {
    let bytes = key.bytes() + hits.iter().map(hit_bytes).sum::<usize>();
    if bytes > MAX_BYTES / 8 {
        return;
    }
    let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let cache = guard.get_or_insert_with(Cache::default);
    if let Some(old) = cache.entries.remove(&key) {
        cache.bytes -= old.bytes;
    }
    if cache.entries.len() >= MAX_ENTRIES || cache.bytes + bytes > MAX_BYTES {
        cache.entries.retain(|k, e| e.generation == current(&k.file));
        cache.bytes = cache.entries.values().map(|e| e.bytes).sum();
        if cache.entries.len() >= MAX_ENTRIES || cache.bytes + bytes > MAX_BYTES {
            cache.entries.clear();
            cache.bytes = 0;
        }
    }
    cache.bytes += bytes;
    cache.entries.insert(
        key,
        Entry {
            generation,
            hits,
            bytes,
        },
    );
}

fn hit_bytes(h: &KnowledgeHit) -> usize {
    std::mem::size_of::<KnowledgeHit>()
        + h.source_id.len()
        + h.source_url.len()
        + h.category.len()
        + h.title.len()
        + h.doc_url.as_ref().map_or(0, String::len)
        + h.section.as_ref().map_or(0, String::len)
        + h.anchor.as_ref().map_or(0, String::len)
        + h.snippet.len()
}

/// How many answers are kept and their size: for the tests of the bounds.
#[cfg(test)]
pub(super) fn size() -> (usize, usize) {
    let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache.as_ref().map_or((0, 0), |c| (c.entries.len(), c.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::knowledge::tests::{DEADLINE, doc, words};

    async fn store_with(text: &str) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/taos.db", dir.path().display()))
            .await
            .unwrap();
        store
            .sync_knowledge_source("s", "agent-docs", &[doc("a.md", "A", text)], |_| false)
            .await
            .unwrap();
        (dir, store)
    }

    async fn snippets(store: &Store, ws: &[&str]) -> Vec<String> {
        store
            .search_knowledge(&words(ws), &KnowledgeFilter::default(), 10, DEADLINE)
            .await
            .unwrap()
            .expect("in time")
            .into_iter()
            .map(|h| h.snippet)
            .collect()
    }

    /// Whether the cache holds an answer for this search that a search now would be served.
    fn kept(store: &Store, ws: &[&str]) -> bool {
        let reads = store.reads.as_ref().expect("a file");
        let key = Key::new(reads.path(), &words(ws), &KnowledgeFilter::default(), 10);
        // The generation as it is (observing from this thread's own connection, which never
        // looked, would move it on).
        get(&key, current(reads.path())).is_some()
    }

    /// A search asked again is answered from the cache, and a re-ingest that changes the
    /// text is seen by the next search (the cache does not answer it).
    #[tokio::test]
    async fn a_reingest_is_seen_at_once() {
        let (_dir, store) = store_with("Revoke the token before noon.").await;
        let first = snippets(&store, &["revoke", "token"]).await;
        assert_eq!(first, ["[Revoke] the [token] before noon."]);
        assert!(kept(&store, &["revoke", "token"]), "the answer is kept");
        assert_eq!(snippets(&store, &["revoke", "token"]).await, first);
        store
            .sync_knowledge_source(
                "s",
                "agent-docs",
                &[doc("a.md", "A", "Revoke the token after noon.")],
                |_| false,
            )
            .await
            .unwrap();
        assert_eq!(
            snippets(&store, &["revoke", "token"]).await,
            ["[Revoke] the [token] after noon."]
        );
    }

    /// A change committed by another process on the file (here a connection of its own, as a
    /// replica's or a `sqlite3` shell's would be) is seen by the next search too, on every
    /// thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_writer_is_seen() {
        let (dir, store) = store_with("Revoke the token before noon.").await;
        for _ in 0..4 {
            assert_eq!(
                snippets(&store, &["token"]).await,
                ["Revoke the [token] before noon."]
            );
        }
        let mut other = Connection::open(dir.path().join("taos.db")).unwrap();
        let rewrite = |other: &mut Connection, text: &str| {
            let txn = other.transaction().unwrap();
            txn.execute("UPDATE knowledge_items SET content = ?1, summary = ?1", [text])
                .unwrap();
            txn.execute("UPDATE knowledge_sections SET content = ?1", [text])
                .unwrap();
            txn.commit().unwrap();
        };
        rewrite(&mut other, "Revoke the token at dusk.");
        for _ in 0..4 {
            assert_eq!(
                snippets(&store, &["token"]).await,
                ["Revoke the [token] at dusk."]
            );
        }
        assert!(
            snippets(&store, &["noon"]).await.is_empty(),
            "the old text is gone"
        );
        rewrite(&mut other, "Nothing here.");
        assert!(snippets(&store, &["token"]).await.is_empty(), "the word is gone");
    }

    /// However many different searches come, the cache holds at most its bounds.
    #[test]
    fn the_cache_is_bounded() {
        let hit = KnowledgeHit {
            id: uuid::Uuid::nil(),
            source_id: "s".into(),
            source_url: "a.md".into(),
            category: "agent-docs".into(),
            title: "A".into(),
            doc_url: None,
            section: None,
            anchor: None,
            snippet: "x".repeat(2000),
            score: 1.0,
        };
        let hits = Arc::new(vec![hit; 10]);
        let generation = current(std::path::Path::new("/bounded"));
        for n in 0..(MAX_ENTRIES * 3) {
            let key = Key::new(
                std::path::Path::new("/bounded"),
                &[format!("w{n}")],
                &KnowledgeFilter::default(),
                10,
            );
            put(key, generation, hits.clone());
            let (entries, bytes) = size();
            assert!(entries <= MAX_ENTRIES, "{entries} answers kept");
            assert!(bytes <= MAX_BYTES, "{bytes} bytes kept");
        }
        // One answer too large to keep is not kept.
        let huge = Arc::new(
            vec![hits[0].clone(); 50]
                .into_iter()
                .map(|mut h| {
                    h.snippet = "y".repeat(20_000);
                    h
                })
                .collect::<Vec<_>>(),
        );
        let key = Key::new(
            std::path::Path::new("/bounded"),
            &words(&["huge"]),
            &KnowledgeFilter::default(),
            50,
        );
        put(key.clone(), generation, huge);
        assert!(get(&key, generation).is_none());
    }
}
