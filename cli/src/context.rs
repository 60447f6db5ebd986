//! Where to reach taosd and with which token: `--url`, else `TAOS_URL`, else the saved server,
//! else http://localhost:6969; the token from `TAOS_TOKEN`, else the credentials file.

use taos_client::Client;

use crate::credentials::{self, Credentials};
use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::Output;

pub const DEFAULT_URL: &str = "http://localhost:6969";

/// Where the token came from, for `auth status`.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    Env,
    File(String),
}

pub struct Context {
    pub url: String,
    pub token: Option<(String, TokenSource)>,
    pub saved: Option<Credentials>,
    pub out: Output,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Context {
    pub fn load(url_flag: Option<String>, json: bool) -> Result<Context> {
        let saved = credentials::load()?;
        let url = url_flag
            .or_else(|| env("TAOS_URL"))
            .or_else(|| saved.as_ref().and_then(|c| c.url.clone()))
            .unwrap_or_else(|| DEFAULT_URL.to_string());
        let url = url.trim_end_matches('/').to_string();
        let token = match env("TAOS_TOKEN") {
            Some(t) => Some((t, TokenSource::Env)),
            None => {
                let file = credentials::path()?.display().to_string();
                saved
                    .as_ref()
                    .and_then(|c| c.token.clone())
                    .map(|t| (t, TokenSource::File(file)))
            }
        };
        Ok(Context {
            url,
            token,
            saved,
            out: Output::new(json),
        })
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Result<Client> {
        taos_client::client(&self.url, None)
            .map_err(|e| Failure::new(EXIT_ERROR, format!("cannot build the HTTP client: {e}")))
    }

    /// A client with the token; fails with exit 4 when there is none.
    pub fn client(&self) -> Result<Client> {
        let (token, _) = self.token.as_ref().ok_or_else(Failure::not_logged_in)?;
        self.client_with(token)
    }

    pub fn client_with(&self, token: &str) -> Result<Client> {
        taos_client::client(&self.url, Some(token))
            .map_err(|e| Failure::new(EXIT_ERROR, format!("cannot build the HTTP client: {e}")))
    }

    /// Turns an SDK error into a failure that names this server.
    pub fn fail(&self, e: taos_client::Error<taos_client::types::Error>) -> Failure {
        Failure::from_client(e, &self.url)
    }
}
