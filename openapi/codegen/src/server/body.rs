//! Request bodies: the generated type, and the rules the runtime checks beyond it.

use anyhow::{Result, anyhow};
use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{Op, lit};
use crate::spec::{self, Spec};

pub(super) struct Body {
    pub(super) ty: TokenStream,
    pub(super) required: bool,
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

pub(super) fn body(spec: &Spec, op: &Op) -> Result<Option<Body>> {
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

impl Body {
    /// The statics holding the body's rules (named after the operation, `snake`), and the
    /// `rt::BodyRules` expression that refers to them.
    pub(super) fn rules(&self, snake: &str) -> (TokenStream, TokenStream) {
        let hints_ident = format_ident!("HINTS_{}", snake.to_uppercase());
        let hint_entries = self.hints.iter().map(|(path, slug)| {
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
        let nullable_entries = paths(&self.nullable);
        let object_entries = paths(&self.objects);
        let objects_ident = format_ident!("OBJECTS_{}", snake.to_uppercase());
        let limits_ident = format_ident!("LIMITS_{}", snake.to_uppercase());
        let limit_entries = self.limits.iter().map(|(path, l)| {
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
        let statics = quote! {
            static #hints_ident: &[(&[&str], &str)] = &[#(#hint_entries),*];
            static #nullable_ident: &[&[&str]] = &[#(#nullable_entries),*];
            static #objects_ident: &[&[&str]] = &[#(#object_entries),*];
            static #limits_ident: &[(&[&str], rt::Limits)] = &[#(#limit_entries),*];
        };
        let rules = quote!(rt::BodyRules { hints: #hints_ident, nullable: #nullable_ident, objects: #objects_ident, limits: #limits_ident });
        (statics, rules)
    }
}
