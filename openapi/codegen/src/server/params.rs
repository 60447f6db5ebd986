//! Path, query and header parameters: their Rust types and the runtime calls that parse them.

use anyhow::{Context, Result, anyhow, bail};
use heck::ToSnakeCase;
use proc_macro2::Literal;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{Op, lit, opt_lit};
use crate::spec::{self, Spec};

pub(super) struct Param<'a> {
    pub(super) name: &'a str,
    pub(super) location: &'a str,
    pub(super) required: bool,
    pub(super) schema: &'a Value,
    pub(super) hint: Option<&'a str>,
}

pub(super) fn params<'a>(spec: &'a Spec, op: &Op<'a>) -> Result<Vec<Param<'a>>> {
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
pub(super) fn param_parser(
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
            let one_of = match s["enum"].as_array() {
                Some(values) => {
                    let values: Vec<Literal> = values
                        .iter()
                        .map(|v| {
                            v.as_str().map(lit).ok_or_else(|| {
                                anyhow::anyhow!("{}: enum values of {} must be strings", op.id, p.name)
                            })
                        })
                        .collect::<Result<_>>()?;
                    quote!(Some(&[#(#values),*]))
                }
                None => quote!(None),
            };
            let parse = quote!(rt::string(#name, #location, #raw, &rt::StringRules { min_length: #min, max_length: #max, pattern: #pattern, one_of: #one_of, hint: #hint }));
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
