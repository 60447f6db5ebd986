//! `taos_bm25()`: FTS5's own `bm25()` (sqlite3.c, `fts5Bm25Function`, SQLite 3.51), the same
//! arithmetic in the same order, so the same doubles, with one cost taken out: how many rows
//! hold each word (the inverse document frequency), which `bm25()` finds by running every
//! phrase of the query as a query of its own over the whole table, once per statement and
//! table (`xQueryPhrase`: about 0.15 M of the 2.1 M instructions of a search, callgrind).
//!
//! Those counts depend on the word and on the table's rows only, not on the query the word is
//! in, so they are kept per word while the database has not changed: keyed by the file, the
//! answer cache's generation (`cache`, moved on by any commit) and, read in the statement's
//! own snapshot, the table's row and token totals. A count is only looked up while a search
//! says which word each phrase is (`Words`, set by the search around its statement: phrase
//! `i` of both of its queries is word `i`); anywhere else, or when the phrases are not the
//! words one for one (a word the tokenizer reads as no token is no phrase), it is counted
//! as `bm25()` counts it.
//!
//! Each row's length in tokens is kept the same way: `bm25()` reads it from the `_docsize`
//! table with a statement of its own, row after row (0.13 M a search).
//!
//! `taos_bm25(table, 'name', w0, w1, …)`: `name` tells the tables apart in the keys, the
//! weights are `bm25()`'s. Registered with `taos_snippet` (`fts5_snippet::register`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::ffi;

/// The SQL name of the function.
pub(in crate::store) const NAME: &str = "taos_bm25";
pub(super) const NAME_C: &CStr = c"taos_bm25";

/// Counts kept at most; past that they are all dropped (a search needs a few).
const MAX_COUNTS: usize = 4096;

#[derive(PartialEq, Eq, Hash)]
struct CountKey {
    file: PathBuf,
    generation: u64,
    table: Vec<u8>,
    rows: i64,
    tokens: i64,
    word: String,
}

static COUNTS: Mutex<Option<HashMap<CountKey, i64>>> = Mutex::new(None);

/// A table as one generation's statements see it (the same key as a count's, without the word).
#[derive(PartialEq, Eq, Hash)]
struct TableKey {
    file: PathBuf,
    generation: u64,
    table: Vec<u8>,
    rows: i64,
    tokens: i64,
}

/// Each row's length in tokens (`xColumnSize(-1)`, a statement on the `_docsize` table each
/// time: about as much as the rest of the function), kept like the counts.
type Sizes = Arc<Mutex<HashMap<i64, c_int>>>;

static SIZES: Mutex<Option<HashMap<TableKey, Sizes>>> = Mutex::new(None);

/// Tables (in their generations) whose sizes are kept at most, and rows of each.
const MAX_TABLES: usize = 16;
const MAX_ROWS: usize = 1 << 16;

fn sizes_of(key: TableKey) -> Sizes {
    let mut all = SIZES.lock().unwrap_or_else(PoisonError::into_inner);
    let all = all.get_or_insert_with(HashMap::new);
    if !all.contains_key(&key) && all.len() >= MAX_TABLES {
        all.clear();
    }
    all.entry(key).or_default().clone()
}

/// The search running on this thread: its file, generation and words.
struct Words {
    file: PathBuf,
    generation: u64,
    words: Vec<String>,
}

thread_local! {
    static WORDS: RefCell<Option<Words>> = const { RefCell::new(None) };
}

/// Runs `f` (the search's statement) with phrase `i` of its queries known as `words[i]`.
pub(super) fn with_words<T>(file: &Path, generation: u64, words: &[String], f: impl FnOnce() -> T) -> T {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            WORDS.with(|w| w.borrow_mut().take());
        }
    }
    WORDS.with(|w| {
        *w.borrow_mut() = Some(Words {
            file: file.to_owned(),
            generation,
            words: words.to_vec(),
        })
    });
    let _clear = Clear;
    f()
}

