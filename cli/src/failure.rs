//! What went wrong, how it is shown on stderr, and the exit code (like `gh`): 1 API or network
//! error, 2 usage error, 4 authentication needed or rejected.

use std::fmt;

use taos_client::types;

use crate::fixes;

pub const EXIT_ERROR: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_AUTH: u8 = 4;

#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    /// The API error's slug, when the server answered with one.
    pub slug: Option<String>,
    pub message: String,
    pub fix: Option<String>,
    pub doc_url: Option<String>,
}

pub type Result<T> = std::result::Result<T, Failure>;

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            slug: None,
            message: message.into(),
            fix: None,
            doc_url: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(EXIT_USAGE, message)
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_doc(mut self, doc_url: impl Into<String>) -> Self {
        self.doc_url = Some(doc_url.into());
        self
    }

    /// No token at all.
    pub fn not_logged_in() -> Self {
        Failure::new(
            EXIT_AUTH,
            "not logged in: no token in TAOS_TOKEN or the credentials file",
        )
        .with_fix("run `taosctl auth login` (people) or set TAOS_TOKEN to your agent token")
    }

    /// The configuration (the credentials file) cannot be used; the fix says what to do.
    pub fn config(e: taos_client::ConfigError) -> Self {
        use taos_client::ConfigError as E;
        let fix = match &e {
            E::Exposed { path, .. } => Some(format!(
                "run `chmod 600 {}` or delete it and log in again",
                path.display()
            )),
            E::Invalid { .. } => Some("delete it and run `taosctl auth login` again".to_string()),
            _ => None,
        };
        Failure {
            code: EXIT_ERROR,
            slug: None,
            message: e.to_string(),
            fix,
            doc_url: None,
        }
    }

    /// Any error from the SDK, for a server at `url`.
    /// `token_from_env`: the request carried the token from `TAOS_TOKEN` (it changes the fix of
    /// an authentication error).
    pub fn from_client(e: taos_client::Error<types::Error>, url: &str, token_from_env: bool) -> Self {
        use taos_client::Error as E;
        match e {
            E::ErrorResponse(rv) => {
                let status = rv.status().as_u16();
                let body = rv.into_inner();
                Failure::api(status, body, url, token_from_env)
            }
            E::CommunicationError(e) => Failure::new(
                EXIT_ERROR,
                format!("cannot reach taosd at {url}: {}", root_cause(&e)),
            )
            .with_fix("check that taosd is running there, or point --url / TAOS_URL at the right server"),
            E::InvalidRequest(msg) => Failure::usage(format!("invalid argument: {msg}")),
            E::UnexpectedResponse(r) => Failure::new(
                EXIT_ERROR,
                format!("unexpected answer from {url}: HTTP {}", r.status()),
            )
            .with_fix("check that --url / TAOS_URL points at a taosd server"),
            other => Failure::new(EXIT_ERROR, format!("request to {url} failed: {other}")),
        }
    }

    /// An API error body: its slug and detail, the fix in taosctl's terms (see [`fixes`]; the
    /// server's own when the table has none) and the doc link.
    pub fn api(status: u16, body: types::Error, url: &str, token_from_env: bool) -> Self {
        let code = if status == 401 { EXIT_AUTH } else { EXIT_ERROR };
        let doc_url = if body.doc_url.starts_with('/') {
            format!("{}{}", url.trim_end_matches('/'), body.doc_url)
        } else {
            body.doc_url.clone()
        };
        Failure {
            code,
            message: format!("{}: {}", body.error, body.detail),
            slug: Some(body.error.clone()),
            fix: Some(fixes::cli_fix(&body.error, token_from_env).map_or(body.fix, str::to_string)),
            doc_url: Some(doc_url),
        }
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        if let Some(doc) = &self.doc_url {
            write!(f, "\n  docs: {doc}")?;
        }
        Ok(())
    }
}
