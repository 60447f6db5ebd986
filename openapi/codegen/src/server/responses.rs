//! An operation's success responses, as the enum its trait method returns.

use anyhow::{Result, anyhow, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{IDEMPOTENT_REPLAYED, Op, lit};
use crate::spec::{self, Spec};

struct Success {
    variant: TokenStream,
    status: TokenStream,
    body: Option<TokenStream>,
    headers: Vec<String>,
}

/// The success responses, and whether one of them has a raw (non-JSON) body.
fn successes(spec: &Spec, op: &Op, idempotent: bool) -> Result<(Vec<Success>, bool)> {
    let mut out = Vec::new();
    let mut raw = false;
    for (code, resp) in op.value["responses"].as_object().into_iter().flatten() {
        let Ok(status) = code.parse::<u16>() else { continue };
        if !(200..300).contains(&status) {
            continue;
        }
        let resp = spec::deref(&spec.json, resp);
        let (variant, status_tokens) = match status {
            200 => (quote!(Ok), quote!(::axum::http::StatusCode::OK)),
            201 => (quote!(Created), quote!(::axum::http::StatusCode::CREATED)),
            202 => (quote!(Accepted), quote!(::axum::http::StatusCode::ACCEPTED)),
            204 => (quote!(NoContent), quote!(::axum::http::StatusCode::NO_CONTENT)),
            other => bail!("{}: success status {other} is not supported", op.id),
        };
        let body = match resp.get("content") {
            // A stream or another non-JSON body (NDJSON, server-sent events): the method
            // builds the whole response itself, as progenitor's client reads it raw.
            Some(content) if content.get("application/json").is_none() => {
                raw = true;
                Some(quote!(::axum::response::Response))
            }
            Some(content) => {
                let schema = &content["application/json"]["schema"];
                let name = spec::schema_ref_name(schema).ok_or_else(|| {
                    anyhow!(
                        "{}: the {status} response must be a $ref to components/schemas",
                        op.id
                    )
                })?;
                let ident = format_ident!("{}", name.to_upper_camel_case());
                Some(quote!(types::#ident))
            }
            None => None,
        };
        // On an idempotent operation the replay header is the generated handler's to set.
        let headers = resp["headers"]
            .as_object()
            .map(|h| {
                h.keys()
                    .filter(|name| !(idempotent && name.eq_ignore_ascii_case(IDEMPOTENT_REPLAYED)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.push(Success {
            variant,
            status: status_tokens,
            body,
            headers,
        });
    }
    if out.is_empty() {
        bail!("{}: no success response", op.id);
    }
    if raw && out.len() > 1 {
        bail!("{}: a raw (non-JSON) success must be the only one", op.id);
    }
    Ok((out, raw))
}

/// Adds the operation's response enum (and its headers struct) to `items`; returns its name.
pub(super) fn response_type(
    spec: &Spec,
    op: &Op,
    idempotent: bool,
    items: &mut Vec<TokenStream>,
) -> Result<Ident> {
    let camel = op.id.to_upper_camel_case();
    let response_ident = format_ident!("{camel}Response");
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let (successes, raw) = successes(spec, op, idempotent)?;
    for s in successes {
        let variant = &s.variant;
        let status = &s.status;
        let headers_ident = format_ident!("{camel}ResponseHeaders");
        if !s.headers.is_empty() {
            let fields: Vec<_> = s
                .headers
                .iter()
                .map(|h| format_ident!("{}", h.to_snake_case()))
                .collect();
            let names: Vec<_> = s.headers.iter().map(|h| lit(&h.to_lowercase())).collect();
            let hdoc = format!("Response headers of `{}`.", op.id);
            items.push(quote! {
                    #[doc = #hdoc]
                    #[derive(Debug, Clone, Default, PartialEq)]
                    pub struct #headers_ident { #(pub #fields: Option<String>,)* }
                    impl #headers_ident {
                        fn apply(self, map: &mut ::axum::http::HeaderMap) {
                            #(
                                if let Some(v) = self.#fields.and_then(|v| ::axum::http::HeaderValue::from_str(&v).ok()) {
                                    map.append(#names, v);
                                }
                            )*
                        }
                    }
                });
        }
        match (&s.body, s.headers.is_empty()) {
            (Some(ty), true) if raw => {
                variants.push(quote!(#variant(#ty)));
                arms.push(quote!(Self::#variant(response) => response));
            }
            (Some(_), false) if raw => {
                bail!("{}: a raw response sets its own headers; declare none", op.id);
            }
            (Some(ty), true) => {
                variants.push(quote!(#variant(#ty)));
                arms.push(quote!(Self::#variant(body) => (#status, ::axum::Json(body)).into_response()));
            }
            (Some(ty), false) => {
                variants.push(quote!(#variant(#ty, #headers_ident)));
                arms.push(quote!(Self::#variant(body, headers) => {
                    let mut response = (#status, ::axum::Json(body)).into_response();
                    headers.apply(response.headers_mut());
                    response
                }));
            }
            (None, true) => {
                variants.push(quote!(#variant));
                arms.push(quote!(Self::#variant => #status.into_response()));
            }
            (None, false) => {
                variants.push(quote!(#variant(#headers_ident)));
                arms.push(quote!(Self::#variant(headers) => {
                    let mut response = #status.into_response();
                    headers.apply(response.headers_mut());
                    response
                }));
            }
        }
    }
    let rdoc = format!(
        "The success responses of `{}`; errors go through `ApiBase::Halt`.",
        op.id
    );
    // A raw response is a live body (a stream): it can be neither cloned nor compared.
    let derives = if raw {
        quote!(#[derive(Debug)])
    } else {
        quote!(#[derive(Debug, Clone, PartialEq)])
    };
    items.push(quote! {
        #[doc = #rdoc]
        #derives
        pub enum #response_ident { #(#variants,)* }
        impl ::axum::response::IntoResponse for #response_ident {
            fn into_response(self) -> ::axum::response::Response {
                match self { #(#arms,)* }
            }
        }
    });
    Ok(response_ident)
}
