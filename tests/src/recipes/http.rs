//! Replaying a page's `http` blocks: each is sent as written (after putting in the replay
//! variables) and its answer compared with the one the page states.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use super::answer::{Vars, canonical_error, compare, lookup, substitute};
use super::{Failure, Page, show_body};

/// An `http` block: `METHOD PATH`, header lines up to a blank line, then the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// Reads an `http` block (the replay variables already put in).
pub fn parse_request(code: &str) -> Result<Request, String> {
    let mut lines = code.lines();
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(format!("the first line must be `METHOD PATH`, not {first:?}"));
    };
    if parts.next().is_some_and(|v| !v.starts_with("HTTP/")) || parts.next().is_some() {
        return Err(format!(
            "the first line must be `METHOD PATH [HTTP/1.1]`, not {first:?}"
        ));
    }
    if !path.starts_with('/') {
        return Err(format!("the path must start with `/`: {path:?}"));
    }
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("a header line must be `Name: value`, not {line:?}"));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let body = lines.collect::<Vec<_>>().join("\n");
    let body = body.trim();
    Ok(Request {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        headers,
        body: (!body.is_empty()).then(|| body.to_string()),
    })
}

/// A real answer.
struct Answer {
    status: u16,
    text: String,
    json: Option<Value>,
}

async fn send(http: &reqwest::Client, base: &str, req: &Request) -> Result<Answer, String> {
    let method =
        reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| format!("bad method: {e}"))?;
    let mut builder = http.request(method, format!("{base}{}", req.path));
    for (name, value) in &req.headers {
        // reqwest sets these from the URL and the body.
        if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("bad header name {name:?}: {e}"))?;
        let value = HeaderValue::from_str(value).map_err(|e| format!("bad value for header {name}: {e}"))?;
        builder = builder.header(name, value);
    }
    if let Some(body) = &req.body {
        builder = builder.body(body.clone());
    }
    let resp = builder
        .send()
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    let json = serde_json::from_str(&text).ok();
    Ok(Answer { status, text, json })
}

/// Sends every `http` block of `page` in order to the server at `base`, with `token` as
/// `$TAOS_TOKEN`. Returns how many were replayed; none is a failure.
pub async fn replay(base: &str, token: &str, page: &Page) -> Result<usize, Box<Failure>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Failure::at(page, 1, format!("cannot build an HTTP client: {e}")))?;
    let mut vars = Vars::from([
        ("TAOS_URL".to_string(), base.to_string()),
        ("TAOS_TOKEN".to_string(), token.to_string()),
    ]);
    let mut replayed = 0;
    for step in page.steps.iter().filter(|s| s.block.lang == "http") {
        let line = step.block.line;
        let code = substitute(&step.block.code, &vars)
            .map_err(|e| Failure::at(page, line, e).sent(&step.block.code))?;
        let req = parse_request(&code).map_err(|e| Failure::at(page, line, e).sent(&code))?;
        let answer = send(&http, base, &req)
            .await
            .map_err(|e| Failure::at(page, line, e).sent(&code))?;
        let expect = &step.expect;
        let mut problems = Vec::new();
        if answer.status != expect.status {
            problems.push(format!(
                "status {}, the page says {} (line {})",
                answer.status, expect.status, expect.line
            ));
        }
        if let Some((body, _)) = &expect.body {
            match &answer.json {
                Some(json) => problems.extend(compare(body, json)),
                None => problems.push("the answer is not JSON, the page shows a JSON body".into()),
            }
        }
        if answer.status >= 400 {
            problems.extend(canonical_error(answer.json.as_ref()));
        }
        for b in &expect.binds {
            match answer
                .json
                .as_ref()
                .ok_or_else(|| "the answer is not JSON".to_string())
                .and_then(|j| lookup(j, &b.path))
            {
                Ok(v) => {
                    vars.insert(b.name.clone(), v);
                }
                Err(e) => problems.push(format!("cannot bind ${} (line {}): {e}", b.name, b.line)),
            }
        }
        if !problems.is_empty() {
            return Err(Box::new(
                Failure::at(page, line, "the answer is not the one the page states")
                    .problems(problems)
                    .sent(&code)
                    .expected(expect)
                    .actual(format!("HTTP {}\n{}", answer.status, show_body(&answer.text))),
            ));
        }
        replayed += 1;
    }
    if replayed == 0 {
        return Err(Box::new(Failure::at(
            page,
            1,
            "the page has no http block to replay",
        )));
    }
    Ok(replayed)
}
