//! Data on stdout (tables for people, JSON with `--json`), diagnostics on stderr; colour only
//! on a terminal and never with NO_COLOR.

use std::io::{IsTerminal, Write};

use serde::Serialize;

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

    /// Prints a value as pretty JSON.
    pub fn json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.line(text),
            Err(e) => eprintln!("error: cannot print JSON: {e}"),
        }
    }

    /// A line of data. A closed stdout (`taosctl … | head`) is not an error worth a panic.
    pub fn line(&self, text: impl AsRef<str>) {
        let _ = writeln!(std::io::stdout().lock(), "{}", text.as_ref());
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
        let mut stdout = std::io::stdout().lock();
        let header = render(headers.iter().map(|h| h.to_string()).collect());
        let _ = writeln!(stdout, "{}", self.bold(&header));
        for row in rows {
            let _ = writeln!(stdout, "{}", render(row.clone()));
        }
    }
}

/// A timestamp for tables: compact, UTC.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

pub fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}