macro_rules! call {
    ($api:expr, $f:ident ( $($arg:expr),* )) => {
        match $api.$f {
            // SAFETY: an extension API function, called with the context FTS5 gave us.
            Some(f) => unsafe { f($($arg),*) },
            None => ffi::SQLITE_MISUSE,
        }
    };
}

/// `Fts5Bm25Data`: what is computed once a statement.
struct Data {
    avgdl: f64,
    idf: Vec<f64>,
    freq: Vec<f64>,
    /// Inside a search only.
    sizes: Option<Sizes>,
}

unsafe extern "C" fn free_data(p: *mut c_void) {
    // SAFETY: `p` is the `Box<Data>` `data` handed to `xSetAuxdata`.
    drop(unsafe { Box::from_raw(p.cast::<Data>()) });
}

unsafe extern "C" fn count_row(
    _api: *const ffi::Fts5ExtensionApi,
    _fts: *mut ffi::Fts5Context,
    n: *mut c_void,
) -> c_int {
    // SAFETY: `n` is the `i64` `data` passed to `xQueryPhrase`, alive for the call.
    unsafe { *n.cast::<i64>() += 1 };
    ffi::SQLITE_OK
}

/// `fts5Bm25GetData`.
fn data(api: &ffi::Fts5ExtensionApi, fts: *mut ffi::Fts5Context, table: &[u8]) -> Result<*mut Data, c_int> {
    let get = api.xGetAuxdata.ok_or(ffi::SQLITE_MISUSE)?;
    // SAFETY: an extension API function, called with the context FTS5 gave us.
    let p = unsafe { get(fts, 0) };
    if !p.is_null() {
        return Ok(p.cast::<Data>());
    }
    let n_phrase = call!(api, xPhraseCount(fts)).max(0) as usize;
    let (mut n_row, mut n_token): (i64, i64) = (0, 0);
    rc(call!(api, xRowCount(fts, &mut n_row)))?;
    rc(call!(api, xColumnTotalSize(fts, -1, &mut n_token)))?;
    let mut d = Data {
        avgdl: n_token as f64 / n_row as f64,
        idf: vec![0.0; n_phrase],
        freq: vec![0.0; n_phrase],
        sizes: WORDS.with(|w| {
            w.borrow().as_ref().map(|w| {
                sizes_of(TableKey {
                    file: w.file.clone(),
                    generation: w.generation,
                    table: table.to_vec(),
                    rows: n_row,
                    tokens: n_token,
                })
            })
        }),
    };
    let words = WORDS.with(|w| {
        w.borrow()
            .as_ref()
            .filter(|w| w.words.len() == n_phrase)
            .map(|w| (w.file.clone(), w.generation, w.words.clone()))
    });
    for i in 0..n_phrase {
        let key = words.as_ref().map(|(file, generation, words)| CountKey {
            file: file.clone(),
            generation: *generation,
            table: table.to_vec(),
            rows: n_row,
            tokens: n_token,
            word: words[i].clone(),
        });
        let kept = key.as_ref().and_then(|k| {
            let counts = COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
            counts.as_ref().and_then(|c| c.get(k).copied())
        });
        let n_hit = match kept {
            Some(n) => n,
            None => {
                let mut n: i64 = 0;
                rc(call!(
                    api,
                    xQueryPhrase(
                        fts,
                        i as c_int,
                        (&mut n as *mut i64).cast::<c_void>(),
                        Some(count_row)
                    )
                ))?;
                if let Some(k) = key {
                    let mut counts = COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
                    let counts = counts.get_or_insert_with(HashMap::new);
                    if counts.len() >= MAX_COUNTS {
                        counts.clear();
                    }
                    counts.insert(k, n);
                }
                n
            }
        };
        let mut idf = (((n_row - n_hit) as f64 + 0.5) / (n_hit as f64 + 0.5)).ln();
        if idf <= 0.0 {
            idf = 1e-6;
        }
        d.idf[i] = idf;
    }
    let p = Box::into_raw(Box::new(d));
    // On failure SQLite has called `free_data` already.
    rc(call!(api, xSetAuxdata(fts, p.cast::<c_void>(), Some(free_data))))?;
    Ok(p)
}

