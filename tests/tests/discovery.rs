//! Discovery: `GET /api` derived from the contract's tags, the contract served as YAML and
//! JSON, health, and the interactive API page.

use std::collections::BTreeSet;

use serde_json::Value;
use taos_conformance::*;

e2e!(api_index_lists_every_area_of_the_contract);
/// `GET /api` needs no credentials and lists every tag of the contract with its title, doc
/// page, path prefix and the scopes its operations require.
async fn api_index_lists_every_area_of_the_contract(s: &Server) {
    let resp = s.get("/api").send().await;
    assert!(resp.headers().contains_key("x-request-id"));
    let body = resp.expect_json(200);
    let index: types::ApiIndex = from_json(body.clone());
    assert_eq!(index.openapi_url, "/openapi.json");
    assert_eq!(index.docs_url, "/docs/agents/");

    let doc = spec::json();
    let ops = spec::operations(&doc);
    let tags = doc["tags"].as_array().expect("tags");
    assert_eq!(index.routes.len(), tags.len(), "one route per tag: {body}");
    for tag in tags {
        let name = tag["name"].as_str().unwrap();
        let title = tag["x-displayName"].as_str().unwrap();
        let route = index
            .routes
            .iter()
            .find(|r| r.title == title)
            .unwrap_or_else(|| panic!("tag {name} ({title}) is missing from GET /api: {body}"));
        assert_eq!(route.doc_url, tag["x-taos-doc"].as_str().unwrap(), "{name}");
        let tag_ops: Vec<_> = ops.iter().filter(|o| o.tag == name).collect();
        let want: BTreeSet<&str> = tag_ops.iter().filter_map(|o| o.scope.as_deref()).collect();
        let got: BTreeSet<&str> = route.scopes.iter().map(String::as_str).collect();
        assert_eq!(got, want, "scopes of {name}");
        assert_eq!(
            got.len(),
            route.scopes.len(),
            "{name}: duplicate scopes {:?}",
            route.scopes
        );
        for op in tag_ops {
            assert!(
                op.path.starts_with(&route.prefix),
                "{name}: {} is not under prefix {}",
                op.path,
                route.prefix
            );
        }
    }

    // The same with credentials.
    let admin = s.setup_admin().await;
    let authed = s.client(&admin.token).get_api_index().send().await.value();
    assert_eq!(authed, index);
}

e2e!(the_contract_is_served_as_written);
/// `/openapi.yaml` is `openapi/taos.yaml` byte for byte; `/openapi.json` is the same document
/// but for `servers`.
async fn the_contract_is_served_as_written(s: &Server) {
    let resp = s.get("/openapi.yaml").send().await;
    assert_eq!(resp.status().as_u16(), 200);
    let served = resp.bytes();
    let file = spec::text();
    assert!(
        served == file.as_bytes(),
        "/openapi.yaml differs from openapi/taos.yaml"
    );

    let resp = s.get("/openapi.json").send().await;
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/json"),
        "/openapi.json Content-Type {ct}"
    );
    let json: Value = resp.json();
    let yaml = spec::json();
    assert_eq!(json["openapi"], "3.0.3");
    assert_eq!(json["info"], yaml["info"]);
    let mut from_json = spec::operations(&json);
    let mut from_yaml = spec::operations(&yaml);
    let by_route =
        |a: &spec::SpecOperation, b: &spec::SpecOperation| (&a.path, &a.method).cmp(&(&b.path, &b.method));
    from_json.sort_by(by_route);
    from_yaml.sort_by(by_route);
    assert_eq!(
        from_json, from_yaml,
        "/openapi.json has other operations than openapi/taos.yaml"
    );
    assert_eq!(json["components"], yaml["components"]);
    // Only `servers` differs: this server, as the document was fetched (see front_door.rs).
    let (mut json, mut yaml) = (json, yaml);
    assert_eq!(
        json["servers"][0]["url"].as_str(),
        Some(s.url().trim_end_matches('/'))
    );
    json.as_object_mut().unwrap().remove("servers");
    yaml.as_object_mut().unwrap().remove("servers");
    assert_eq!(json, yaml, "/openapi.json is not the YAML document as JSON");
}

e2e!(health_answers_ok_with_the_version);
/// `GET /api/health` is `{status: "ok", version}` without credentials.
async fn health_answers_ok_with_the_version(s: &Server) {
    let body = s.get("/api/health").send().await.expect_json(200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"), "{body}");
    let health = s.anon().get_health().send().await.value();
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
}

e2e!(interactive_api_docs_are_served);
/// `/docs/api` serves an HTML page for people.
async fn interactive_api_docs_are_served(s: &Server) {
    let resp = s.get("/docs/api").send().await;
    assert_eq!(resp.status().as_u16(), 200, "final URL {}", resp.url());
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("text/html"), "Content-Type {ct}");
    let html = resp.text().to_ascii_lowercase();
    assert!(
        html.contains("<html") || html.contains("<!doctype html"),
        "{html:.200}"
    );
}
