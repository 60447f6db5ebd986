//! What a person or an agent meets first, over plain HTTP: `/` answers a program with the
//! discovery index, the served contract names the server it was fetched from (so the API
//! page's "Try it out" works from any host name and port), the API page is titled for taOS and
//! offers bearer authorization, and a notification reads back with the names it was sent with.
//! (The pages for people, `/` for a browser and `/setup`, are in pages/; the same in a real
//! browser in browser.rs.)

use serde_json::{Value, json};
use taos_conformance::*;

e2e!(the_front_door_answers_programs_with_the_index);
/// `GET /` without `text/html` in `Accept` (curl's `*/*`, an agent's `application/json`, none
/// at all) is the discovery index, exactly as `GET /api` answers it, with or without a user.
async fn the_front_door_answers_programs_with_the_index(s: &Server) {
    let index = s.get("/api").send().await.expect_json(200);
    for accept in [
        None,
        Some("*/*"),
        Some("application/json"),
        Some("text/html;q=0, */*"),
    ] {
        let mut req = s.get("/");
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let resp = req.send().await;
        assert_eq!(resp.header("vary"), Some("Accept"), "{accept:?}");
        assert!(
            resp.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json"),
            "{accept:?}"
        );
        assert_eq!(resp.expect_json(200), index, "Accept {accept:?}");
    }
    assert_eq!(index["openapi_url"], "/openapi.json");
    assert_eq!(index["docs_url"], "/docs/agents/");
    assert_eq!(index["llms_txt_url"], "/llms.txt");

    s.setup_admin().await;
    assert_eq!(s.get("/").send().await.expect_json(200), index);
    s.post("/").send().await.expect_error(405, "method_not_allowed");
}

/// `/openapi.json` as fetched with `Host: host` (and more headers).
async fn served_contract(s: &Server, host: &str, more: &[(&str, &str)]) -> Value {
    let mut req = s.get("/openapi.json").header("host", host);
    for (k, v) in more {
        req = req.header(*k, *v);
    }
    req.send().await.expect_json(200)
}

e2e!(the_served_contract_names_the_server_it_came_from);
/// `servers` in `/openapi.json` is the origin the client used: `localhost` or `127.0.0.1`, any
/// port, https behind a proxy that says so; the YAML keeps its documented default.
async fn the_served_contract_names_the_server_it_came_from(s: &Server) {
    let port = s
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "localhost:8443".into(),
    ] {
        let spec = served_contract(s, &host, &[]).await;
        let servers = spec["servers"].as_array().expect("servers");
        assert_eq!(servers.len(), 1, "{servers:?}");
        assert_eq!(servers[0]["url"], format!("http://{host}"), "Host {host}");
    }
    // (`Host` must pass the allow-list: an IP literal does.)
    let spec = served_contract(s, "192.0.2.7", &[("x-forwarded-proto", "https")]).await;
    assert_eq!(spec["servers"][0]["url"], "https://192.0.2.7");

    // Fetched through the harness's own address, "Try it out" calls exactly that.
    let spec = s.get("/openapi.json").send().await.expect_json(200);
    assert_eq!(
        spec["servers"][0]["url"].as_str(),
        Some(s.url().trim_end_matches('/'))
    );

    let yaml = spec::json();
    assert_eq!(
        yaml["servers"][0]["url"], "http://127.0.0.1:6969",
        "the file's default"
    );
}

