//! The PostgreSQL variant of every e2e case runs only when `TAOS_TEST_DATABASE_URL` is set at
//! build time; otherwise it is compiled as `#[ignore]`, so a run without PostgreSQL reports it
//! as ignored, never as passed. Likewise the headless-Chromium test (tests/browser.rs) runs
//! only when `TAOS_BROWSER_TESTS=1` was set at build time (tests/run-all.sh sets it after
//! installing chromium and playwright-core).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo:rerun-if-env-changed=TAOS_TEST_DATABASE_URL");
    if std::env::var_os("TAOS_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=pg_tests");
    }
    // The docker variants of the runtime suites: TAOS_TEST_DOCKER=1 at build time (run-all.sh
    // sets it after tests/runtimes/docker.sh has dockerd answering); otherwise `#[ignore]`d.
    println!("cargo::rustc-check-cfg=cfg(docker_tests)");
    println!("cargo:rerun-if-env-changed=TAOS_TEST_DOCKER");
    if std::env::var_os("TAOS_TEST_DOCKER").is_some_and(|v| v == "1") {
        println!("cargo:rustc-cfg=docker_tests");
    }
    // Likewise the incus variants: TAOS_TEST_INCUS=1 (after tests/runtimes/incus.sh).
    println!("cargo::rustc-check-cfg=cfg(incus_tests)");
    println!("cargo:rerun-if-env-changed=TAOS_TEST_INCUS");
    if std::env::var_os("TAOS_TEST_INCUS").is_some_and(|v| v == "1") {
        println!("cargo:rustc-cfg=incus_tests");
    }
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo:rerun-if-env-changed=TAOS_BROWSER_TESTS");
    if std::env::var_os("TAOS_BROWSER_TESTS").is_some_and(|v| v == "1") {
        println!("cargo:rustc-cfg=browser_tests");
    }
}
