//! Data on stdout (tables for people, JSON with `--json`), diagnostics on stderr; colour only
//! on a terminal and never with NO_COLOR.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::paging::Page;

/// How a page of items looks in a table for people.
pub struct Table<'a, T> {
    pub headers: &'a [&'a str],
    /// One item's cells, in the order of `headers`.
    pub row: &'a dyn Fn(&T) -> Vec<String>,
    /// Said on stderr instead of the table when there are no items (else the bare header row).
    pub empty: Option<&'a str>,
    /// Said on stderr under a table, when there is one.
    pub footnote: Option<String>,
    /// How the hint for the next page starts: `More agents` gives
    /// `More agents: --cursor ID (or --all)`.
    pub more: &'a str,
}

pub struct Output {
    pub json: bool,
    color: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Output {
            json,
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    /// One answer: as JSON with `--json`, else as `human` prints it for people.
    pub fn show<T: Serialize>(&self, value: &T, human: impl FnOnce(&Output)) {
        if self.json {
            self.json(value);
        } else {
            human(self);
        }
    }

    /// A page of items: with `--json` the API's `{items, next_cursor}`; else the table (or
    /// the `empty` message), then how to get the next page.
    pub fn page<T: Serialize>(&self, page: &Page<T>, table: Table<'_, T>) {
        if self.json {
            self.json(page);
            return;
        }
        match table.empty {
            Some(empty) if page.items.is_empty() => self.note(empty),
            _ => {
                let rows: Vec<Vec<String>> = page.items.iter().map(table.row).collect();
                self.table(table.headers, &rows);
                if let Some(footnote) = table.footnote {
                    self.note(footnote);
                }
            }
        }
        if let Some(c) = page.next_cursor {
            self.note(format!("{}: --cursor {c} (or --all)", table.more));
        }
    }

    /// `key value` lines, the keys padded to `width`.
    pub fn fields(&self, width: usize, fields: &[(&str, String)]) {
        for (k, v) in fields {
            self.line(format!("{k:<width$} {v}"));
        }
    }

    /// Prints a value as pretty JSON.
    pub fn json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.line(text),
            Err(e) => eprintln!("error: cannot print JSON: {e}"),
        }
    }

    /// A line of data. A closed stdout (`taosctl … | head`) ends taosctl quietly.
    pub fn line(&self, text: impl AsRef<str>) {
        let mut line = text.as_ref().to_string();
        line.push('\n');
        write_stdout(line.as_bytes());
    }

    /// Whether colour is used (stdout is a terminal and NO_COLOR is not set).
    pub fn color(&self) -> bool {
        self.color
    }

    /// A freshly made secret: the whole answer with `--json`, else the secret alone on stdout
    /// (so `TOKEN=$(taosctl …)` works), then `warning` on stderr.
    pub fn secret<T: Serialize>(&self, answer: &T, secret: &str, warning: impl AsRef<str>) {
        if self.json {
            self.json(answer);
        } else {
            self.line(secret);
        }
        self.note(warning);
    }

    /// A message for the person at the terminal (stderr).
    pub fn note(&self, text: impl AsRef<str>) {
        eprintln!("{}", text.as_ref());
    }

    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A table: a header row and aligned columns.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) {
        let widths: Vec<usize> = (0..headers.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([headers[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let render = |cells: Vec<String>| -> String {
            let last = cells.len().saturating_sub(1);
            cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == last {
                        c
                    } else {
                        let pad = widths[i].saturating_sub(c.chars().count());
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let header = render(headers.iter().map(|h| h.to_string()).collect());
        self.line(self.bold(&header));
        for row in rows {
            self.line(render(row.clone()));
        }
    }
}

/// Writes `bytes` to stdout. When the reader has gone (`taosctl … | head -1`), taosctl ends
/// at once with exit 0, as it would have had it been killed by SIGPIPE, without a panic or a
/// message: what was wanted has been read.
pub fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        _ => {}
    }
}

/// A timestamp for tables: compact, UTC.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

pub fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}
