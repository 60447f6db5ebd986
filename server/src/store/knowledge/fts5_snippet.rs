//! `taos_snippet()`: FTS5's own `snippet()`, cheaper. Same arguments, same text out.
//!
//! Why: `snippet()` runs the table's tokenizer (unicode61 with the porter stemmer) over the
//! whole section twice — once to find where sentences start, once to cut and highlight —
//! and scores every candidate window through the extension API, one call per phrase instance
//! per window: half of a search's instructions (callgrind, the benchmark's `revoke token`). Token
//! boundaries do not depend on the stemmer, and for ASCII text unicode61's are plain: a token
//! is a run of `[0-9A-Za-z]`. So this function finds them itself and hands only the stretches
//! holding non-ASCII characters (bounded by ASCII separators, where unicode61 always ends a
//! token) to the table's tokenizer, then runs `snippet()`'s algorithm (sqlite3.c,
//! `fts5SnippetFunction`, SQLite 3.51) on the instances read once. A store test checks it
//! against `snippet()` over the real docs.
//!
//! A section's tokens are kept once found (`Kept`): the same sections come back in search
//! after search, whatever the words, and tokenizing them was most of a snippet's cost. A
//! window's phrase instances are found by binary search rather than by looking at all of
//! them for every candidate window.
//!
//! Registered on the read connections that run the search (`sqlite_reads`).

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use rusqlite::ffi;

/// The SQL name of the function.
pub(in crate::store) const NAME: &str = "taos_snippet";
const NAME_C: &CStr = c"taos_snippet";

/// Adds `taos_snippet()` to the FTS5 tables of `conn`.
pub(in crate::store) fn register(conn: &Connection) -> rusqlite::Result<()> {
    // SAFETY: `handle` is the open connection `conn` owns; the statement is finalized before
    // returning; the pointer bound is to a local that outlives the step that writes it.
    unsafe {
        let db = conn.handle();
        let api = fts5_api(db)?;
        let create = (*api)
            .xCreateFunction
            .ok_or_else(|| failure("fts5 has no xCreateFunction"))?;
        let rc = create(api, NAME_C.as_ptr(), ptr::null_mut(), Some(snippet), None);
        if rc != ffi::SQLITE_OK {
            return Err(failure("cannot register taos_snippet"));
        }
        // The search's other function, on the same connections.
        if !super::fts5_bm25::register(api) {
            return Err(failure("cannot register taos_bm25"));
        }
    }
    Ok(())
}

fn failure(message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_ERROR), Some(message.to_owned()))
}

/// The connection's `fts5_api`, the documented way: `SELECT fts5(?1)` with a pointer bound.
unsafe fn fts5_api(db: *mut ffi::sqlite3) -> rusqlite::Result<*mut ffi::fts5_api> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    let sql = c"SELECT fts5(?1)";
    // SAFETY: per the caller; every pointer passed is valid for the call.
    unsafe {
        if ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) != ffi::SQLITE_OK {
            return Err(failure("cannot prepare SELECT fts5(?1)"));
        }
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
    }
    if api.is_null() {
        return Err(failure("this SQLite has no FTS5"));
    }
    Ok(api)
}

/// A phrase instance: phrase, column, token offset (as `xInst` gives them).
#[derive(Clone, Copy)]
struct Inst {
    phrase: usize,
    col: c_int,
    offset: c_int,
}

/// What the extension API told about the current row.
struct Row<'a> {
    api: &'a ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    insts: Vec<Inst>,
    /// `insts` are in (column, offset) order, as `xInst` hands them out: a window's instances
    /// are then one run of them, found by binary search instead of a look at every one.
    sorted: bool,
    /// Tokens in each phrase.
    phrase_sizes: Vec<c_int>,
}

/// A failed call of the extension API: its SQLite result code.
struct Rc(c_int);

type Res<T> = Result<T, Rc>;

