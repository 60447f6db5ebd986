//! How a case talks to its taosd: the SDK (with a token, a session cookie or nothing) and raw
//! requests for what the SDK cannot send.

use std::time::Duration;

use super::Server;
use crate::request::Request;

impl Server {
    /// A plain reqwest client (no credentials, follows redirects) for protocol-level cases.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A raw request to `path` on this server, for what the SDK cannot send (see
    /// [`crate::request`]).
    pub fn request(&self, method: reqwest::Method, path: &str) -> Request {
        Request::new(&self.http, method, &self.url(), path)
    }

    pub fn get(&self, path: &str) -> Request {
        self.request(reqwest::Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Request {
        self.request(reqwest::Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Request {
        self.request(reqwest::Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Request {
        self.request(reqwest::Method::DELETE, path)
    }

    /// The SDK, sending `token` as `Authorization: Bearer …`.
    pub fn client(&self, token: &str) -> taos_client::Client {
        taos_client::client(&self.url(), Some(token)).expect("build taos client")
    }

    /// The SDK without credentials.
    pub fn anon(&self) -> taos_client::Client {
        taos_client::client(&self.url(), None).expect("build taos client")
    }

    /// The SDK sending the session cookie `taos_session=<session>` instead of a token.
    pub fn session_client(&self, session: &str) -> taos_client::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("taos_session={session}").parse().expect("cookie header"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build reqwest client");
        taos_client::Client::new_with_client(&self.url(), http)
    }
}