e2e!(the_api_page_is_titled_for_taos_and_takes_a_bearer_token);
/// `/docs/api` is "taOS agent API", not "Swagger UI", loads the served contract, and the
/// contract offers the bearer scheme the page's "Authorize" button is built from.
async fn the_api_page_is_titled_for_taos_and_takes_a_bearer_token(s: &Server) {
    let resp = s.get("/docs/api/").send().await;
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text();
    assert!(html.contains("<title>taOS agent API</title>"), "{html:.400}");
    assert!(!html.contains("<title>Swagger UI</title>"));
    let init = s
        .get("/docs/api/swagger-initializer.js")
        .send()
        .await
        .expect_status(200)
        .text();
    assert!(
        init.contains("\"/openapi.json\""),
        "the page loads /openapi.json: {init}"
    );
    s.get("/docs/api/no-such-file.js")
        .send()
        .await
        .expect_error(404, "route_not_found");

    let spec = s.get("/openapi.json").send().await.expect_json(200);
    let bearer = &spec["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "{bearer}");
    assert_eq!(bearer["scheme"], "bearer", "{bearer}");
    assert!(
        spec["security"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("bearer").is_some()),
        "operations take the bearer scheme"
    );
}

e2e!(the_api_page_goes_gzipped_only_to_clients_that_take_it);
/// The Swagger UI's files are kept gzipped: a browser (Accept-Encoding gzip) gets them so, a
/// client that does not say it takes gzip gets them plain, and the page itself is always plain
/// (it is retitled).
async fn the_api_page_goes_gzipped_only_to_clients_that_take_it(s: &Server) {
    let path = "/docs/api/swagger-ui-bundle.js";
    let plain = s.get(path).send().await.expect_status(200);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(
        plain
            .header("vary")
            .is_some_and(|v| v.contains("accept-encoding"))
    );
    let js = plain.bytes().to_vec();
    assert!(
        js.len() > 500_000 && std::str::from_utf8(&js).is_ok(),
        "{} bytes",
        js.len()
    );

    let packed = s
        .get(path)
        .header("accept-encoding", "gzip, deflate")
        .send()
        .await
        .expect_status(200);
    assert_eq!(packed.header("content-encoding"), Some("gzip"));
    let gz = packed.bytes();
    assert!(
        gz.starts_with(&[0x1f, 0x8b]) && gz.len() < js.len() / 2,
        "{} bytes",
        gz.len()
    );
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut unpacked).expect("gzip");
    assert_eq!(unpacked, js);

    let page = s
        .get("/docs/api/")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect_status(200);
    assert_eq!(page.header("content-encoding"), None);
    assert!(page.text().contains("<title>taOS agent API</title>"));
}

e2e!(notifications_read_back_as_body_and_priority);
/// A notification sent with `body` and `priority` reads back with `body` and `priority`; the
/// old `message` and `level` hold the same values and are marked deprecated in the contract.
async fn notifications_read_back_as_body_and_priority(s: &Server) {
    let admin = s.setup_admin().await;
    for (body, priority) in [("PR #449 merged.", "high"), ("", "low"), ("fine", "normal")] {
        s.post("/api/ui/notify")
            .bearer(&admin.token)
            .json(&json!({"title": "t", "body": body, "priority": priority}))
            .send()
            .await
            .expect_status(200);
        let list = s
            .get("/api/notifications")
            .bearer(&admin.token)
            .send()
            .await
            .expect_json(200);
        let n = &list["items"][0];
        assert_eq!(n["body"], body, "{n}");
        assert_eq!(n["priority"], priority, "{n}");
        assert_eq!(n["message"], body, "{n}");
        assert_eq!(n["level"], priority, "{n}");
    }
    // Left out, they read back as the defaults.
    s.post("/api/ui/notify")
        .bearer(&admin.token)
        .json(&json!({"title": "bare"}))
        .send()
        .await
        .expect_status(200);
    let typed = s.client(&admin.token).list_notifications().send().await.value();
    assert_eq!(typed.items[0].body, "");
    assert_eq!(typed.items[0].priority, types::Priority::Normal);

    let yaml = spec::json();
    let props = &yaml["components"]["schemas"]["Notification"]["properties"];
    assert_eq!(props["message"]["deprecated"], true);
    assert_eq!(props["level"]["deprecated"], true);
    assert!(props["body"]["deprecated"].is_null());
    let required: Vec<&str> = yaml["components"]["schemas"]["Notification"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in ["body", "priority", "message", "level"] {
        assert!(required.contains(&field), "{field} is always sent");
    }
}
