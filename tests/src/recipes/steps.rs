//! A page as replayable steps: each `http` or `bash` block with the answer the page states for
//! it. The conventions (also in `docs/agents/README.md`):
//!
//! - A line starting ``Answer `NNN …` `` (e.g. ``Answer `201 Created`:``) after one or more
//!   replayed blocks states their answer's status. It covers every replayed block since the
//!   previous answer, at most one per language: the `http` block and the `bash` block of a step
//!   share it.
//! - The first `json` block after that line, before the next replayed block, is the answer's
//!   body: the keys the real answer must have.
//! - `<!-- replay: NAME = field -->` after the answer binds `$NAME` to that field of the real
//!   answer (a dotted path, e.g. `items.0.id`) for the blocks after it.
//!
//! Anything else is an error, so a page cannot silently lose its checks: a replayed block with
//! no stated answer, an error answer (4xx, 5xx) without a json body naming its `error`, a `json` block right after a replayed block with no `Answer` line, an
//! `Answer` line or a binding that follows no replayed block. Blocks that are not replayed
//! (`http-skip`, `bash-skip`) may carry answers and bindings of their own, which are ignored.

use serde_json::Value;

use super::fences::{Block, REPLAYED, fences};

/// What a page says a block's answer is.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub status: u16,
    /// The line of the `Answer` sentence.
    pub line: usize,
    /// The `json` block after it, if any, with its line.
    pub body: Option<(Value, usize)>,
    pub binds: Vec<Binding>,
}

/// `<!-- replay: NAME = path -->`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub path: String,
    pub line: usize,
}

/// A replayed block and the answer stated for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub block: Block,
    pub expect: Expectation,
}

/// A page that breaks the conventions, at `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

/// The status of an ``Answer `NNN …` `` line.
fn answer_status(line: &str, n: usize) -> Result<Option<u16>, ParseError> {
    let Some(rest) = line.strip_prefix("Answer `") else {
        return Ok(None);
    };
    let code = rest.split(['`', ' ']).next().unwrap_or_default();
    match code.parse::<u16>() {
        Ok(status) if code.len() == 3 && (100..=599).contains(&status) => Ok(Some(status)),
        _ => err(n, format!("`Answer` line without an HTTP status: {line:?}")),
    }
}

/// A `<!-- replay: NAME = path -->` line.
fn binding(line: &str, n: usize) -> Result<Option<Binding>, ParseError> {
    let t = line.trim();
    let Some(inner) = t
        .strip_prefix("<!--")
        .and_then(|s| s.trim_start().strip_prefix("replay"))
    else {
        return Ok(None);
    };
    let parsed = inner
        .strip_suffix("-->")
        .and_then(|s| s.trim_start().strip_prefix(':'))
        .and_then(|s| s.split_once('='))
        .map(|(name, path)| (name.trim(), path.trim()));
    match parsed {
        Some((name, path))
            if name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !path.is_empty()
                && !path.contains(char::is_whitespace) =>
        {
            Ok(Some(Binding {
                name: name.to_string(),
                path: path.to_string(),
                line: n,
            }))
        }
        _ => err(
            n,
            format!("malformed replay comment (want `<!-- replay: NAME = field -->`): {t:?}"),
        ),
    }
}

enum Event {
    Fence(Block),
    Answer(u16, usize),
    Bind(Binding),
}

/// The page's fences and convention lines, in document order.
fn events(text: &str) -> Result<Vec<Event>, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut prose_from = 1;
    let prose = |from: usize, to: usize, out: &mut Vec<Event>| -> Result<(), ParseError> {
        for n in from..to {
            let line = lines[n - 1];
            if let Some(status) = answer_status(line, n)? {
                out.push(Event::Answer(status, n));
            } else if let Some(b) = binding(line, n)? {
                out.push(Event::Bind(b));
            }
        }
        Ok(())
    };
    for fence in fences(text) {
        prose(prose_from, fence.block.line, &mut out)?;
        prose_from = fence.end + 1;
        out.push(Event::Fence(fence.block));
    }
    prose(prose_from, lines.len() + 1, &mut out)?;
    Ok(out)
}

/// The page's replayed blocks, each with its stated answer.
pub fn steps(text: &str) -> Result<Vec<Step>, ParseError> {
    // Replayed blocks still waiting for their answer.
    let mut pending: Vec<Block> = Vec::new();
    // The answer being read (its body and bindings may still follow): the steps of `done` it
    // was given to, and whether its body was seen.
    let mut open: Option<(std::ops::Range<usize>, bool)> = None;
    // After a block that is not replayed: its answer and bindings are not ours to check.
    let mut skipping = false;
    let mut done: Vec<Step> = Vec::new();

    for event in events(text)? {
        match event {
            Event::Fence(block) if REPLAYED.contains(&block.lang.as_str()) => {
                if let Some(other) = pending.iter().find(|b| b.lang == block.lang) {
                    return err(
                        other.line,
                        format!(
                            "this {} block states no answer (an ``Answer `NNN …` `` line) before the next {} block at line {}",
                            other.lang, block.lang, block.line
                        ),
                    );
                }
                open = None;
                skipping = false;
                pending.push(block);
            }
            Event::Fence(block) if block.lang == "json" => {
                if let Some((range, has_body)) = open.as_mut().filter(|(_, has_body)| !*has_body) {
                    let value: Value = serde_json::from_str(&block.code)
                        .or_else(|e| err(block.line, format!("the answer's json block is not JSON: {e}")))?;
                    for step in &mut done[range.clone()] {
                        step.expect.body = Some((value.clone(), block.line));
                    }
                    *has_body = true;
                } else if let Some(first) = pending.first() {
                    return err(
                        block.line,
                        format!(
                            "this json block states no status: put a line like ``Answer `200 OK`:`` before it (it answers the {} block at line {})",
                            first.lang, first.line
                        ),
                    );
                }
                // Otherwise an illustration after an answer's body, or a skipped block's answer.
            }
            Event::Fence(block) => {
                if pending.is_empty() && block.lang.ends_with("-skip") {
                    open = None;
                    skipping = true;
                }
            }
            Event::Answer(status, line) => {
                if pending.is_empty() {
                    if skipping {
                        continue;
                    }
                    return err(line, "this `Answer` line follows no http or bash block");
                }
                let start = done.len();
                for block in pending.drain(..) {
                    done.push(Step {
                        block,
                        expect: Expectation {
                            status,
                            line,
                            body: None,
                            binds: Vec::new(),
                        },
                    });
                }
                open = Some((start..done.len(), false));
            }
            Event::Bind(b) => match &open {
                Some((range, _)) => {
                    for step in &mut done[range.clone()] {
                        step.expect.binds.push(b.clone());
                    }
                }
                None if skipping && pending.is_empty() => {}
                None => return err(b.line, "this replay binding follows no stated answer"),
            },
        }
    }
    if let Some(block) = pending.first() {
        return err(
            block.line,
            format!(
                "this {} block states no answer (an ``Answer `NNN …` `` line after it)",
                block.lang
            ),
        );
    }
    // An error is documented with its slug: the page shows the error body, whose `error` the
    // replay then checks.
    if let Some(step) = done.iter().find(|s| {
        s.expect.status >= 400
            && !s
                .expect
                .body
                .as_ref()
                .is_some_and(|(b, _)| b.get("error").is_some_and(Value::is_string))
    }) {
        return err(
            step.expect.line,
            format!(
                "an error answer ({}) must show its json body with the `error` slug",
                step.expect.status
            ),
        );
    }
    Ok(done)
}
