//! What every command runs with: the configuration (resolved once, by `taos_client::Config`:
//! `--url`, else `TAOS_URL`, else the saved server, else http://localhost:6969; the token from
//! `TAOS_TOKEN`, else the credentials file) and the output; and the one way requests are sent.

use std::time::Duration;

use taos_client::{Client, Config, ResponseValue, TokenSource, types};

use crate::failure::{EXIT_ERROR, Failure, Result};
use crate::output::Output;

/// One command (a verb, or a noun dispatching to its verbs), run with a [`Context`].
pub trait RunCmd {
    async fn run(&self, ctx: &Context) -> Result<()>;
}

/// What the SDK's `send()` gives back.
pub type Sent<T> = std::result::Result<ResponseValue<T>, taos_client::Error<types::Error>>;

pub struct Context {
    pub config: Config,
    pub out: Output,
    /// `--debug`: log each request on stderr.
    pub debug: bool,
}

impl Context {
    pub fn load(url_flag: Option<String>, json: bool, debug: bool) -> Result<Context> {
        let from = url_source(&url_flag);
        let config = Config::load(url_flag).map_err(Failure::config)?;
        crate::server_url::check(&config.url, from)?;
        if let Some(mode) = config.fixed_mode {
            eprintln!(
                "warning: {} was readable by others (mode {mode:o}); it is now 600",
                config.credentials_path.display()
            );
        }
        Ok(Context {
            config,
            out: Output::new(json),
            debug,
        })
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// The token in use and where it came from.
    pub fn token(&self) -> Option<&(String, TokenSource)> {
        self.config.token.as_ref()
    }

    /// Where the token in use came from, for people: `TAOS_TOKEN` or the file's path.
    pub fn token_source(&self) -> String {
        self.token()
            .map_or_else(|| "nowhere".into(), |(_, source)| source.to_string())
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Result<Client> {
        self.build(None, None)
    }

    /// A client with the token; fails with exit 4 when there is none.
    pub fn client(&self) -> Result<Client> {
        let (token, _) = self.token().ok_or_else(Failure::not_logged_in)?;
        self.client_with(token)
    }

    pub fn client_with(&self, token: &str) -> Result<Client> {
        self.build(Some(token), None)
    }

    /// A client with the token for answers that may take longer than the usual 60 s (a
    /// followed log, a long wait or stop): no limit on the whole answer, but a connection on
    /// which nothing arrives for `read_timeout` is given up.
    pub fn streaming_client(&self, read_timeout: Duration) -> Result<Client> {
        let (token, _) = self.token().ok_or_else(Failure::not_logged_in)?;
        self.build(Some(token), Some(read_timeout))
    }

    /// A client as `taos_client::client` (a 60 s limit on every answer) or, with
    /// `read_timeout`, `taos_client::streaming_client` makes it, with the request log of
    /// `--debug`.
    fn build(&self, token: Option<&str>, read_timeout: Option<Duration>) -> Result<Client> {
        let mut http = taos_client::http_builder(token);
        http = match read_timeout {
            Some(t) => http.read_timeout(t),
            None => http.timeout(Duration::from_secs(60)),
        };
        if self.debug {
            http = crate::debug::log_requests(http);
        }
        let http = http
            .build()
            .map_err(|e| Failure::new(EXIT_ERROR, format!("cannot build the HTTP client: {e}")))?;
        Ok(Client::new_with_client(self.url(), http))
    }

    /// Turns an SDK error into a failure that names this server.
    pub fn fail(&self, e: taos_client::Error<types::Error>) -> Failure {
        Failure::from_client(e, self.url(), self.token_from_env())
    }

    /// An error body the server sent inside an answer (a failed operation's `error`).
    pub fn api_failure(&self, status: u16, body: types::Error) -> Failure {
        Failure::api(status, body, self.url(), self.token_from_env())
    }

    /// Whether the token in use is `TAOS_TOKEN`'s.
    pub fn token_from_env(&self) -> bool {
        matches!(self.token(), Some((_, TokenSource::Env)))
    }

    /// Sends a request (the SDK builder's `.send()`) and gives its answer's body, or the
    /// failure to report.
    pub async fn send<T>(&self, request: impl Future<Output = Sent<T>>) -> Result<T> {
        crate::debug::mark();
        request
            .await
            .map(ResponseValue::into_inner)
            .map_err(|e| self.fail(e))
    }

    /// Sends a creating request (built afresh by `request` for every attempt, with the same
    /// Idempotency-Key), retrying lost connections and in-flight conflicts, so a retry can
    /// never create a second one.
    pub async fn send_retrying<T, F, Fut>(&self, request: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Sent<T>>,
    {
        let mut delay = Duration::from_millis(200);
        for attempt in 1..=4 {
            crate::debug::mark();
            match request().await {
                Ok(rv) => return Ok(rv.into_inner()),
                Err(e) => {
                    let retry = match &e {
                        taos_client::Error::CommunicationError(_) => true,
                        taos_client::Error::ErrorResponse(rv) => {
                            rv.status().as_u16() == 409 && rv.error == "idempotency_key_in_use"
                        }
                        _ => false,
                    };
                    if !retry || attempt == 4 {
                        return Err(self.fail(e));
                    }
                    self.out.note(format!(
                        "retrying in {} ms (same Idempotency-Key)…",
                        delay.as_millis()
                    ));
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        Err(Failure::new(EXIT_ERROR, "gave up retrying"))
    }
}

/// Where the server URL comes from, for a message about it (the order `Config` follows).
fn url_source(url_flag: &Option<String>) -> &'static str {
    let set = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
    if set(url_flag.as_deref()) {
        "--url"
    } else if set(std::env::var("TAOS_URL").ok().as_deref()) {
        "TAOS_URL"
    } else {
        "the saved server"
    }
}
