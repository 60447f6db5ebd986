//! The MCP tools: every operation marked `x-mcp` becomes one tool of `/mcp`, with its name,
//! description, input and output schema and annotations derived from the contract, and a
//! dispatch table that hands a call to the operation's generated steps (`run_<op>`), so a
//! tool call is authorized, checked and answered exactly like the HTTP request.
//!
//! A tool's arguments are flat: the path and query parameters and the JSON body's properties
//! side by side (`create_agent {name, color}`, `get_agent {name}`), plus `idempotency_key` for
//! the operations that take an `Idempotency-Key`. The schemas are the contract's own, turned
//! from OpenAPI 3.0 into JSON Schema 2020-12 (MCP's dialect): `nullable` becomes a `"null"`
//! type, component references point into `$defs`, `example` and `x-` extensions are dropped.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};

use super::params::params;
use super::{IDEMPOTENCY_KEY, Op, lit, ops};
use crate::spec::{self, Spec};

/// The argument that carries an operation's `Idempotency-Key`.
pub(crate) const KEY_ARGUMENT: &str = "idempotency_key";

/// Tags whose operations never become tools: people's accounts and passwords stay with the
/// person (the sign-in page, `taosctl login`), not with a model.
const NO_TOOLS_TAGS: &[&str] = &["accounts", "users"];

/// What an operation's success answer is, as a tool result.
#[derive(Debug, PartialEq)]
pub(crate) enum Output {
    /// A JSON object: the result's structured content (and its text).
    Json,
    /// No body (204).
    Empty,
    /// A text body (NDJSON lines): the result's text.
    Text,
}

/// One tool, as generated.
pub(crate) struct Tool<'a> {
    pub op: &'a Op<'a>,
    pub name: String,
    pub title: String,
    pub description: String,
    pub input_schema: Value,
    pub output_schema: Option<Value>,
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub idempotency_key: bool,
    /// (name, JSON type) of the path and the query parameters.
    pub path: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    /// `Some(required)` when the operation takes a JSON body.
    pub body: Option<bool>,
    pub output: Output,
}

/// `x-mcp` on an operation: `true`, or an object overriding what the method alone does not
/// tell (`destructive: true` for a POST that revokes or stops, `idempotent: true` for one
/// that is safe to repeat).
struct Marking {
    destructive: bool,
    idempotent: bool,
}

fn marking(op: &Op) -> Result<Option<Marking>> {
    let Some(x) = op.value.get("x-mcp") else {
        return Ok(None);
    };
    let mut m = Marking {
        destructive: false,
        idempotent: false,
    };
    match x {
        Value::Bool(true) => {}
        Value::Object(o) => {
            for (k, v) in o {
                let flag = v
                    .as_bool()
                    .ok_or_else(|| anyhow!("{}: x-mcp.{k} must be true or false", op.id))?;
                match k.as_str() {
                    "destructive" => m.destructive = flag,
                    "idempotent" => m.idempotent = flag,
                    other => bail!(
                        "{}: x-mcp takes `destructive` and `idempotent`, not `{other}`",
                        op.id
                    ),
                }
            }
        }
        _ => bail!("{}: x-mcp must be `true` or an object of flags", op.id),
    }
    Ok(Some(m))
}

/// Every `x-mcp` operation as a tool, in document order; an operation that cannot be mapped
/// is an error (so `codegen lint` reports it).
pub(crate) fn tools<'a>(spec: &'a Spec, all: &'a [Op<'a>]) -> Result<Vec<Tool<'a>>> {
    let mut out = Vec::new();
    for op in all {
        if let Some(m) = marking(op)? {
            out.push(tool(spec, op, m)?);
        }
    }
    Ok(out)
}

