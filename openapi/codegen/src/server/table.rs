//! `operations.rs`: every operation with what the server needs before any handler runs, and
//! the contract's tags.

use anyhow::Result;
use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::params::params;
use super::{lit, ops, opt_lit};
use crate::spec::Spec;

pub fn operations(spec: &Spec) -> Result<TokenStream> {
    let ops = ops(spec)?;
    let version = lit(spec.json["info"]["version"].as_str().unwrap_or_default());
    let mut entries = Vec::new();
    let mut consts = Vec::new();
    for op in &ops {
        let id = lit(op.id);
        let method = lit(&op.method.to_uppercase());
        let path = lit(op.path);
        let tag = lit(op.value["tags"][0].as_str().unwrap_or_default());
        let summary = lit(op.value["summary"].as_str().unwrap_or_default());
        let scope = opt_lit(op.value["x-taos-scope"].as_str());
        let public = op
            .value
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| s.is_empty());
        let idempotent = params(spec, op)?
            .iter()
            .any(|p| p.location == "header" && p.name == "Idempotency-Key");
        entries.push(quote! {
            Operation { id: #id, method: #method, path: #path, tag: #tag, summary: #summary,
                        scope: #scope, public: #public, idempotent: #idempotent }
        });
        let name = format_ident!("{}", op.id.to_snake_case().to_uppercase());
        let index = op.index;
        let doc = format!("`{} {}`", op.method.to_uppercase(), op.path);
        consts.push(quote! { #[doc = #doc] pub const #name: &Operation = &OPERATIONS[#index]; });
    }
    let mut tags = Vec::new();
    for tag in spec.json["tags"].as_array().into_iter().flatten() {
        let name = lit(tag["name"].as_str().unwrap_or_default());
        let title = lit(tag["x-displayName"].as_str().unwrap_or_default());
        let description = lit(tag["description"].as_str().unwrap_or_default());
        let doc_url = lit(tag["x-taos-doc"].as_str().unwrap_or_default());
        tags.push(
            quote! { Tag { name: #name, title: #title, description: #description, doc_url: #doc_url } },
        );
    }
    Ok(quote! {
        //! Every operation of the contract with what the server needs to know about it before
        //! any handler runs, and the contract's tags (the areas `GET /api` lists).

        /// The contract's `info.version`.
        pub const API_VERSION: &str = #version;

        /// One operation of the contract.
        #[derive(Debug, PartialEq, Eq)]
        pub struct Operation {
            /// The `operationId`.
            pub id: &'static str,
            /// The HTTP method, upper case.
            pub method: &'static str,
            /// The path template, e.g. `/api/agents/{name}`.
            pub path: &'static str,
            /// The operation's (first) tag.
            pub tag: &'static str,
            pub summary: &'static str,
            /// `x-taos-scope`: the action slug a caller's scope must cover; `None` = any caller.
            pub scope: Option<&'static str>,
            /// `security: []`: callable without credentials.
            pub public: bool,
            /// Takes an `Idempotency-Key` header.
            pub idempotent: bool,
        }

        /// One tag of the contract.
        #[derive(Debug, PartialEq, Eq)]
        pub struct Tag {
            pub name: &'static str,
            /// `x-displayName`.
            pub title: &'static str,
            pub description: &'static str,
            /// `x-taos-doc`: the agent doc page for this area.
            pub doc_url: &'static str,
        }

        /// Every operation, in document order.
        pub const OPERATIONS: &[Operation] = &[#(#entries),*];

        /// Every tag, in document order.
        pub const TAGS: &[Tag] = &[#(#tags),*];

        /// One constant per operation, named after its `operationId`.
        pub mod op {
            use super::{Operation, OPERATIONS};
            #(#consts)*
        }
    })
}