fn check(rc: c_int) -> Res<()> {
    if rc == ffi::SQLITE_OK { Ok(()) } else { Err(Rc(rc)) }
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

impl Row<'_> {
    /// The column's text; None when it is NULL.
    fn column_text(&self, col: c_int) -> Res<Option<&[u8]>> {
        let mut text: *const c_char = ptr::null();
        let mut n: c_int = 0;
        check(call!(self.api, xColumnText(self.fts, col, &mut text, &mut n)))?;
        if text.is_null() {
            return Ok(None);
        }
        if n <= 0 {
            return Ok(Some(&[]));
        }
        // SAFETY: FTS5 hands out `n` bytes that stay valid while the cursor is on this row.
        Ok(Some(unsafe {
            std::slice::from_raw_parts(text.cast::<u8>(), n as usize)
        }))
    }

    fn column_size(&self, col: c_int) -> Res<c_int> {
        let mut n: c_int = 0;
        check(call!(self.api, xColumnSize(self.fts, col, &mut n)))?;
        Ok(n)
    }

    /// The token boundaries (start, end byte offsets) of `text`, as the table's tokenizer
    /// finds them (see the module's note).
    fn tokens(&self, text: &[u8]) -> Res<Vec<(c_int, c_int)>> {
        let mut out = Vec::with_capacity(text.len() / 4);
        let mut i = 0;
        let n = text.len();
        loop {
            while i < n && CLASS[usize::from(text[i])] == SEPARATOR {
                i += 1;
            }
            if i == n {
                return Ok(out);
            }
            let start = i;
            let mut classes = 0;
            while i < n && CLASS[usize::from(text[i])] != SEPARATOR {
                classes |= CLASS[usize::from(text[i])];
                i += 1;
            }
            if classes == ALNUM {
                out.push((start as c_int, i as c_int));
            } else {
                self.tokenize(&text[start..i], start as c_int, &mut out)?;
            }
        }
    }

    /// The table's tokenizer on `chunk`, whose first byte is at `base` in the column.
    fn tokenize(&self, chunk: &[u8], base: c_int, out: &mut Vec<(c_int, c_int)>) -> Res<()> {
        let mut found = Found { base, tokens: out };
        check(call!(
            self.api,
            xTokenize(
                self.fts,
                chunk.as_ptr().cast::<c_char>(),
                chunk.len() as c_int,
                (&mut found as *mut Found).cast::<c_void>(),
                Some(on_token)
            )
        ))
    }

    /// `fts5SnippetScore`: the score of the window of `n_token` tokens from `pos`, and
    /// where to start it so that its hits are centred.
    fn score(
        &self,
        doc_size: c_int,
        seen: &mut [bool],
        col: c_int,
        pos: c_int,
        n_token: c_int,
    ) -> (i32, i64) {
        let end = i64::from(pos) + i64::from(n_token);
        let mut score = 0;
        let mut first: c_int = -1;
        let mut last: c_int = 0;
        // Every instance scored against every other was most of the function's own work.
        let from = if self.sorted {
            self.insts
                .partition_point(|inst| (inst.col, inst.offset) < (col, pos))
        } else {
            0
        };
        for inst in &self.insts[from..] {
            if self.sorted && (inst.col != col || i64::from(inst.offset) >= end) {
                break;
            }
            if inst.col == col && inst.offset >= pos && i64::from(inst.offset) < end {
                score += if seen[inst.phrase] { 1 } else { 1000 };
                seen[inst.phrase] = true;
                if first < 0 {
                    first = inst.offset;
                }
                last = inst.offset + self.phrase_sizes[inst.phrase];
            }
        }
        let mut adj = i64::from(first - (n_token - (last - first)) / 2);
        if adj + i64::from(n_token) > i64::from(doc_size) {
            adj = i64::from(doc_size - n_token);
        }
        if adj < 0 {
            adj = 0;
        }
        (score, adj)
    }
}

/// A text's tokens (start and end byte offsets) and which of them start a sentence: all of
/// them, though a snippet looks at those up to its last phrase instance and a window after
/// it only (the later ones change nothing: every window starts at or before an instance).
struct Tokenized {
    text: Box<[u8]>,
    tokens: Vec<(c_int, c_int)>,
    firsts: Vec<c_int>,
}

/// Tokenized texts kept: they are a function of the text alone (both tables have the same
/// tokenizer), so a text is looked up by row, column and length, and used only when the
/// text kept is the same, byte for byte. Tokenizing was half of what a snippet costs; the
/// same sections come back in search after search.
struct Kept {
    texts: HashMap<(i64, c_int, usize), Arc<Tokenized>>,
    bytes: usize,
}

/// Text kept at most (about 7 bytes of tokens per byte of ASCII text besides): past it, all
/// of it is dropped. The docs' sections are 0.17 MB.
const MAX_KEPT_BYTES: usize = 1 << 20;

static KEPT: Mutex<Option<Kept>> = Mutex::new(None);

