//! Our own generator for the server side: the operations table, and a trait with one method per
//! operation plus the axum router that calls it. progenitor only generates clients; nothing on
//! crates.io generates an axum trait over typify's types (see reference/toolchain.md §2).
//!
//! Every generated handler runs the same steps in the same order, so no operation can skip
//! one: authorize (401/403, from the operation's `x-taos-scope`) → path, query and header
//! parameters checked against the contract → JSON body checked against its schema → the
//! trait method. Malformed input never reaches the method; it goes to `Api::reject` with the
//! contract's `x-taos-error` hint for the offending field, if any.

use anyhow::{Context, Result, anyhow, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::spec::{self, Spec};

/// One operation as the generators see it.
struct Op<'a> {
    index: usize,
    id: &'a str,
    method: &'a str,
    path: &'a str,
    value: &'a Value,
}

fn ops(spec: &Spec) -> Result<Vec<Op<'_>>> {
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
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";

fn lit(s: &str) -> Literal {
    Literal::string(s)
}

fn opt_lit(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => {
            let l = lit(s);
            quote!(Some(#l))
        }
        None => quote!(None),
    }
}

// ---------------------------------------------------------------------------------------------
// operations.rs

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

// ---------------------------------------------------------------------------------------------
// Parameters

struct Param<'a> {
    name: &'a str,
    location: &'a str,
    required: bool,
    schema: &'a Value,
    hint: Option<&'a str>,
}

fn params<'a>(spec: &'a Spec, op: &Op<'a>) -> Result<Vec<Param<'a>>> {
    let mut out = Vec::new();
    for p in op.value["parameters"].as_array().into_iter().flatten() {
        let p = spec::deref(&spec.json, p);
        let name = p["name"]
            .as_str()
            .ok_or_else(|| anyhow!("{}: parameter without name", op.id))?;
        let location = p["in"]
            .as_str()
            .ok_or_else(|| anyhow!("{}: parameter {name} without `in`", op.id))?;
        let schema = spec::deref(&spec.json, &p["schema"]);
        let hint = p["x-taos-error"]
            .as_str()
            .or_else(|| schema["x-taos-error"].as_str());
        out.push(Param {
            name,
            location,
            required: p["required"].as_bool().unwrap_or(false),
            schema,
            hint,
        });
    }
    Ok(out)
}

