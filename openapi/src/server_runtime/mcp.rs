//! Support for the generated MCP tool table (`crate::mcp`): what a tool is, and how a tool
//! call's arguments become the request its operation takes. Nothing here knows MCP's wire
//! format; the server's MCP endpoint does that.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::{Location, RawParams, Rejection};
use crate::operations::Operation;

/// Whether a tool's operation takes a JSON body (made of the arguments that are not
/// parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyArgs {
    None,
    Required,
    Optional,
}

/// What the operation's success answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A JSON object (the result's structured content).
    Json,
    /// No body.
    Empty,
    /// Text (NDJSON lines).
    Text,
}

/// A path or query parameter as a tool argument.
#[derive(Debug)]
pub struct Arg {
    pub name: &'static str,
    /// The JSON type the argument takes (`string`, `integer`, `number`, `boolean`).
    pub kind: ArgKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    String,
    Integer,
    Number,
    Boolean,
}

/// One MCP tool: an operation of the contract marked `x-mcp`.
#[derive(Debug)]
pub struct Tool {
    pub op: &'static Operation,
    /// The operationId in snake case.
    pub name: &'static str,
    /// The operation's summary.
    pub title: &'static str,
    pub description: &'static str,
    /// JSON Schema (2020-12) of the arguments, as JSON text.
    pub input_schema: &'static str,
    /// JSON Schema of the structured result, for [`Output::Json`] tools.
    pub output_schema: Option<&'static str>,
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    /// Takes an `Idempotency-Key`, as the `idempotency_key` argument.
    pub idempotency_key: bool,
    /// The arguments that are path parameters (all required).
    pub path: &'static [Arg],
    /// The arguments that are query parameters.
    pub query: &'static [Arg],
    pub body: BodyArgs,
    pub output: Output,
}

/// The argument that carries the `Idempotency-Key`.
pub const KEY_ARGUMENT: &str = "idempotency_key";

/// A tool call as the request its operation takes.
pub struct Call {
    pub parts: Parts,
    pub raw: RawParams,
    pub body: Body,
}

impl Tool {
    /// The request for a call with `arguments`, made by `caller` (the parts of the MCP
    /// request: its credentials and connection are the call's). `key` is the
    /// `Idempotency-Key` to send when the arguments name none.
    pub fn request(
        &self,
        caller: &Parts,
        arguments: Option<Map<String, Value>>,
        key: impl FnOnce() -> String,
    ) -> Result<(Call, Option<String>), Rejection> {
        let mut path = Vec::new();
        let mut query = Vec::new();
        let mut body = Map::new();
        let mut idempotency_key = None;
        for (name, value) in arguments.unwrap_or_default() {
            if let Some(arg) = self.path.iter().find(|a| a.name == name) {
                path.push((name, scalar(arg, value)?));
            } else if let Some(arg) = self.query.iter().find(|a| a.name == name) {
                // A model often spells "not given" as null.
                if !value.is_null() {
                    query.push((name, scalar(arg, value)?));
                }
            } else if self.idempotency_key && name == KEY_ARGUMENT {
                match value {
                    Value::String(s) => idempotency_key = Some(s),
                    Value::Null => {}
                    _ => return Err(argument(&name, format!("argument `{name}` must be a string"))),
                }
            } else if self.body != BodyArgs::None {
                body.insert(name, value);
            } else {
                return Err(argument(
                    &name,
                    format!("unknown argument `{name}`; this tool takes {}", self.takes()),
                ));
            }
        }
        if let Some(missing) = self.path.iter().find(|a| !path.iter().any(|(n, _)| n == a.name)) {
            return Err(argument(
                missing.name,
                format!("argument `{}` is required", missing.name),
            ));
        }

        let mut request = Request::builder().method(self.op.method).uri(self.op.path);
        if let Some(auth) = caller.headers.get(header::AUTHORIZATION) {
            request = request.header(header::AUTHORIZATION, auth.clone());
        }
        let sent_key = if self.idempotency_key {
            let k = idempotency_key.unwrap_or_else(key);
            let value = HeaderValue::from_str(&k).map_err(|_| {
                argument(
                    KEY_ARGUMENT,
                    format!("argument `{KEY_ARGUMENT}` must be visible ASCII (no control characters)"),
                )
            })?;
            request = request.header("Idempotency-Key", value);
            Some(k)
        } else {
            None
        };
        let body = if self.body == BodyArgs::Required || !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&Value::Object(body)).unwrap_or_default())
        } else {
            Body::empty()
        };
        let mut request = request.body(body).map_err(|e| Rejection::InvalidParameter {
            name: "arguments".into(),
            location: Location::Argument,
            message: format!("the arguments do not make a request: {e}"),
            hint: None,
        })?;
        // The connection's facts (the peer's address) are the caller's.
        request.extensions_mut().clone_from(&caller.extensions);
        let (parts, body) = request.into_parts();
        Ok((
            Call {
                parts,
                raw: RawParams::from_pairs(path, query),
                body,
            },
            sent_key,
        ))
    }

    /// The arguments this tool takes, for an error message.
    fn takes(&self) -> String {
        let mut names: Vec<&str> = self.path.iter().chain(self.query).map(|a| a.name).collect();
        if self.idempotency_key {
            names.push(KEY_ARGUMENT);
        }
        if names.is_empty() {
            "no arguments".into()
        } else {
            names.join(", ")
        }
    }
}

/// A path or query argument as the text of the parameter. A number or boolean may also come
/// as text (the parameter's own parser checks it); a string must be a string.
fn scalar(arg: &Arg, value: Value) -> Result<String, Rejection> {
    let name = arg.name;
    let wants = match arg.kind {
        ArgKind::String => "a string",
        ArgKind::Integer => "an integer",
        ArgKind::Number => "a number",
        ArgKind::Boolean => "true or false",
    };
    match (arg.kind, value) {
        (_, Value::String(s)) => Ok(s),
        (ArgKind::Integer | ArgKind::Number, Value::Number(n)) => Ok(n.to_string()),
        (ArgKind::Boolean, Value::Bool(b)) => Ok(b.to_string()),
        (_, other) => Err(argument(
            name,
            format!("argument `{name}` must be {wants}, not {}", json_type(&other)),
        )),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn argument(name: &str, message: String) -> Rejection {
    Rejection::InvalidParameter {
        name: name.to_string(),
        location: Location::Argument,
        message,
        hint: None,
    }
}

/// What the dispatch answers for a tool that is not in the generated table (it cannot be
/// reached through `TOOLS`).
pub fn not_a_tool(tool: &Tool) -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        format!("`{}` is not a generated tool", tool.name),
    )
        .into_response()
}