impl Row<'_> {
    /// The tokens of `doc`, column `col` of the current row.
    fn tokenized(&self, col: c_int, doc: &[u8]) -> Res<Arc<Tokenized>> {
        let rowid = match self.api.xRowid {
            // SAFETY: an extension API function, called with the context FTS5 gave us.
            Some(f) => unsafe { f(self.fts) },
            None => return Err(Rc(ffi::SQLITE_MISUSE)),
        };
        let key = (rowid, col, doc.len());
        {
            let kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(t) = kept.as_ref().and_then(|k| k.texts.get(&key))
                && *t.text == *doc
            {
                return Ok(t.clone());
            }
        }
        let tokens = self.tokens(doc)?;
        let firsts = sentence_starts(doc, &tokens);
        let t = Arc::new(Tokenized {
            text: doc.into(),
            tokens,
            firsts,
        });
        if doc.len() <= MAX_KEPT_BYTES / 4 {
            let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
            let kept = kept.get_or_insert_with(|| Kept {
                texts: HashMap::new(),
                bytes: 0,
            });
            if kept.bytes + doc.len() > MAX_KEPT_BYTES {
                kept.texts.clear();
                kept.bytes = 0;
            }
            if let Some(old) = kept.texts.insert(key, t.clone()) {
                kept.bytes -= old.text.len();
            }
            kept.bytes += doc.len();
        }
        Ok(t)
    }
}

const SEPARATOR: u8 = 0;
const ALNUM: u8 = 1;
const NON_ASCII: u8 = 2;

/// What each byte can be: an ASCII separator (ends any token), an ASCII alphanumeric (a
/// token character), or a byte of a non-ASCII character (the tokenizer decides about those).
static CLASS: [u8; 256] = {
    let mut class = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        class[b] = if b >= 0x80 {
            NON_ASCII
        } else if (b as u8).is_ascii_alphanumeric() {
            ALNUM
        } else {
            SEPARATOR
        };
        b += 1;
    }
    class
};

struct Found<'a> {
    base: c_int,
    tokens: &'a mut Vec<(c_int, c_int)>,
}

unsafe extern "C" fn on_token(
    ctx: *mut c_void,
    flags: c_int,
    _token: *const c_char,
    _n: c_int,
    start: c_int,
    end: c_int,
) -> c_int {
    // Synonyms at the same position are not tokens of their own (snippet() skips them too).
    if flags & ffi::FTS5_TOKEN_COLOCATED != 0 {
        return ffi::SQLITE_OK;
    }
    // SAFETY: `ctx` is the `Found` that `tokenize` passed, alive for the whole call.
    let found = unsafe { &mut *ctx.cast::<Found>() };
    found.tokens.push((found.base + start, found.base + end));
    ffi::SQLITE_OK
}

/// The instance iterator of `snippet()` (`CInstIter`): runs of overlapping phrase
/// instances in one column, as first and last token.
struct Coalesced<'a> {
    insts: &'a [Inst],
    phrase_sizes: &'a [c_int],
    col: c_int,
    next: usize,
    start: c_int,
    end: c_int,
}

impl<'a> Coalesced<'a> {
    fn new(row: &'a Row, col: c_int) -> Self {
        let mut it = Coalesced {
            insts: &row.insts,
            phrase_sizes: &row.phrase_sizes,
            col,
            next: 0,
            start: -1,
            end: -1,
        };
        it.advance();
        it
    }

    fn advance(&mut self) {
        self.start = -1;
        self.end = -1;
        while let Some(inst) = self.insts.get(self.next) {
            if inst.col == self.col {
                let end = inst.offset - 1 + self.phrase_sizes[inst.phrase];
                if self.start < 0 {
                    self.start = inst.offset;
                    self.end = end;
                } else if inst.offset <= self.end {
                    self.end = self.end.max(end);
                } else {
                    break;
                }
            }
            self.next += 1;
        }
    }
}

/// The text arguments of `snippet()`: NULL reads as empty.
unsafe fn text_arg<'a>(v: *mut ffi::sqlite3_value) -> &'a [u8] {
    // SAFETY: `v` is an argument of the current call; its text lives through the call.
    unsafe {
        let p = ffi::sqlite3_value_text(v);
        if p.is_null() {
            return &[];
        }
        CStr::from_ptr(p.cast::<c_char>()).to_bytes()
    }
}