fn rc(rc: c_int) -> Result<(), c_int> {
    if rc == ffi::SQLITE_OK { Ok(()) } else { Err(rc) }
}

/// `fts5Bm25Function` on the current row; `weights` are the arguments after the name.
fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    table: &[u8],
    weights: &[*mut ffi::sqlite3_value],
) -> Result<f64, c_int> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    // SAFETY: `data` hands out the cursor's own `Data`, which lives until the cursor does.
    let d = unsafe { &mut *data(api, fts, table)? };
    d.freq.fill(0.0);
    // Phrase by phrase, where `bm25()` reads the instances of all phrases merged in position
    // order (`xInst`, an array FTS5 builds for the row: half of the function's cost): each
    // phrase's frequency gets the same weights added in the same order, so the same sum.
    let next = api.xPhraseNext.ok_or(ffi::SQLITE_MISUSE)?;
    for (ip, freq) in d.freq.iter_mut().enumerate() {
        let mut iter = ffi::Fts5PhraseIter {
            a: ptr::null(),
            b: ptr::null(),
        };
        let (mut ic, mut io) = (0, 0);
        rc(call!(
            api,
            xPhraseFirst(fts, ip as c_int, &mut iter, &mut ic, &mut io)
        ))?;
        while ic >= 0 {
            let w = match usize::try_from(ic).ok().and_then(|c| weights.get(c)) {
                // SAFETY: an argument value of the current call.
                Some(&v) => unsafe { ffi::sqlite3_value_double(v) },
                None => 1.0,
            };
            *freq += w;
            // SAFETY: an extension API function, called with the context FTS5 gave us and
            // the iterator `xPhraseFirst` set up.
            unsafe { next(fts, &mut iter, &mut ic, &mut io) };
        }
    }
    let dl = f64::from(row_size(api, fts, d.sizes.as_ref())?);
    let mut score = 0.0;
    for (idf, f) in d.idf.iter().zip(&d.freq) {
        score += idf * ((f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * dl / d.avgdl)));
    }
    // As C writes it: `-score` differs for a NaN (the sign bit), a product does not.
    #[allow(clippy::neg_multiply)]
    let score = -1.0 * score;
    Ok(score)
}

/// The current row's length in tokens, all columns.
fn row_size(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    sizes: Option<&Sizes>,
) -> Result<c_int, c_int> {
    let size = |n: &mut c_int| rc(call!(api, xColumnSize(fts, -1, n)));
    let (Some(sizes), Some(rowid)) = (sizes, api.xRowid) else {
        let mut n = 0;
        size(&mut n)?;
        return Ok(n);
    };
    // SAFETY: an extension API function, called with the context FTS5 gave us.
    let rowid = unsafe { rowid(fts) };
    if let Some(&n) = sizes.lock().unwrap_or_else(PoisonError::into_inner).get(&rowid) {
        return Ok(n);
    }
    let mut n = 0;
    size(&mut n)?;
    let mut sizes = sizes.lock().unwrap_or_else(PoisonError::into_inner);
    if sizes.len() < MAX_ROWS {
        sizes.insert(rowid, n);
    }
    Ok(n)
}

