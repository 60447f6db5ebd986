//! Our own generator for the server side: the operations table, and a trait with one method per
//! operation plus the axum router that calls it. progenitor only generates clients; nothing on
//! crates.io generates an axum trait over typify's types (see reference/toolchain.md §2).
//!
//! Every generated handler runs the same steps in the same order, so no operation can skip
//! one: authorize (401/403, from the operation's `x-taos-scope`) → path, query and header
//! parameters checked against the contract → JSON body checked against its schema → the
//! trait method. Malformed input never reaches the method; it goes to `Api::reject` with the
//! contract's `x-taos-error` hint for the offending field, if any.

mod body;
mod handler;
pub mod mcp;
mod params;
mod responses;
mod table;

use anyhow::{Result, anyhow};
use heck::ToUpperCamelCase;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::spec::{self, Spec};

pub use mcp::mcp;
pub use table::operations;

/// One operation as the generators see it.
pub(crate) struct Op<'a> {
    pub(super) index: usize,
    pub(super) id: &'a str,
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) value: &'a Value,
}

pub(crate) fn ops(spec: &Spec) -> Result<Vec<Op<'_>>> {
    spec::operations(&spec.json)
        .into_iter()
        .enumerate()
        .map(|(index, (path, method, value))| {
            let id = value["operationId"]
                .as_str()
                .ok_or_else(|| anyhow!("{method} {path} has no operationId"))?;
            Ok(Op {
                index,
                id,
                method,
                path,
                value,
            })
        })
        .collect()
}

/// The request header that makes an operation idempotent, and the answer's replay marker.
pub(super) const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub(super) const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";

pub(super) fn lit(s: &str) -> Literal {
    Literal::string(s)
}

