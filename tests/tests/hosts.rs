//! DNS rebinding: a web page whose DNS name is pointed at 127.0.0.1 reaches taosd with its own
//! name in `Host`. taosd answers only `localhost`, IP addresses and the names in
//! `TAOS_ALLOWED_HOSTS`, on every route.

use taos_conformance::{Server, e2e, serde_json};

fn port(s: &Server) -> String {
    s.url().rsplit(':').next().expect("a port").to_string()
}

e2e!(a_rebinding_host_is_refused_everywhere);
/// `Host: evil.example` (with and without the port) is refused on `/auth/setup`, which does
/// not run, and on the API, the docs and the pages; the fix names `TAOS_ALLOWED_HOSTS`.
async fn a_rebinding_host_is_refused_everywhere(s: &Server) {
    let evil = format!("evil.example:{}", port(s));
    let setup =
        serde_json::json!({"username": "mallory", "password": "correct horse battery", "full_name": "M"});
    let refused = s
        .post("/auth/setup")
        .header("host", &evil)
        .json(&setup)
        .send()
        .await
        .expect_error(421, "host_not_allowed");
    assert!(refused.fix().contains("TAOS_ALLOWED_HOSTS"), "{}", refused.fix());
    for path in [
        "/api/health",
        "/api",
        "/openapi.json",
        "/docs/agents/",
        "/llms.txt",
        "/login",
    ] {
        for host in [evil.as_str(), "evil.example", "127.0.0.1.evil.example"] {
            s.get(path)
                .header("host", host)
                .send()
                .await
                .expect_error(421, "host_not_allowed");
        }
    }
    // The refused setup did not happen: the operator's own setup still works.
    s.setup_admin().await;
}

e2e!(localhost_and_ip_addresses_are_answered);
/// The names a local client uses: the bound address, `localhost`, the loopback addresses, with
/// or without the port.
async fn localhost_and_ip_addresses_are_answered(s: &Server) {
    let p = port(s);
    for host in [
        format!("127.0.0.1:{p}"),
        format!("localhost:{p}"),
        format!("LocalHost:{p}"),
        format!("[::1]:{p}"),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "192.168.1.20:8080".to_string(),
    ] {
        s.get("/api/health")
            .header("host", &host)
            .send()
            .await
            .expect_status(200);
    }
    // What every client of the suite sends: the URL taosd printed.
    s.get("/api/health").send().await.expect_status(200);
}

e2e!(allowed_hosts_let_a_proxy_name_in);
/// `TAOS_ALLOWED_HOSTS` adds names (any port, or one port), and `*` answers any Host.
async fn allowed_hosts_let_a_proxy_name_in(s: &Server) {
    s.set_env("TAOS_ALLOWED_HOSTS", "taos.example.com, proxy.internal:8443");
    s.restart().await;
    for host in ["taos.example.com", "TAOS.example.com:443", "proxy.internal:8443"] {
        s.get("/api/health")
            .header("host", host)
            .send()
            .await
            .expect_status(200);
    }
    for host in ["proxy.internal:8444", "proxy.internal", "evil.example"] {
        s.get("/api/health")
            .header("host", host)
            .send()
            .await
            .expect_error(421, "host_not_allowed");
    }
    s.set_env("TAOS_ALLOWED_HOSTS", "*");
    s.restart().await;
    s.get("/api/health")
        .header("host", "evil.example")
        .send()
        .await
        .expect_status(200);
}
