//! Hand-written support for the generated server code: reading parameters and JSON bodies and
//! describing exactly what was wrong with them. The generated handlers call these; the server
//! turns a [`Rejection`] into its canonical error body.
//!
//! - [`params`]: path, query and header parameters;
//! - [`body`]: JSON bodies, checked against what the contract says beyond their Rust types
//!   ([`checks`]: nulls, objects, NUL characters, numeric and item-count bounds);
//! - [`mcp`]: an MCP tool call's arguments as the request of its operation.

mod body;
mod checks;
pub mod mcp;
mod params;

pub use body::{BodyRules, json_body, optional_json_body, parse_json};
pub use checks::Limits;
pub use params::{RawParams, StringRules, boolean, header, integer, required, string, uuid};

pub const MAX_BODY_BYTES: usize = 1 << 20;

/// An idempotent operation's work, handed to `Api::idempotent`: given the caller, run the
/// operation and render its answer (success or error).
pub type Work<C> =
    Box<dyn FnOnce(C) -> std::pin::Pin<Box<dyn Future<Output = axum::response::Response> + Send>> + Send>;

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    /// An argument of an MCP tool call that has no parameter to go to.
    Argument,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Argument => "argument",
        }
    }
}

/// Why a request does not match the contract. `hint` is the contract's `x-taos-error` for the
/// offending field or parameter: the error slug the server should answer with instead of the
/// generic one.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The body is not `application/json`.
    UnsupportedMediaType { content_type: Option<String> },
    /// The body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The body could not be read at all.
    BodyUnreadable,
    /// The operation needs a body and none was sent.
    MissingBody,
    /// The body is not JSON.
    MalformedJson { message: String },
    /// The JSON does not match the schema at `path` (`.` for the document itself).
    InvalidBody {
        path: String,
        message: String,
        hint: Option<&'static str>,
    },
    /// A path, query or header parameter is missing, unknown or invalid.
    InvalidParameter {
        name: String,
        location: Location,
        message: String,
        hint: Option<&'static str>,
    },
}