unsafe extern "C" fn snippet(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_val: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    if n_val != 5 {
        // SAFETY: `ctx` is the call's result context.
        unsafe {
            ffi::sqlite3_result_error(
                ctx,
                c"wrong number of arguments to function taos_snippet()".as_ptr(),
                -1,
            )
        };
        return;
    }
    // SAFETY: FTS5 passes its API, its context and `n_val` arguments, valid for the call.
    let outcome = std::panic::catch_unwind(|| unsafe {
        let args = std::slice::from_raw_parts(args, 5);
        let col = ffi::sqlite3_value_int(args[0]);
        let n_token = ffi::sqlite3_value_int(args[4]);
        run(
            &*api,
            fts,
            col,
            text_arg(args[1]),
            text_arg(args[2]),
            text_arg(args[3]),
            n_token,
        )
    });
    // SAFETY: `ctx` is the call's result context; the text is copied (SQLITE_TRANSIENT).
    unsafe {
        match outcome {
            Ok(Ok(None)) => ffi::sqlite3_result_null(ctx),
            Ok(Ok(Some(mut out))) => {
                // As `snippet()` returns it: a C string, so up to a NUL if the text has one.
                if let Some(nul) = out.iter().position(|&b| b == 0) {
                    out.truncate(nul);
                }
                ffi::sqlite3_result_text(
                    ctx,
                    out.as_ptr().cast::<c_char>(),
                    out.len() as c_int,
                    ffi::SQLITE_TRANSIENT(),
                );
            }
            Ok(Err(Rc(rc))) => ffi::sqlite3_result_error_code(ctx, rc),
            Err(_) => ffi::sqlite3_result_error(ctx, c"taos_snippet() failed".as_ptr(), -1),
        }
    }
}

/// `fts5SnippetFunction` on the current row.
fn run(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    i_col: c_int,
    open: &[u8],
    close: &[u8],
    ellipsis: &[u8],
    n_token: c_int,
) -> Res<Option<Vec<u8>>> {
    let n_col = call!(api, xColumnCount(fts));
    let n_phrase = call!(api, xPhraseCount(fts)).max(0);
    let mut n_inst: c_int = 0;
    check(call!(api, xInstCount(fts, &mut n_inst)))?;
    let mut row = Row {
        api,
        fts,
        insts: Vec::with_capacity(n_inst.max(0) as usize),
        sorted: false,
        phrase_sizes: (0..n_phrase).map(|p| call!(api, xPhraseSize(fts, p))).collect(),
    };
    for i in 0..n_inst {
        let (mut phrase, mut col, mut offset) = (0, 0, 0);
        check(call!(api, xInst(fts, i, &mut phrase, &mut col, &mut offset)))?;
        let phrase = usize::try_from(phrase).map_err(|_| Rc(ffi::SQLITE_CORRUPT))?;
        if phrase >= row.phrase_sizes.len() {
            return Err(Rc(ffi::SQLITE_CORRUPT));
        }
        row.insts.push(Inst { phrase, col, offset });
    }
    row.sorted = row
        .insts
        .windows(2)
        .all(|w| (w[0].col, w[0].offset) <= (w[1].col, w[1].offset));

    let mut seen = vec![false; row.phrase_sizes.len()];
    let mut best_col = i_col.max(0);
    let mut best_start: i64 = 0;
    let mut best_score = 0;
    let mut col_size: c_int = 0;
    // The tokens of the last column tokenized, for the cut below.
    let mut tokenized: Option<(c_int, Arc<Tokenized>)> = None;
    for i in 0..n_col {
        if i_col >= 0 && i_col != i {
            continue;
        }
        let doc = row.column_text(i)?.unwrap_or_default();
        let tokens = row.tokenized(i, doc)?;
        let firsts = &tokens.firsts;
        let doc_size = row.column_size(i)?;
        for inst in &row.insts {
            let io = inst.offset;
            if inst.col != i {
                continue;
            }
            if io > doc_size {
                return Err(Rc(ffi::SQLITE_CORRUPT_VTAB));
            }
            seen.fill(false);
            let (score, adj) = row.score(doc_size, &mut seen, i, io, n_token);
            if score > best_score {
                best_score = score;
                best_col = i;
                best_start = adj;
                col_size = doc_size;
            }
            if !firsts.is_empty() && doc_size > n_token {
                let mut jj = 0;
                while jj + 1 < firsts.len() && firsts[jj + 1] <= io {
                    jj += 1;
                }
                if firsts[jj] < io {
                    seen.fill(false);
                    let (score, _) = row.score(doc_size, &mut seen, i, firsts[jj], n_token);
                    let score = score + if firsts[jj] == 0 { 120 } else { 100 };
                    if score > best_score {
                        best_score = score;
                        best_col = i;
                        best_start = i64::from(firsts[jj]);
                        col_size = doc_size;
                    }
                }
            }
        }
        tokenized = Some((i, tokens));
    }

    let Some(text) = row.column_text(best_col)? else {
        return Ok(None);
    };
    if col_size == 0 {
        col_size = row.column_size(best_col)?;
    }
    let tokenized = match tokenized {
        Some((c, tokens)) if c == best_col => tokens,
        _ => row.tokenized(best_col, text)?,
    };
    let tokens = &tokenized.tokens;
    let best_start = c_int::try_from(best_start).map_err(|_| Rc(ffi::SQLITE_CORRUPT))?;
    let mut cut = Highlight {
        text,
        open,
        close,
        range_start: best_start,
        range_end: best_start + n_token - 1,
        iter: Coalesced::new(&row, best_col),
        off: 0,
        is_open: false,
        out: Vec::with_capacity(n_token.max(0) as usize * 12),
    };
    if best_start > 0 {
        cut.out.extend_from_slice(ellipsis);
    }
    while cut.iter.start >= 0 && cut.iter.start < best_start {
        cut.iter.advance();
    }
    // Tokens outside the window change nothing (unless there is no window).
    let (from, to) = if cut.range_end >= 0 {
        (
            best_start as usize,
            (cut.range_end as usize + 1).min(tokens.len()),
        )
    } else {
        (0, tokens.len())
    };
    for (pos, &(start, end)) in tokens.iter().enumerate().take(to).skip(from) {
        cut.token(pos as c_int, start, end);
    }
    if cut.is_open {
        cut.out.extend_from_slice(close);
    }
    if cut.range_end >= col_size - 1 {
        cut.append_to(text.len() as c_int);
    } else {
        cut.out.extend_from_slice(ellipsis);
    }
    Ok(Some(cut.out))
}