/// The field type and the parsing expression of one parameter. `raw` is an `Option<&str>`.
fn param_parser(
    op: &Op,
    p: &Param,
    raw: TokenStream,
) -> Result<(TokenStream, TokenStream, Option<TokenStream>)> {
    let name = lit(p.name);
    let location = match p.location {
        "path" => quote!(rt::Location::Path),
        "query" => quote!(rt::Location::Query),
        "header" => quote!(rt::Location::Header),
        other => bail!("{}: parameters in {other} are not supported", op.id),
    };
    let hint = opt_lit(p.hint);
    let s = p.schema;
    let default = s.get("default");
    let required = p.required || default.is_some();
    let (ty, parse, extra) = match (s["type"].as_str(), s["format"].as_str()) {
        (Some("string"), Some("uuid")) => {
            let parse = quote!(rt::uuid(#name, #location, #raw, #hint));
            (quote!(::uuid::Uuid), parse, None)
        }
        (Some("string"), _) => {
            let min = opt_usize(s.get("minLength"));
            let max = opt_usize(s.get("maxLength"));
            let (pattern, stat) = match s["pattern"].as_str() {
                Some(pat) => {
                    regress::Regex::new(pat)
                        .with_context(|| format!("{}: pattern of {} does not compile", op.id, p.name))?;
                    let ident = format_ident!(
                        "RE_{}_{}",
                        op.id.to_snake_case().to_uppercase(),
                        p.name.to_snake_case().to_uppercase()
                    );
                    let pat_lit = lit(pat);
                    let stat = quote! {
                        static #ident: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(|| {
                            ::regress::Regex::new(#pat_lit).expect("checked when the code was generated")
                        });
                    };
                    (quote!(Some((#pat_lit, &*#ident))), Some(stat))
                }
                None => (quote!(None), None),
            };
            let parse = quote!(rt::string(#name, #location, #raw, &rt::StringRules { min_length: #min, max_length: #max, pattern: #pattern, hint: #hint }));
            (quote!(String), parse, stat)
        }
        (Some("integer"), _) => {
            let min = opt_i64(s.get("minimum"));
            let max = opt_i64(s.get("maximum"));
            let parse = quote!(rt::integer(#name, #location, #raw, #min, #max, #hint));
            (quote!(i64), parse, None)
        }
        (Some("boolean"), _) => (
            quote!(bool),
            quote!(rt::boolean(#name, #location, #raw, #hint)),
            None,
        ),
        _ => bail!(
            "{}: parameter {} must be a string, integer or boolean",
            op.id,
            p.name
        ),
    };
    let parse = if required {
        match default {
            Some(d) => {
                let d = match d {
                    Value::Bool(b) => quote!(#b),
                    Value::Number(n) => {
                        let n = n
                            .as_i64()
                            .ok_or_else(|| anyhow!("{}: default of {} is not an integer", op.id, p.name))?;
                        quote!(#n)
                    }
                    Value::String(v) => {
                        let v = lit(v);
                        quote!(#v.to_string())
                    }
                    _ => bail!("{}: unsupported default for {}", op.id, p.name),
                };
                quote!(#parse?.unwrap_or(#d))
            }
            None => quote!(rt::required(#name, #location, #parse?, #hint)?),
        }
    } else {
        quote!(#parse?)
    };
    let ty = if required { ty } else { quote!(Option<#ty>) };
    Ok((ty, parse, extra))
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

fn opt_usize(v: Option<&Value>) -> TokenStream {
    match v.and_then(Value::as_u64) {
        Some(n) => {
            let n = n as usize;
            quote!(Some(#n))
        }
        None => quote!(None),
    }
}

fn opt_i64(v: Option<&Value>) -> TokenStream {
    match v.and_then(Value::as_i64) {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

// ---------------------------------------------------------------------------------------------
// Request bodies

struct Body {
    ty: TokenStream,
    required: bool,
    /// `x-taos-error` hints: (field path, slug).
    hints: Vec<(Vec<String>, String)>,
    /// Paths of the properties that may be `null` (`nullable: true`).
    nullable: Vec<Vec<String>>,
    /// Paths that must hold a JSON object (the body itself included).
    objects: Vec<Vec<String>>,
    /// Paths with numeric or item-count bounds, which typify's types do not all enforce.
    limits: Vec<(Vec<String>, Limits)>,
}

/// `minimum`/`maximum` of a number, `minItems`/`maxItems` of an array.
#[derive(Default, PartialEq)]
struct Limits {
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
}

impl Limits {
    fn of(schema: &Value) -> Option<Limits> {
        let l = Limits {
            minimum: schema.get("minimum").and_then(Value::as_f64),
            maximum: schema.get("maximum").and_then(Value::as_f64),
            min_items: schema.get("minItems").and_then(Value::as_u64),
            max_items: schema.get("maxItems").and_then(Value::as_u64),
        };
        (l != Limits::default()).then_some(l)
    }
}

fn body(spec: &Spec, op: &Op) -> Result<Option<Body>> {
    let Some(rb) = op.value.get("requestBody") else {
        return Ok(None);
    };
    let rb = spec::deref(&spec.json, rb);
    let schema = &rb["content"]["application/json"]["schema"];
    let name = spec::schema_ref_name(schema)
        .ok_or_else(|| anyhow!("{}: the request body must be a $ref to components/schemas", op.id))?;
    let ident = format_ident!("{}", name.to_upper_camel_case());
    let mut hints = Vec::new();
    collect_hints(&spec.json, schema, &mut Vec::new(), &mut hints, 0);
    let mut rules = Rules::default();
    collect_rules(&spec.json, schema, &mut Vec::new(), &mut rules, 0);
    Ok(Some(Body {
        ty: quote!(types::#ident),
        required: rb["required"].as_bool().unwrap_or(false),
        hints,
        nullable: rules.nullable,
        objects: rules.objects,
        limits: rules.limits,
    }))
}

#[derive(Default)]
struct Rules {
    nullable: Vec<Vec<String>>,
    objects: Vec<Vec<String>>,
    limits: Vec<(Vec<String>, Limits)>,
}

/// Walks a request schema for what serde's derived structs are laxer about than the contract:
/// typify reads an optional property as `Option`, which takes `null` for "absent" (the
/// contract allows `null` only where `nullable`); serde takes an array for a struct (the
/// contract says object); and typify maps `maximum` and `maxItems` to nothing at all.
fn collect_rules(root: &Value, schema: &Value, path: &mut Vec<String>, rules: &mut Rules, depth: usize) {
    if depth > 16 {
        return;
    }
    let schema = spec::deref(root, schema);
    if schema["type"] == "object" && !rules.objects.contains(path) {
        rules.objects.push(path.clone());
    }
    if let Some(limits) = Limits::of(schema)
        && !rules.limits.iter().any(|(p, _)| p == path)
    {
        rules.limits.push((path.clone(), limits));
    }
    for sub in schema["allOf"].as_array().into_iter().flatten() {
        collect_rules(root, sub, path, rules, depth + 1);
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, prop) in props {
            path.push(name.clone());
            if prop["nullable"] == true || spec::deref(root, prop)["nullable"] == true {
                rules.nullable.push(path.clone());
            }
            collect_rules(root, prop, path, rules, depth + 1);
            path.pop();
        }
    }
    if let Some(items) = schema.get("items") {
        path.push("[]".into());
        collect_rules(root, items, path, rules, depth + 1);
        path.pop();
    }
}

/// Walks a request schema for `x-taos-error` on properties, objects and array items.
fn collect_hints(
    root: &Value,
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, String)>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    if let Some(slug) = schema.get("x-taos-error").and_then(Value::as_str) {
        out.push((path.clone(), slug.to_string()));
    }
    let resolved = spec::deref(root, schema);
    if !std::ptr::eq(resolved, schema) {
        collect_hints(root, resolved, path, out, depth + 1);
        return;
    }
    for sub in schema["allOf"].as_array().into_iter().flatten() {
        collect_hints(root, sub, path, out, depth + 1);
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, prop) in props {
            path.push(name.clone());
            collect_hints(root, prop, path, out, depth + 1);
            path.pop();
        }
    }
    if let Some(items) = schema.get("items") {
        path.push("[]".into());
        collect_hints(root, items, path, out, depth + 1);
        path.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

struct Success {
    variant: TokenStream,
    status: TokenStream,
    body: Option<TokenStream>,
    headers: Vec<String>,
}

fn successes(spec: &Spec, op: &Op, idempotent: bool) -> Result<Vec<Success>> {
    let mut out = Vec::new();
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
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// server.rs

pub fn server(spec: &Spec) -> Result<TokenStream> {
    let ops = ops(spec)?;
    let mut items = Vec::new();
    let mut methods = Vec::new();
    // (path, its handlers, its methods) in document order.
    let mut routes: Vec<(String, Vec<TokenStream>, Vec<String>)> = Vec::new();

    for op in &ops {
        let snake = op.id.to_snake_case();
        let camel = op.id.to_upper_camel_case();
        let method_ident = format_ident!("{snake}");
        let handler_ident = format_ident!("handle_{snake}");
        let index = op.index;
        let doc = format!(
            "`{} {}` — {}\n\n{}",
            op.method.to_uppercase(),
            op.path,
            op.value["summary"].as_str().unwrap_or_default(),
            op.value["description"].as_str().unwrap_or_default().trim()
        );

        let params = params(spec, op)?;
        let mut args = vec![quote!(ctx: Self::Context)];
        let mut call_args = vec![quote!(ctx)];
        let mut steps = Vec::new();

        let needs_raw = params.iter().any(|p| p.location != "header");
        if needs_raw {
            let query_names: Vec<Literal> = params
                .iter()
                .filter(|p| p.location == "query")
                .map(|p| lit(p.name))
                .collect();
            steps.push(quote! {
                let raw = match rt::RawParams::extract(&mut parts, &[#(#query_names),*]).await {
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
            let hints_ident = format_ident!("HINTS_{}", snake.to_uppercase());
            let hint_entries = b.hints.iter().map(|(path, slug)| {
                let segs = path.iter().map(|s| lit(s));
                let slug = lit(slug);
                quote!((&[#(#segs),*] as &[&str], #slug))
            });
            let nullable_ident = format_ident!("NULLABLE_{}", snake.to_uppercase());
            let paths = |list: &Vec<Vec<String>>| -> Vec<TokenStream> {
                list.iter()
                    .map(|path| {
                        let segs = path.iter().map(|s| lit(s));
                        quote!(&[#(#segs),*] as &[&str])
                    })
                    .collect()
            };
            let nullable_entries = paths(&b.nullable);
            let object_entries = paths(&b.objects);
            let objects_ident = format_ident!("OBJECTS_{}", snake.to_uppercase());
            let limits_ident = format_ident!("LIMITS_{}", snake.to_uppercase());
            let limit_entries = b.limits.iter().map(|(path, l)| {
                let segs = path.iter().map(|s| lit(s));
                let f = |v: Option<f64>| match v {
                    Some(n) => quote!(Some(#n)),
                    None => quote!(None),
                };
                let u = |v: Option<u64>| match v {
                    Some(n) => {
                        let n = n as usize;
                        quote!(Some(#n))
                    }
                    None => quote!(None),
                };
                let (minimum, maximum) = (f(l.minimum), f(l.maximum));
                let (min_items, max_items) = (u(l.min_items), u(l.max_items));
                quote!((&[#(#segs),*] as &[&str], rt::Limits { minimum: #minimum, maximum: #maximum, min_items: #min_items, max_items: #max_items }))
            });
            items.push(quote! {
                static #hints_ident: &[(&[&str], &str)] = &[#(#hint_entries),*];
                static #nullable_ident: &[&[&str]] = &[#(#nullable_entries),*];
                static #objects_ident: &[&[&str]] = &[#(#object_entries),*];
                static #limits_ident: &[(&[&str], rt::Limits)] = &[#(#limit_entries),*];
            });
            if b.required {
                args.push(quote!(body: #ty));
                steps.push(quote! {
                    let body = match rt::json_body::<#ty>(&parts, body, &rt::BodyRules { hints: #hints_ident, nullable: #nullable_ident, objects: #objects_ident, limits: #limits_ident }).await {
                        Ok(v) => v,
                        Err(rejection) => return api.reject(OP, rejection).into_response(),
                    };
                });
            } else {
                args.push(quote!(body: Option<#ty>));
                steps.push(quote! {
                    let body = match rt::optional_json_body::<#ty>(&parts, body, &rt::BodyRules { hints: #hints_ident, nullable: #nullable_ident, objects: #objects_ident, limits: #limits_ident }).await {
                        Ok(v) => v,
                        Err(rejection) => return api.reject(OP, rejection).into_response(),
                    };
                });
            }
            call_args.push(quote!(body));
            fingerprinted.push((lit("body"), format_ident!("body")));
        }

        // The response type.
        let response_ident = format_ident!("{camel}Response");
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        for s in successes(spec, op, idempotency_key.is_some())? {
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
            "The success responses of `{}`; errors go through `Api::Halt`.",
            op.id
        );
        items.push(quote! {
            #[doc = #rdoc]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #response_ident { #(#variants,)* }
            impl ::axum::response::IntoResponse for #response_ident {
                fn into_response(self) -> ::axum::response::Response {
                    match self { #(#arms,)* }
                }
            }
        });

        methods.push(quote! {
            #[doc = #doc]
            fn #method_ident(&self, #(#args),*) -> impl ::std::future::Future<Output = Result<#response_ident, Self::Halt>> + Send;
        });

        let body_param = if reads_body { quote!(body) } else { quote!(_body) };
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
        items.push(quote! {
            async fn #handler_ident<A: Api>(
                ::axum::extract::State(api): ::axum::extract::State<::std::sync::Arc<A>>,
                request: ::axum::extract::Request,
            ) -> ::axum::response::Response {
                const OP: &Operation = &OPERATIONS[#index];
                let (#parts_mut, #body_param) = request.into_parts();
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
        let method = op.method.to_uppercase();
        match routes.iter_mut().find(|(p, _, _)| p == op.path) {
            Some((_, list, methods)) => {
                list.push(route);
                methods.push(method);
            }
            None => routes.push((op.path.to_string(), vec![route], vec![method])),
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

    Ok(quote! {
        //! The server side of the contract: one trait method per operation, and the router that
        //! checks each request against the contract before calling it.

        use ::axum::response::IntoResponse;

        use crate::operations::{Operation, OPERATIONS};
        use crate::server_runtime as rt;
        use crate::types;

        pub use crate::server_runtime::{Location, Rejection, Work};

        /// The API as a trait: implement every method (there are no defaults, so an operation
        /// added to the contract does not compile until it is implemented).
        pub trait Api: Send + Sync + 'static {
            /// Who is calling, as `authorize` established it; handed to every method.
            type Context: Send + 'static;
            /// Any answer that is not the operation's success response: an error, or a
            /// stored answer replayed.
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

            #(#methods)*
        }

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