unsafe extern "C" fn bm25(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_val: c_int,
    vals: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 passes its API, the cursor's context and `n_val` argument values, valid
    // for this call.
    unsafe {
        let api = &*api;
        let vals: &[*mut ffi::sqlite3_value] = if n_val > 0 && !vals.is_null() {
            std::slice::from_raw_parts(vals, n_val as usize)
        } else {
            &[]
        };
        let Some((&name, weights)) = vals.split_first() else {
            ffi::sqlite3_result_error(ctx, c"taos_bm25(table, name, weights…)".as_ptr(), -1);
            return;
        };
        let table = {
            let p = ffi::sqlite3_value_text(name);
            if p.is_null() {
                &[][..]
            } else {
                CStr::from_ptr(p.cast()).to_bytes()
            }
        };
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| score(api, fts, table, weights)));
        match outcome {
            Ok(Ok(score)) => ffi::sqlite3_result_double(ctx, score),
            Ok(Err(code)) => ffi::sqlite3_result_error_code(ctx, code),
            Err(_) => ffi::sqlite3_result_error(ctx, c"taos_bm25() failed".as_ptr(), -1),
        }
    }
}

/// Adds `taos_bm25()` through `api`, the connection's `fts5_api`.
///
/// # Safety
/// `api` is the live `fts5_api` of an open connection.
pub(super) unsafe fn register(api: *mut ffi::fts5_api) -> bool {
    // SAFETY: per the caller.
    unsafe {
        let Some(create) = (*api).xCreateFunction else {
            return false;
        };
        create(api, NAME_C.as_ptr(), ptr::null_mut(), Some(bm25), None) == ffi::SQLITE_OK
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::store::knowledge::fts5_query;
    use crate::store::knowledge::fts5_snippet::tests::corpus;

    /// On both full-text tables, for every word of the docs alone and for queries of several
    /// words (all of them, or any), as the search asks them: `taos_bm25()` gives the very
    /// doubles `bm25()` gives, with the counts kept (asked twice: counted, then looked up)
    /// and without a search around it.
    #[tokio::test]
    async fn it_ranks_what_fts5_bm25_ranks() {
        let (dir, _store, conn) = corpus().await;
        let file = dir.path().join("taos.db");
        let mut all = BTreeSet::new();
        let mut texts = conn.prepare("SELECT content FROM knowledge_sections").unwrap();
        for text in texts.query_map([], |r| r.get::<_, String>(0)).unwrap() {
            for w in crate::domain::knowledge::search_words(&text.unwrap()) {
                all.insert(w.to_lowercase());
            }
        }
        let all: Vec<String> = all.into_iter().collect();
        let mut searches: Vec<Vec<String>> = all.iter().map(|w| vec![w.clone()]).collect();
        for (i, w) in all.iter().enumerate().step_by(7) {
            searches.push(vec![
                w.clone(),
                all[(i * 31 + 5) % all.len()].clone(),
                "token".into(),
            ]);
            searches.push(vec!["agent".into(), w.clone()]);
        }
        searches.push(vec!["\u{345}".into(), "token".into()]);
        searches.push(vec!["token".into(), "token".into()]);
        let mut compared = 0;
        for (table, weights) in [
            ("knowledge_section_fts", "2.0, 1.0"),
            ("knowledge_fts", "10.0, 1.0"),
        ] {
            let sql = format!(
                "SELECT rowid, bm25({table}, {weights}), {NAME}({table}, '{table}', {weights}) \
                 FROM {table} WHERE {table} MATCH ?1"
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            for (round, words) in searches.iter().enumerate() {
                let any = words
                    .iter()
                    .map(|w| fts5_query(std::slice::from_ref(w)))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                for q in [fts5_query(words), any] {
                    for kept in [true, true, false] {
                        let mut rows = || {
                            stmt.query_map([&q], |r| {
                                Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?))
                            })
                            .unwrap()
                            .collect::<rusqlite::Result<Vec<_>>>()
                            .unwrap()
                        };
                        let rows = if kept {
                            with_words(&file, 7 + (round % 2) as u64, words, rows)
                        } else {
                            rows()
                        };
                        for (rowid, fts5, ours) in rows {
                            assert_eq!(
                                ours.to_bits(),
                                fts5.to_bits(),
                                "{table} {q} row {rowid}: {ours} {fts5}"
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 10_000, "only {compared} scores compared");
    }
}
