//! Asking the person at the terminal, only when there is one.

use std::io::{BufRead, IsTerminal, Write};

use crate::failure::{Failure, Result};

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

/// A line typed at the terminal.
pub fn ask(question: &str, flag: &str) -> Result<String> {
    if !stdin_is_tty() {
        return Err(Failure::usage(format!(
            "{question} is needed: pass {flag} (stdin is not a terminal)"
        )));
    }
    eprint!("{question}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read {question}: {e}")))?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(Failure::usage(format!("{question} cannot be empty")));
    }
    Ok(line)
}

/// A secret typed at the terminal without echo.
pub fn secret(question: &str, flag: &str) -> Result<String> {
    if !stdin_is_tty() {
        return Err(Failure::usage(format!(
            "{question} is needed: pass {flag} (stdin is not a terminal)"
        )));
    }
    rpassword::prompt_password(format!("{question}: "))
        .map_err(|e| Failure::usage(format!("cannot read {question}: {e}")))
}

/// Everything on stdin, trimmed (for `--password-stdin` and `--with-token`).
pub fn read_stdin(what: &str) -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read {what} from stdin: {e}")))?;
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(Failure::usage(format!("no {what} on stdin")));
    }
    Ok(text)
}

/// Whether [`confirm`] can be answered: with `yes`, or at a terminal; else the usage error it
/// would give, so a command can refuse before doing anything.
pub fn can_confirm(question: &str, yes: bool) -> Result<()> {
    if yes || stdin_is_tty() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "{question} — refusing without confirmation: pass --yes (stdin is not a terminal)"
    )))
}

/// Yes or no; refuses without a terminal unless `yes` was given.
pub fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    can_confirm(question, yes)?;
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