fn tool<'a>(spec: &'a Spec, op: &'a Op<'a>, m: Marking) -> Result<Tool<'a>> {
    let id = op.id;
    let tag = op.value["tags"][0].as_str().unwrap_or_default();
    if NO_TOOLS_TAGS.contains(&tag) {
        bail!("{id}: operations tagged `{tag}` stay out of MCP (accounts and passwords); remove x-mcp");
    }
    if op
        .value
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        bail!("{id}: a public operation (`security: []`) is not a tool; remove x-mcp");
    }
    let mut defs = BTreeMap::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut path = Vec::new();
    let mut query = Vec::new();
    let mut idempotency_key = false;
    for p in params(spec, op)? {
        match p.location {
            "header" if p.name == IDEMPOTENCY_KEY => {
                idempotency_key = true;
                let mut s = convert(spec, p.schema, &mut defs)?;
                s["description"] = json!(
                    "Makes a retry safe: the same key gives back the first answer instead of doing it twice. \
                     Left out, the tool makes a fresh key for this call and returns it in the result's \
                     `_meta.idempotency_key`; pass that key when you retry the call."
                );
                properties.insert(KEY_ARGUMENT.into(), s);
                continue;
            }
            "header" => bail!("{id}: header parameter `{}` cannot be a tool argument", p.name),
            "path" | "query" => {}
            other => bail!("{id}: parameters in {other} cannot be tool arguments"),
        }
        let mut s = convert(spec, p.schema, &mut defs)?;
        let ty = match s.get("type").and_then(Value::as_str) {
            Some(t @ ("string" | "integer" | "number" | "boolean")) => t.to_string(),
            _ => bail!("{id}: parameter `{}` is not a string, number or boolean", p.name),
        };
        if p.location == "path" {
            path.push((p.name.to_string(), ty));
        } else {
            query.push((p.name.to_string(), ty));
        }
        let raw = op_param(spec, op, p.name);
        if let Some(d) = raw["description"]
            .as_str()
            .or_else(|| p.schema["description"].as_str())
        {
            s["description"] = json!(d.trim());
        }
        if p.required {
            required.push(p.name.to_string());
        }
        insert(id, &mut properties, p.name, s)?;
    }

    let body = match op.value.get("requestBody") {
        None => None,
        Some(rb) => {
            let rb = spec::deref(&spec.json, rb);
            let body_required = rb["required"].as_bool().unwrap_or(false);
            let schema = rb["content"]["application/json"]["schema"]
                .as_object()
                .map(|_| &rb["content"]["application/json"]["schema"])
                .ok_or_else(|| anyhow!("{id}: a tool's body must be application/json"))?;
            let schema = spec::deref(&spec.json, schema);
            let props = schema["properties"]
                .as_object()
                .ok_or_else(|| anyhow!("{id}: a tool's body must be an object with properties"))?;
            for (name, prop) in props {
                insert(id, &mut properties, name, convert(spec, prop, &mut defs)?)?;
            }
            if body_required {
                for r in schema["required"].as_array().into_iter().flatten() {
                    required.push(r.as_str().unwrap_or_default().to_string());
                }
            }
            Some(body_required)
        }
    };
    let closed = match op.value.get("requestBody") {
        None => true,
        Some(rb) => {
            let rb = spec::deref(&spec.json, rb);
            let schema = spec::deref(&spec.json, &rb["content"]["application/json"]["schema"]);
            schema["additionalProperties"] == json!(false)
        }
    };

    let mut input = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        input["required"] = json!(required);
    }
    input["additionalProperties"] = json!(!closed);

    let (output, output_schema) = success(spec, op, &mut defs)?;
    let mut output_schema = output_schema;
    // Each schema carries only the definitions it uses.
    attach_defs(spec, &mut input, &defs)?;
    if let Some(s) = output_schema.as_mut() {
        attach_defs(spec, s, &defs)?;
    }

    let method = op.method;
    let read_only = method == "get";
    let destructive = method == "delete" || m.destructive;
    if read_only && destructive {
        bail!("{id}: a GET cannot be destructive (x-mcp.destructive)");
    }
    let idempotent = matches!(method, "get" | "put" | "delete") || idempotency_key || m.idempotent;

    let summary = op.value["summary"].as_str().unwrap_or_default().trim();
    let mut description = summary.to_string();
    if let Some(d) = op.value["description"].as_str() {
        description.push_str("\n\n");
        description.push_str(d.trim());
    }
    match op.value["x-taos-scope"].as_str() {
        Some(scope) => description.push_str(&format!("\n\nNeeds the scope `{scope}`.")),
        None => description.push_str("\n\nAny valid token may call it."),
    }
    if idempotency_key {
        description.push_str(
            "\n\nSafe to retry: pass `idempotency_key` (any unique string) and a retry with the same \
             key returns the first answer; left out, a fresh key is made for this call and returned \
             in `_meta.idempotency_key`.",
        );
    }

    Ok(Tool {
        op,
        name: id.to_snake_case(),
        title: summary.to_string(),
        description,
        input_schema: input,
        output_schema,
        read_only,
        destructive,
        idempotent,
        idempotency_key,
        path,
        query,
        body,
        output,
    })
}

