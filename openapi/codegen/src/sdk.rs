//! Shared types and the client, both from progenitor (so both sides use exactly the types the
//! client was built around).

use anyhow::{Result, anyhow};
use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TypeImpl};

use crate::spec::Spec;

fn settings() -> GenerationSettings {
    let mut s = GenerationSettings::default();
    s.with_interface(InterfaceStyle::Builder).with_derive("PartialEq");
    s
}

/// `taos_api::types`: every schema of the contract as a Rust type (typify's type space).
pub fn types(spec: &Spec) -> Result<TokenStream> {
    let mut generator = Generator::new(&settings());
    generator
        .generate_tokens(&spec.typed)
        .map_err(|e| anyhow!("progenitor: {e}"))?;
    let types = generator.get_type_space().to_stream();
    Ok(quote::quote! {
        #![allow(clippy::all, unused_imports, irrefutable_let_patterns)]
        #types
    })
}

/// `taos_client`'s generated SDK, with every component schema replaced by the shared type.
pub fn client(spec: &Spec) -> Result<TokenStream> {
    let mut s = settings();
    if let Some(schemas) = spec.json["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let is_string_enum = schema["type"] == "string" && schema.get("enum").is_some();
            let impls = if is_string_enum {
                vec![TypeImpl::FromStr, TypeImpl::Display]
            } else {
                vec![]
            };
            s.with_replacement(name, format!("::taos_api::types::{name}"), impls.into_iter());
        }
    }
    let tokens = Generator::new(&s)
        .generate_tokens(&spec.typed)
        .map_err(|e| anyhow!("progenitor: {e}"))?;
    Ok(quote::quote! {
        #![allow(clippy::all, unused_imports, irrefutable_let_patterns, mismatched_lifetime_syntaxes)]
        #tokens
    })
}