pub(super) fn opt_lit(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => {
            let l = lit(s);
            quote!(Some(#l))
        }
        None => quote!(None),
    }
}

/// The `Allow` header of a path: its methods in document order, `HEAD` after `GET` (axum
/// answers HEAD with the GET handler).
fn allow_header(methods: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for m in methods {
        out.push(m);
        if m == "GET" {
            out.push("HEAD");
        }
    }
    out.join(", ")
}

pub fn server(spec: &Spec) -> Result<TokenStream> {
    let mut items = Vec::new();
    // (tag, its trait methods) in the order of the contract's tags.
    let mut tags: Vec<(String, String, Vec<TokenStream>)> = spec.json["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let name = t["name"].as_str().unwrap_or_default().to_string();
            let description = t["description"].as_str().unwrap_or_default().trim().to_string();
            (name, description, Vec::new())
        })
        .collect();
    // (path, its handlers, its methods) in document order.
    let mut routes: Vec<(String, Vec<TokenStream>, Vec<String>)> = Vec::new();
    for op in &ops(spec)? {
        let generated = handler::operation(spec, op)?;
        items.extend(generated.items);
        let tag = op.value["tags"][0].as_str().unwrap_or_default();
        let (_, _, methods) = tags
            .iter_mut()
            .find(|(name, _, _)| name == tag)
            .ok_or_else(|| anyhow!("{}: its tag `{tag}` is not among the contract's tags", op.id))?;
        methods.push(generated.method);
        let method = op.method.to_uppercase();
        match routes.iter_mut().find(|(p, _, _)| p == op.path) {
            Some((_, list, methods)) => {
                list.push(generated.route);
                methods.push(method);
            }
            None => routes.push((op.path.to_string(), vec![generated.route], vec![method])),
        }
    }

    let route_calls = routes.iter().map(|(path, handlers, methods)| {
        let path = lit(path);
        let allow = lit(&allow_header(methods));
        let mut chain = handlers.iter();
        let first = chain.next();
        let rest = chain.map(|h| quote!(.#h));
        quote!(.route(#path, ::axum::routing::#first #(#rest)*.fallback(
            |::axum::extract::State(api): ::axum::extract::State<::std::sync::Arc<A>>,
             method: ::axum::http::Method,
             uri: ::axum::http::Uri| async move { method_not_allowed(&*api, &method, uri.path(), #allow) }
        )))
    });

    // One trait per tag, so that each tag's operations are implemented in a file of their own.
    let mut tag_traits = Vec::new();
    let mut tag_idents = Vec::new();
    for (name, description, methods) in &tags {
        if methods.is_empty() {
            continue;
        }
        let ident = format_ident!("{}Api", name.to_upper_camel_case());
        let doc = format!("The operations tagged `{name}`: {description}");
        tag_traits.push(quote! {
            #[doc = #doc]
            pub trait #ident: ApiBase {
                #(#methods)*
            }
        });
        tag_idents.push(ident);
    }

    Ok(quote! {
        //! The server side of the contract: one trait method per operation (a trait per tag),
        //! and the router that checks each request against the contract before calling it.

        use ::axum::response::IntoResponse;

        use crate::operations::{Operation, OPERATIONS};
        use crate::server_runtime as rt;
        use crate::types;

        pub use crate::server_runtime::{Location, Rejection, Work};

        /// The whole API: [`ApiBase`] and one trait per tag of the contract. Implement every
        /// method (there are no defaults, so an operation added to the contract does not
        /// compile until it is implemented).
        pub trait Api: ApiBase #(+ #tag_idents)* {}

        impl<T: ApiBase #(+ #tag_idents)*> Api for T {}

        /// What every operation shares: who is calling, how refusals are answered, how an
        /// idempotent operation is run.
        pub trait ApiBase: Send + Sync + 'static {
            /// Who is calling, as `authorize` established it; handed to every method.
            type Context: Send + 'static;
            /// Any answer that is not the operation's success response (an error).
            type Halt: ::axum::response::IntoResponse + Send + 'static;

            /// Runs first for every operation: authenticate the caller and check
            /// `op.scope`.
            fn authorize(
                &self,
                op: &'static Operation,
                parts: &::axum::http::request::Parts,
            ) -> impl ::std::future::Future<Output = Result<Self::Context, Self::Halt>> + Send;

            /// Turns a request that does not match the contract into an answer.
            fn reject(&self, op: &'static Operation, rejection: Rejection) -> Self::Halt;

            /// Runs an operation that takes an `Idempotency-Key` (`op.idempotent`): `work`
            /// runs the operation and renders its answer, success or error. Implement it to
            /// run `work` at most once per caller, operation and key, and to answer a retry
            /// with the first answer; `request` is the parsed request the key is bound to.
            /// The operation's method never sees the key.
            fn idempotent(
                &self,
                op: &'static Operation,
                ctx: Self::Context,
                key: Option<String>,
                request: ::serde_json::Value,
                work: rt::Work<Self::Context>,
            ) -> impl ::std::future::Future<Output = ::axum::response::Response> + Send;

            /// Answers a request whose method the contract does not have for its path; the
            /// router adds the `Allow` header (`allow`, e.g. `GET, HEAD, POST`).
            fn method_not_allowed(&self, method: &::axum::http::Method, path: &str, allow: &'static str) -> Self::Halt;
        }

        #(#tag_traits)*

        #(#items)*

        fn method_not_allowed<A: Api>(
            api: &A,
            method: &::axum::http::Method,
            path: &str,
            allow: &'static str,
        ) -> ::axum::response::Response {
            let mut response = api.method_not_allowed(method, path, allow).into_response();
            response.headers_mut().insert(
                ::axum::http::header::ALLOW,
                ::axum::http::HeaderValue::from_static(allow),
            );
            response
        }

        /// Every operation of the contract, routed to `api`.
        pub fn router<A: Api>(api: ::std::sync::Arc<A>) -> ::axum::Router {
            ::axum::Router::new()
                #(#route_calls)*
                .with_state(api)
        }
    })
}