/// The parameter object (not deref'd schema) of `name`, for its description.
fn op_param(spec: &Spec, op: &Op, name: &str) -> Value {
    op.value["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| spec::deref(&spec.json, p))
        .find(|p| p["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn insert(id: &str, properties: &mut Map<String, Value>, name: &str, schema: Value) -> Result<()> {
    if name == KEY_ARGUMENT && properties.contains_key(name) {
        bail!("{id}: `{name}` is taken by the idempotency key");
    }
    if properties.insert(name.to_string(), schema).is_some() {
        bail!("{id}: `{name}` is both a parameter and a body property; tool arguments must be unique");
    }
    Ok(())
}

/// The success answer: its kind, and for JSON the output schema (a JSON object at the root,
/// as MCP requires; a component reference there is inlined).
fn success(spec: &Spec, op: &Op, defs: &mut BTreeMap<String, ()>) -> Result<(Output, Option<Value>)> {
    let id = op.id;
    let responses = op.value["responses"]
        .as_object()
        .ok_or_else(|| anyhow!("{id}: no responses"))?;
    let (code, response) = responses
        .iter()
        .find(|(c, _)| c.starts_with('2'))
        .ok_or_else(|| anyhow!("{id}: no success response"))?;
    let response = spec::deref(&spec.json, response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        if code == "204" {
            return Ok((Output::Empty, None));
        }
        bail!("{id}: its {code} answer has no content and is not a 204");
    };
    if let Some(json) = content.get("application/json") {
        let schema = &json["schema"];
        if spec::deref(&spec.json, schema)["type"] != "object" {
            bail!("{id}: a tool's JSON answer must be an object (MCP's structured content)");
        }
        // A failed call's structured content is the canonical error, and clients check the
        // structured content of every result against this schema (the MCP inspector, the
        // TypeScript SDK 1.x), so the schema says both.
        let success = convert(spec, schema, defs)?;
        let error = convert(spec, &json!({ "$ref": "#/components/schemas/Error" }), defs)?;
        return Ok((
            Output::Json,
            Some(json!({ "type": "object", "anyOf": [success, error] })),
        ));
    }
    if content.contains_key("application/x-ndjson") {
        return Ok((Output::Text, None));
    }
    bail!(
        "{id}: its answer ({}) is not JSON, NDJSON or empty; streams are not tools",
        content.keys().cloned().collect::<Vec<_>>().join(", ")
    )
}

/// An OpenAPI 3.0 schema as JSON Schema 2020-12, recording the components it refers to.
fn convert(spec: &Spec, schema: &Value, defs: &mut BTreeMap<String, ()>) -> Result<Value> {
    if let Some(name) = spec::schema_ref_name(schema) {
        if !defs.contains_key(name) {
            defs.insert(name.to_string(), ());
            // Walk the component once so the components it refers to are recorded too.
            let target = spec::deref(&spec.json, schema);
            convert(spec, target, defs)?;
        }
        return Ok(json!({ "$ref": format!("#/$defs/{name}") }));
    }
    let Some(obj) = schema.as_object() else {
        return Ok(schema.clone());
    };
    let mut out = Map::new();
    for (k, v) in obj {
        if k.starts_with("x-")
            || matches!(
                k.as_str(),
                "example" | "nullable" | "discriminator" | "xml" | "externalDocs"
            )
        {
            continue;
        }
        let v = match k.as_str() {
            "properties" => Value::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| Ok((name.clone(), convert(spec, s, defs)?)))
                    .collect::<Result<Map<_, _>>>()?,
            ),
            "items" | "not" => convert(spec, v, defs)?,
            "additionalProperties" if v.is_object() => convert(spec, v, defs)?,
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| convert(spec, s, defs))
                    .collect::<Result<_>>()?,
            ),
            "description" => json!(v.as_str().unwrap_or_default().trim()),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    // `nullable` as `anyOf [.., null]` rather than a type list: more clients take it
    // (the inspector's strict mode flags type lists as unportable, e.g. to Gemini).
    if obj.get("nullable") == Some(&json!(true)) {
        let description = out.remove("description");
        let mut wrapped = Map::new();
        wrapped.insert("anyOf".into(), json!([Value::Object(out), { "type": "null" }]));
        if let Some(d) = description {
            wrapped.insert("description".into(), d);
        }
        return Ok(Value::Object(wrapped));
    }
    Ok(Value::Object(out))
}

/// Puts the components `schema` refers to (directly or through each other) under its `$defs`.
fn attach_defs(spec: &Spec, schema: &mut Value, all: &BTreeMap<String, ()>) -> Result<()> {
    let mut used = BTreeMap::new();
    let mut todo = refs(schema);
    while let Some(name) = todo.pop() {
        if used.contains_key(&name) || !all.contains_key(&name) {
            continue;
        }
        let target = &spec.json["components"]["schemas"][&name];
        if target.is_null() {
            bail!("a reference to the missing component `{name}`");
        }
        let converted = convert(spec, target, &mut BTreeMap::new())?;
        todo.extend(refs(&converted));
        used.insert(name, converted);
    }
    if !used.is_empty() {
        schema["$defs"] = Value::Object(used.into_iter().collect());
    }
    Ok(())
}

/// The `$defs` names a converted schema refers to.
fn refs(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Value::Object(o) => {
            if let Some(r) = o
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            {
                out.push(r.to_string());
            }
            for (k, x) in o {
                if k != "$defs" {
                    out.extend(refs(x));
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| out.extend(refs(x))),
        _ => {}
    }
    out
}

/// `openapi/src/generated/mcp.rs`: the tool table and the dispatch to each operation's steps.
pub fn mcp(spec: &Spec) -> Result<TokenStream> {
    let all = ops(spec)?;
    let tools = tools(spec, &all)?;
    let entries = tools.iter().map(|t| {
        let index = t.op.index;
        let name = lit(&t.name);
        let title = lit(&t.title);
        let description = lit(&t.description);
        let input = lit(&serde_json::to_string(&t.input_schema).expect("a JSON value"));
        let output = match &t.output_schema {
            Some(s) => {
                let s = lit(&serde_json::to_string(s).expect("a JSON value"));
                quote!(Some(#s))
            }
            None => quote!(None),
        };
        let (read_only, destructive, idempotent, key) =
            (t.read_only, t.destructive, t.idempotent, t.idempotency_key);
        let arg = |(name, ty): &(String, String)| {
            let name = lit(name);
            let kind = format_ident!("{}", ty.to_upper_camel_case());
            quote!(rt::mcp::Arg { name: #name, kind: rt::mcp::ArgKind::#kind })
        };
        let path = t.path.iter().map(arg);
        let query = t.query.iter().map(arg);
        let body = match t.body {
            None => quote!(rt::mcp::BodyArgs::None),
            Some(true) => quote!(rt::mcp::BodyArgs::Required),
            Some(false) => quote!(rt::mcp::BodyArgs::Optional),
        };
        let out = match t.output {
            Output::Json => quote!(rt::mcp::Output::Json),
            Output::Empty => quote!(rt::mcp::Output::Empty),
            Output::Text => quote!(rt::mcp::Output::Text),
        };
        quote! {
            rt::mcp::Tool {
                op: &OPERATIONS[#index],
                name: #name,
                title: #title,
                description: #description,
                input_schema: #input,
                output_schema: #output,
                read_only: #read_only,
                destructive: #destructive,
                idempotent: #idempotent,
                idempotency_key: #key,
                path: &[#(#path),*],
                query: &[#(#query),*],
                body: #body,
                output: #out,
            }
        }
    });
    let arms = tools.iter().map(|t| {
        let id = lit(t.op.id);
        let run = format_ident!("run_{}", t.op.id.to_snake_case());
        quote!(#id => crate::server::#run(api, parts, Ok(raw), body).await,)
    });
    Ok(quote! {
        //! The MCP tools: the contract's operations marked `x-mcp`, each with the schemas and
        //! annotations derived from it, and the dispatch of a call to the operation's own steps
        //! (authorize, check, run), so a tool can do exactly what the same request over HTTP can.

        use crate::operations::OPERATIONS;
        use crate::server::Api;
        use crate::server_runtime as rt;

        /// Every tool, in the contract's order.
        pub static TOOLS: &[rt::mcp::Tool] = &[#(#entries),*];

        /// Runs `tool`'s operation on a call already turned into its request
        /// ([`rt::mcp::Tool::request`]).
        pub async fn call<A: Api>(
            api: ::std::sync::Arc<A>,
            tool: &rt::mcp::Tool,
            call: rt::mcp::Call,
        ) -> ::axum::response::Response {
            let rt::mcp::Call { parts, raw, body } = call;
            match tool.op.id {
                #(#arms)*
                _ => rt::mcp::not_a_tool(tool),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real contract, with `edit` applied to its JSON.
    fn contract(edit: impl FnOnce(&mut Value)) -> Spec {
        let mut spec = crate::spec::load(&crate::root()).expect("the contract loads");
        edit(&mut spec.json);
        spec
    }

    fn mapped(spec: &Spec) -> Result<Vec<String>> {
        let all = ops(spec)?;
        Ok(tools(spec, &all)?.into_iter().map(|t| t.name).collect())
    }

    #[test]
    fn the_contract_maps_onto_tools() {
        let spec = contract(|_| {});
        let all = ops(&spec).unwrap();
        let tools = tools(&spec, &all).unwrap();
        let get = tools.iter().find(|t| t.name == "get_agent").unwrap();
        assert!(get.read_only && !get.destructive && get.idempotent);
        assert_eq!(get.path, vec![("name".to_string(), "string".to_string())]);
        let create = tools.iter().find(|t| t.name == "create_agent").unwrap();
        assert!(create.idempotency_key && create.idempotent && !create.read_only);
        assert!(create.input_schema["properties"][KEY_ARGUMENT].is_object());
        assert_eq!(create.input_schema["additionalProperties"], json!(false));
        let stop = tools.iter().find(|t| t.name == "stop_agent").unwrap();
        assert!(stop.destructive && stop.idempotent, "from x-mcp");
        assert!(
            tools
                .iter()
                .all(|t| !t.input_schema.to_string().contains("#/components/"))
        );
    }

    #[test]
    fn unmappable_markings_are_refused() {
        let mark = |path: &'static str, method: &'static str, value: Value| {
            contract(move |doc| doc["paths"][path][method]["x-mcp"] = value)
        };
        let err = |spec: Spec| mapped(&spec).expect_err("refused").to_string();
        assert!(err(mark("/api/health", "get", json!(true))).contains("public operation"));
        assert!(err(mark("/auth/login", "post", json!(true))).contains("stay out"));
        assert!(err(mark("/api/users", "post", json!(true))).contains("stay out"));
        assert!(err(mark("/api/agents/{name}/logs/stream", "get", json!(true))).contains("header parameter"));
        assert!(
            err(mark("/api/agents/{name}", "get", json!({"destructive": true})))
                .contains("cannot be destructive")
        );
        assert!(err(mark("/api/agents/{name}", "get", json!({"readonly": true}))).contains("not `readonly`"));
        assert!(err(mark("/api/agents/{name}", "get", json!("yes"))).contains("must be `true`"));
        // A body field named like a parameter would make two arguments of one name.
        let clash = contract(|doc| {
            doc["components"]["schemas"]["AgentUpdate"]["properties"]["name"] = json!({"type": "string"});
        });
        assert!(err(clash).contains("both a parameter and a body property"));
    }
}