/// `fts5SentenceFinderCb`: the tokens that start a sentence: the first, and each one
/// preceded by blanks (spaces, tabs, line ends) after a `.` or `:`.
fn sentence_starts(doc: &[u8], tokens: &[(c_int, c_int)]) -> Vec<c_int> {
    let mut firsts = Vec::new();
    if !tokens.is_empty() {
        firsts.push(0);
    }
    for (pos, &(start, _)) in tokens.iter().enumerate().skip(1) {
        let start = start as usize;
        let mut j = start;
        while j > 0 && matches!(doc[j - 1], b' ' | b'\t' | b'\n' | b'\r') {
            j -= 1;
        }
        if j != start && j > 0 && matches!(doc[j - 1], b'.' | b':') {
            firsts.push(pos as c_int);
        }
    }
    firsts
}

/// `fts5HighlightCb` with a token range: the cut text, matched phrases wrapped.
struct Highlight<'a> {
    text: &'a [u8],
    open: &'a [u8],
    close: &'a [u8],
    range_start: c_int,
    range_end: c_int,
    iter: Coalesced<'a>,
    /// Copied up to here.
    off: c_int,
    is_open: bool,
    out: Vec<u8>,
}

impl Highlight<'_> {
    fn append_to(&mut self, to: c_int) {
        if to > self.off {
            self.out
                .extend_from_slice(&self.text[self.off as usize..to as usize]);
        }
    }

    fn token(&mut self, pos: c_int, start: c_int, end: c_int) {
        // A negative end (a window of no tokens) cuts nothing: the whole text, as in C.
        if self.range_end >= 0 {
            if pos < self.range_start || pos > self.range_end {
                return;
            }
            if self.range_start != 0 && pos == self.range_start {
                self.off = start;
            }
        }
        if self.is_open && (pos <= self.iter.start || self.iter.start < 0) && start > self.off {
            self.out.extend_from_slice(self.close);
            self.is_open = false;
        }
        if pos == self.iter.start && !self.is_open {
            self.append_to(start);
            self.out.extend_from_slice(self.open);
            self.off = start;
            self.is_open = true;
        }
        if pos == self.iter.end {
            if !self.is_open {
                self.out.extend_from_slice(self.open);
                self.is_open = true;
            }
            self.append_to(end);
            self.off = end;
            self.iter.advance();
        }
        if pos == self.range_end {
            if self.is_open {
                if self.iter.start >= 0 && pos >= self.iter.start {
                    self.append_to(end);
                    self.off = end;
                }
                self.out.extend_from_slice(self.close);
                self.is_open = false;
            }
            self.append_to(end);
            self.off = end;
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeSet;

    use crate::store::knowledge::tests::doc;
    use crate::store::{KnowledgeSection, Store};

    use super::*;

    /// The docs taosd serves, stored as `ingest` stores them, and a few texts made to trip a
    /// tokenizer (accents, combining marks, emoji, CJK, separators only, sentence ends).
    pub(in crate::store::knowledge) async fn corpus() -> (tempfile::TempDir, Store, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taos.db");
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let mut docs: Vec<_> = crate::agent_docs::pages()
            .iter()
            .map(|p| {
                let mut d = doc(p.path, p.path, p.text);
                d.sections = crate::headings::sections(p.text)
                    .into_iter()
                    .map(|(heading, range)| KnowledgeSection {
                        anchor: heading.as_ref().map(|h| h.id.clone()),
                        heading: heading.map(|h| h.text),
                        content: p.text[range].to_owned(),
                    })
                    .collect();
                d
            })
            .collect();
        for (n, text) in [
            "Café crème: naïve résumé. Token é\u{301}t\u{301}é — the token…token.",
            "🧪🔬 token🧪token 東京 token 東京token. x\u{301}\u{301}token: ok",
            "…—→ ::: ... . : token",
            "",
            "token. token: token.token:token\t.\ttoken \r\n token",
        ]
        .into_iter()
        .enumerate()
        {
            docs.push(doc(&format!("odd{n}.md"), "Odd", text));
        }
        store
            .sync_knowledge_source("s", "agent-docs", &docs, |_| false)
            .await
            .unwrap();
        let conn = Connection::open(&path).unwrap();
        register(&conn).unwrap();
        (dir, store, conn)
    }

    /// Over every word of the docs (each a query of its own) and some queries of several
    /// phrases, on both full-text tables: `taos_snippet()` answers exactly what `snippet()`
    /// answers, for the arguments the search passes and for others.
    #[tokio::test]
    async fn it_cuts_what_fts5_snippet_cuts() {
        let (_dir, _store, conn) = corpus().await;
        let mut words = BTreeSet::new();
        let mut texts = conn.prepare("SELECT content FROM knowledge_sections").unwrap();
        for text in texts.query_map([], |r| r.get::<_, String>(0)).unwrap() {
            for w in crate::domain::knowledge::search_words(&text.unwrap()) {
                words.insert(w.to_lowercase());
            }
        }
        let words: Vec<String> = words.into_iter().collect();
        let quoted = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
        let mut queries: Vec<String> = words.iter().map(|w| quoted(w)).collect();
        for (i, w) in words.iter().enumerate().step_by(11) {
            let other = &words[(i * 31 + 5) % words.len()];
            queries.push(format!("{} OR {} OR \"token\"", quoted(w), quoted(other)));
            queries.push(format!("{} {}", quoted(w), quoted(other)));
        }
        queries.push("\"issue a token\" OR \"a-b\" OR \"é\u{301}\"".into());
        let mut compared = 0;
        // The search's own arguments on every query, other arguments on a part of them.
        for (table, col, tokens, every) in [
            ("knowledge_section_fts", 1, 16, 1),
            ("knowledge_section_fts", -1, 5, 5),
            ("knowledge_section_fts", 0, 16, 5),
            ("knowledge_fts", -1, 16, 5),
            ("knowledge_fts", 1, 0, 5),
        ] {
            let sql = format!(
                "SELECT rowid, snippet({table}, {col}, '[', ']', '…', {tokens}), \
                        {NAME}({table}, {col}, '[', ']', '…', {tokens}) \
                 FROM {table} WHERE {table} MATCH ?1"
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            for q in queries.iter().step_by(every) {
                let rows = stmt
                    .query_map([q], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                        ))
                    })
                    .unwrap();
                for row in rows {
                    let (rowid, fts5, ours) = row.unwrap();
                    assert_eq!(
                        ours, fts5,
                        "{table} column {col}, {tokens} tokens, {q}, row {rowid}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 10_000, "only {compared} snippets compared");
    }
}
