//! Fenced code blocks of a markdown page, by the reference runner's rules:
//!
//! - an opener is a line matching `^```(\S+)\s*$`: a language tag is required, so a bare
//!   ```` ``` ```` line opens nothing;
//! - the closer is the next line whose right-trimmed text is exactly three backticks (four do not
//!   close); a block with no closer runs to the end of the file;
//! - `line` is the 1-indexed line of the opening fence; blocks come in document order.
//!
//! Lines end at `\n`, and a `\r` before it is dropped, so CRLF files read like LF ones.

/// The language tags whose blocks are replayed; every other tag (`http-skip`, `bash-skip`,
/// `json`, `python`, …) is dropped by [`extract_blocks`].
pub const REPLAYED: [&str; 2] = ["http", "bash"];

/// One fenced block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The language tag of the opening fence.
    pub lang: String,
    /// The lines between the fences, joined with `\n`.
    pub code: String,
    /// The 1-indexed line of the opening fence.
    pub line: usize,
}

/// A block with where it ends: the 1-indexed line of its closer, or the last line of the file
/// for an unterminated block.
#[derive(Debug, Clone)]
pub(crate) struct Fence {
    pub block: Block,
    pub end: usize,
}

/// The language tag when `line` opens a block.
fn opener(line: &str) -> Option<&str> {
    let tag = line.strip_prefix("```")?.trim_end();
    let well_formed = !tag.is_empty() && !tag.chars().any(char::is_whitespace);
    well_formed.then_some(tag)
}

fn is_closer(line: &str) -> bool {
    line.trim_end() == "```"
}

/// Every fenced block with a language tag, in document order.
pub(crate) fn fences(text: &str) -> Vec<Fence> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(lang) = opener(lines[i]) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut j = i + 1;
        while j < lines.len() && !is_closer(lines[j]) {
            j += 1;
        }
        let body_end = j.min(lines.len());
        out.push(Fence {
            block: Block {
                lang: lang.to_string(),
                code: lines[start + 1..body_end].join("\n"),
                line: start + 1,
            },
            // 1-indexed closer line; for an unterminated block, the last line of the file.
            end: if j < lines.len() { j + 1 } else { lines.len() },
        });
        i = j + 1;
    }
    out
}

/// The `http` and `bash` blocks of a page, in document order.
pub fn extract_blocks(text: &str) -> Vec<Block> {
    fences(text)
        .into_iter()
        .map(|f| f.block)
        .filter(|b| REPLAYED.contains(&b.lang.as_str()))
        .collect()
}
