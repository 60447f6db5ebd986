//! One operation's generated code: its trait method, its response type and its axum handler,
//! which runs the same steps for every operation: authorize → path, query and header
//! parameters → the JSON body → (`Api::idempotent` when it takes an `Idempotency-Key`) → the
//! trait method.

use anyhow::Result;
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::body::body;
use super::params::{Param, param_parser, params};
use super::{IDEMPOTENCY_KEY, Op, lit, responses};
use crate::spec::Spec;

/// What the generator emits for one operation.
pub(super) struct Generated {
    /// The trait method's declaration.
    pub method: TokenStream,
    /// Module-level items: parameter structs, body rules, the response type, the handler.
    pub items: Vec<TokenStream>,
    /// The handler as an axum method route, e.g. `get(handle_get_agent::<A>)`.
    pub route: TokenStream,
}

pub(super) fn operation(spec: &Spec, op: &Op) -> Result<Generated> {
    let snake = op.id.to_snake_case();
    let camel = op.id.to_upper_camel_case();
    let method_ident = format_ident!("{snake}");
    let handler_ident = format_ident!("handle_{snake}");
    let run_ident = format_ident!("run_{snake}");
    let index = op.index;
    let doc = format!(
        "`{} {}` — {}\n\n{}",
        op.method.to_uppercase(),
        op.path,
        op.value["summary"].as_str().unwrap_or_default(),
        op.value["description"].as_str().unwrap_or_default().trim()
    );

    let params = params(spec, op)?;
    let mut items = Vec::new();
    let mut args = vec![quote!(ctx: Self::Context)];
    let mut call_args = vec![quote!(ctx)];
    let mut steps = Vec::new();

    let needs_raw = params.iter().any(|p| p.location != "header");
    // Operations without path or query parameters never look at the query string.
    let mut extract = quote! { let raw = Ok(rt::RawParams::default()); };
    if needs_raw {
        let query_names: Vec<Literal> = params
            .iter()
            .filter(|p| p.location == "query")
            .map(|p| lit(p.name))
            .collect();
        extract = quote! {
            let raw = rt::RawParams::extract(&mut parts, &[#(#query_names),*]).await;
        };
        steps.push(quote! {
            let raw = match raw {
                Ok(raw) => raw,
                Err(rejection) => return api.reject(OP, rejection).into_response(),
            };
        });
    }
    // The `Idempotency-Key` is the generated handler's business (see `Api::idempotent`),
    // not the method's: it is parsed on its own and never handed to the method.
    let idempotency_key = params
        .iter()
        .find(|p| p.location == "header" && p.name == IDEMPOTENCY_KEY);
    let mut fingerprinted = Vec::new();
    for (location, suffix, accessor) in [
        ("path", "Path", quote!(raw.path)),
        ("query", "Query", quote!(raw.query)),
        ("header", "Headers", quote!(rt::header)),
    ] {
        let group: Vec<&Param> = params
            .iter()
            .filter(|p| p.location == location && !(location == "header" && p.name == IDEMPOTENCY_KEY))
            .collect();
        if group.is_empty() {
            continue;
        }
        let struct_ident = format_ident!("{camel}{suffix}");
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        for p in &group {
            let field = format_ident!("{}", p.name.to_snake_case());
            let name = lit(p.name);
            let raw = if location == "header" {
                quote!(#accessor(parts, #name)?)
            } else {
                quote!(#accessor(#name))
            };
            let (ty, parse, extra) = param_parser(op, p, raw)?;
            if let Some(extra) = extra {
                items.push(extra);
            }
            let pdoc = format!("`{}` ({location})", p.name);
            fields.push(quote! { #[doc = #pdoc] pub #field: #ty });
            inits.push(quote! { #field: #parse });
        }
        let (sig, source) = if location == "header" {
            (quote!(parts: &::axum::http::request::Parts), quote!(&parts))
        } else {
            (quote!(raw: &rt::RawParams), quote!(&raw))
        };
        let sdoc = format!("The {location} parameters of `{}`.", op.id);
        items.push(quote! {
            #[doc = #sdoc]
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
            pub struct #struct_ident { #(#fields,)* }
            impl #struct_ident {
                fn parse(#sig) -> Result<Self, rt::Rejection> {
                    Ok(Self { #(#inits,)* })
                }
            }
        });
        let var = format_ident!("{}", if location == "header" { "headers" } else { location });
        args.push(quote!(#var: #struct_ident));
        call_args.push(quote!(#var));
        if location != "header" {
            fingerprinted.push((lit(location), var.clone()));
        }
        steps.push(quote! {
            let #var = match #struct_ident::parse(#source) {
                Ok(v) => v,
                Err(rejection) => return api.reject(OP, rejection).into_response(),
            };
        });
    }

    if let Some(p) = idempotency_key {
        let name = lit(p.name);
        let (_, parse, _) = param_parser(op, p, quote!(rt::header(parts, #name)?))?;
        steps.push(quote! {
                // The parser is shared with every other parameter, hence the `Ok(…?)`.
                #[allow(clippy::needless_question_mark)]
                let idempotency_key: Option<String> = match (|parts: &::axum::http::request::Parts| -> Result<Option<String>, rt::Rejection> { Ok(#parse) })(&parts) {
                    Ok(v) => v,
                    Err(rejection) => return api.reject(OP, rejection).into_response(),
                };
            });
    }

    let body = body(spec, op)?;
    let reads_body = body.is_some();
    if let Some(b) = &body {
        let ty = &b.ty;
        let (statics, rules) = b.rules(&snake);
        items.push(statics);
        if b.required {
            args.push(quote!(body: #ty));
            steps.push(quote! {
                let body = match rt::json_body::<#ty>(&parts, body, &#rules).await {
                    Ok(v) => v,
                    Err(rejection) => return api.reject(OP, rejection).into_response(),
                };
            });
        } else {
            args.push(quote!(body: Option<#ty>));
            steps.push(quote! {
                let body = match rt::optional_json_body::<#ty>(&parts, body, &#rules).await {
                    Ok(v) => v,
                    Err(rejection) => return api.reject(OP, rejection).into_response(),
                };
            });
        }
        call_args.push(quote!(body));
        fingerprinted.push((lit("body"), format_ident!("body")));
    }
    let response_ident = responses::response_type(spec, op, idempotency_key.is_some(), &mut items)?;

    let method = quote! {
        #[doc = #doc]
        fn #method_ident(&self, #(#args),*) -> impl ::std::future::Future<Output = Result<#response_ident, Self::Halt>> + Send;
    };

    let body_param = if reads_body { quote!(body) } else { quote!(_body) };
    let raw_param = if needs_raw { quote!(raw) } else { quote!(_raw) };
    let parts_mut = if needs_raw {
        quote!(mut parts)
    } else {
        quote!(parts)
    };
    let call = quote! {
        match api.#method_ident(#(#call_args),*).await {
            Ok(response) => response.into_response(),
            Err(halt) => halt.into_response(),
        }
    };
    let finish = if idempotency_key.is_some() {
        // What the fingerprint covers: the body alone when that is all the operation takes
        // (as keys stored before path parameters existed were computed), else every part.
        let request = match fingerprinted.as_slice() {
            [(_, only)] if *only == "body" => quote!(::serde_json::to_value(&body).unwrap_or_default()),
            parts => {
                let inserts = parts.iter().map(|(name, var)| {
                        quote!(request.insert(#name.to_string(), ::serde_json::to_value(&#var).unwrap_or_default());)
                    });
                quote!({
                    let mut request = ::serde_json::Map::new();
                    #(#inserts)*
                    ::serde_json::Value::Object(request)
                })
            }
        };
        quote! {
            let request = #request;
            let work: rt::Work<A::Context> = {
                let api = ::std::sync::Arc::clone(&api);
                Box::new(move |ctx| Box::pin(async move { #call }))
            };
            api.idempotent(OP, ctx, idempotency_key, request, work).await
        }
    } else {
        call
    };
    let run_doc = format!(
        "`{}` on a request taken apart: the steps of its handler after the path and query \
         parameters were read (`raw`). MCP tool calls come in here too (see `crate::mcp`).",
        op.id
    );
    items.push(quote! {
        async fn #handler_ident<A: Api>(
            ::axum::extract::State(api): ::axum::extract::State<::std::sync::Arc<A>>,
            request: ::axum::extract::Request,
        ) -> ::axum::response::Response {
            let (#parts_mut, body) = request.into_parts();
            #extract
            #run_ident(api, parts, raw, body).await
        }
        #[doc = #run_doc]
        pub(crate) async fn #run_ident<A: Api>(
            api: ::std::sync::Arc<A>,
            parts: ::axum::http::request::Parts,
            #raw_param: Result<rt::RawParams, rt::Rejection>,
            #body_param: ::axum::body::Body,
        ) -> ::axum::response::Response {
            const OP: &Operation = &OPERATIONS[#index];
            let ctx = match api.authorize(OP, &parts).await {
                Ok(ctx) => ctx,
                Err(halt) => return halt.into_response(),
            };
            #(#steps)*
            #finish
        }
    });

    let axum_method = format_ident!("{}", op.method);
    let route = quote!(#axum_method(#handler_ident::<A>));
    Ok(Generated { method, items, route })
}
