//! Where a request goes wrong before its body: unknown routes, wrong methods, bad parameters.

use reqwest::Method;
use serde_json::json;
use taos_conformance::*;

e2e!(unknown_routes_are_route_not_found);
/// Paths outside the contract are 404 `route_not_found`, with or without credentials.
async fn unknown_routes_are_route_not_found(s: &Server) {
    let admin = s.setup_admin().await;
    for path in [
        "/nope",
        "/api/nope",
        "/api/agents/research-bot/nope",
        "/api/agents/research-bot/token/issue/extra",
        "/api/v1/agents",
        "/auth",
        "/auth/me",
        "/api/ui",
        "/api/notifications/count",
    ] {
        let err = s.get(path).send().await.expect_error(404, "route_not_found");
        assert!(
            err.fix().contains("/api") || err.fix().contains("openapi"),
            "{path}: {}",
            err.fix()
        );
        s.get(path)
            .bearer(&admin.token)
            .send()
            .await
            .expect_error(404, "route_not_found");
        s.post(path)
            .bearer(&admin.token)
            .json(&json!({}))
            .send()
            .await
            .expect_error(404, "route_not_found");
    }
}

e2e!(wrong_methods_are_method_not_allowed_with_allow);
/// A known path with a method it does not have is 405 `method_not_allowed` with an `Allow`
/// header naming the methods it does have.
async fn wrong_methods_are_method_not_allowed_with_allow(s: &Server) {
    let admin = s.setup_admin().await;
    for (method, path, allowed) in [
        (Method::PATCH, "/api/agents", &["GET", "POST"][..]),
        (Method::DELETE, "/api/agents", &["GET", "POST"]),
        (
            Method::POST,
            "/api/agents/research-bot",
            &["GET", "PUT", "DELETE"],
        ),
        (
            Method::PATCH,
            "/api/agents/research-bot",
            &["GET", "PUT", "DELETE"],
        ),
        (Method::GET, "/api/agents/research-bot/token/issue", &["POST"]),
        (Method::POST, "/api/agents/research-bot/token", &["DELETE"]),
        (Method::DELETE, "/api/health", &["GET"]),
        (Method::GET, "/auth/setup", &["POST"]),
        (Method::GET, "/api/ui/notify", &["POST"]),
        (Method::PUT, "/api/notifications/read-all", &["POST"]),
    ] {
        for authed in [false, true] {
            let mut req = s.request(method.clone(), path);
            if authed {
                req = req.bearer(&admin.token);
            }
            let err = req.send().await.expect_error(405, "method_not_allowed");
            let allow = err
                .header("allow")
                .unwrap_or_else(|| panic!("{method} {path}: 405 without an Allow header"));
            let mut got: Vec<String> = allow.split(',').map(|m| m.trim().to_ascii_uppercase()).collect();
            got.retain(|m| m != "HEAD" && m != "OPTIONS");
            got.sort();
            let mut want: Vec<String> = allowed.iter().map(|m| m.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{method} {path}: Allow: {allow}");
        }
    }
}

e2e!(bad_parameters_are_invalid_parameter);
/// Query and path parameters outside the contract are 422 `invalid_parameter` naming them.
async fn bad_parameters_are_invalid_parameter(s: &Server) {
    let admin = s.setup_admin().await;
    for (path, param) in [
        ("/api/agents?limit=0", "limit"),
        ("/api/agents?limit=201", "limit"),
        ("/api/agents?limit=ten", "limit"),
        ("/api/agents?limit=1.5", "limit"),
        ("/api/agents?cursor=123", "cursor"),
        ("/api/agents/archived?cursor=zzz", "cursor"),
        ("/api/users?limit=99999999999999999999999", "limit"),
        ("/api/auth/tokens?limit=-5", "limit"),
        ("/api/notifications?unread_only=2", "unread_only"),
        ("/api/agents/Research_Bot", "name"),
        ("/api/agents/-bad-", "name"),
        ("/api/agents/research--bot/export", "name"),
        (&format!("/api/agents/{}", "a".repeat(64)), "name"),
        ("/api/agents/archived/not-a-uuid/restore", "id"),
        ("/api/users/42", "id"),
        ("/api/auth/tokens/xyz", "id"),
    ] {
        let method = if path.ends_with("/restore") {
            Method::POST
        } else if path.starts_with("/api/users/") || path.starts_with("/api/auth/tokens/") {
            Method::DELETE
        } else {
            Method::GET
        };
        let err = s
            .request(method.clone(), path)
            .bearer(&admin.token)
            .send()
            .await
            .expect_error(422, "invalid_parameter");
        assert_eq!(err.body["parameter"], param, "{method} {path}: {}", err.body);
    }
}
