//! A person's first hour with `taosctl` (issue 11, "The CLI speaks CLI"), end to end: the real
//! binary against a real taosd. Fixes are in taosctl's terms (and its table covers the whole
//! error catalog), a bad `TAOS_TOKEN` is blamed, a server with no user leads to `auth setup`,
//! schema refusals name the flag in words, names of any script make readable slugs, `--url` is
//! checked, broken pipes are quiet, every flag has help, bare `taosctl` helps, `ls` lists,
//! `--debug` shows requests without secrets, and knowledge search and get work for people.

use std::path::Path;

use taos_conformance::taosctl::{self, Output, Terminal as Ctl};
use taos_conformance::{Server, serde_json, sqlite_e2e};

/// taosctl's table of fixes, as the binary holds it (the file depends on nothing else).
#[allow(dead_code)]
#[path = "../../cli/src/fixes.rs"]
mod fixes;

/// Words of the HTTP API that a fix for people at a shell should not need.
const HTTP_WORDS: &[&str] = &["GET /", "POST /", "PUT /", "PATCH /", "DELETE /", "Authorization"];

#[test]
fn the_fix_table_covers_every_slug_of_the_catalog() {
    let catalog: Vec<&str> = taos_server::errors::ALL.iter().map(|k| k.slug).collect();
    let table: Vec<&str> = fixes::FIXES.iter().map(|(slug, _)| *slug).collect();
    let missing: Vec<&&str> = catalog.iter().filter(|s| !table.contains(s)).collect();
    assert!(
        missing.is_empty(),
        "slugs of the catalog with no entry in cli/src/fixes.rs (a CLI fix, or Unreachable with why): {missing:?}"
    );
    let unknown: Vec<&&str> = table.iter().filter(|s| !catalog.contains(s)).collect();
    assert!(
        unknown.is_empty(),
        "entries for slugs the catalog does not have: {unknown:?}"
    );
    let mut sorted = table.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), table.len(), "a slug has two entries");

    let mut unreachable = 0;
    for (slug, fix) in fixes::FIXES {
        let texts: Vec<&str> = match fix {
            fixes::Fix::Cli(t) => vec![t],
            fixes::Fix::Token { env, file } => {
                assert!(
                    env.contains("TAOS_TOKEN"),
                    "{slug}: the TAOS_TOKEN fix names it: {env}"
                );
                assert!(
                    !file.contains("TAOS_TOKEN"),
                    "{slug}: the file fix is about the file: {file}"
                );
                vec![env, file]
            }
            fixes::Fix::Unreachable(why) => {
                unreachable += 1;
                assert!(why.len() > 10, "{slug}: say why a CLI user cannot meet it");
                continue;
            }
        };
        for t in texts {
            for w in HTTP_WORDS {
                assert!(!t.contains(w), "{slug}: the CLI fix speaks HTTP ({w}): {t}");
            }
        }
    }
    // Most errors can happen to a CLI user; the exceptions are few and explicit.
    assert!(unreachable <= 12, "{unreachable} slugs marked unreachable");
}

/// `stderr` shows `slug` with a fix that says `said`, in no HTTP words, and the server's docs link.
#[track_caller]
fn assert_cli_fix(out: &Output, code: i32, slug: &str, said: &str, docs: &str) {
    assert_eq!(out.code, code, "exit {code} for {slug}:\n{}", out.stderr);
    assert!(out.stderr.contains(&format!("error: {slug}:")), "{}", out.stderr);
    let fix = out
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("a fix line:\n{}", out.stderr));
    assert!(fix.contains(said), "the fix says {said:?}: {fix}");
    for w in HTTP_WORDS {
        assert!(!fix.contains(w), "the fix speaks HTTP ({w}): {fix}");
    }
    assert!(
        out.stderr.contains(&format!("docs: {docs}")),
        "the server's doc link {docs}:\n{}",
        out.stderr
    );
}

sqlite_e2e!(fixes_are_in_taosctl_terms_and_blame_taos_token);
async fn fixes_are_in_taosctl_terms_and_blame_taos_token(s: &Server) {
    let ada = Ctl::new(s);
    ada.set_up_ada().await;
    let url = s.url();
    let missing = ada.run(&["agents", "get", "nope"], None).await;
    assert_cli_fix(
        &missing,
        1,
        "agent_not_found",
        "`taosctl agents list`",
        &format!("{url}/docs/agents/recipes/managing-agents#list-agents"),
    );
    let taken = ada
        .run(
            &["auth", "setup", "--username", "bob", "--password-stdin"],
            Some("long-enough-pw\n"),
        )
        .await;
    assert_cli_fix(
        &taken,
        1,
        "already_configured",
        "`taosctl auth login",
        &format!("{url}/docs/agents/getting-started#get-a-token"),
    );

    // A bad TAOS_TOKEN wins over a good saved login: logging in again cannot help.
    let forged = taos_conformance::tokens::forge("taos_agent_");
    let env = Ctl::new(s).with_env("TAOS_TOKEN", &forged);
    std::fs::create_dir_all(env.credentials().parent().expect("dir")).expect("mkdir");
    std::fs::copy(ada.credentials(), env.credentials()).expect("copy the saved login");
    let out = env.run(&["agents", "list"], None).await;
    assert_cli_fix(
        &out,
        4,
        "invalid_token",
        "unset TAOS_TOKEN",
        &format!("{url}/docs/agents/concepts/permissions#token-lifecycle"),
    );
    assert!(!out.stderr.contains("sign in again"), "{}", out.stderr);
    let status = env.run(&["auth", "status"], None).await;
    assert_eq!(status.code, 4, "{}", status.stderr);
    assert!(
        status.stderr.contains("TAOS_TOKEN is rejected") && status.stderr.contains("unset TAOS_TOKEN"),
        "{}",
        status.stderr
    );
    // An agent token in TAOS_TOKEN where a person's is needed.
    ada.run(&["agents", "create", "Worker"], None).await.ok();
    let agent_token = ada
        .run(&["agents", "token", "issue", "worker"], None)
        .await
        .ok()
        .text();
    let agent = Ctl::with_token(s, &agent_token);
    let people = agent.run(&["users", "list"], None).await;
    assert_eq!(people.code, 1, "{}", people.stderr);
    assert!(people.stderr.contains("unset TAOS_TOKEN"), "{}", people.stderr);

    // The same bad token from the credentials file: sign in again.
    let file = Ctl::new(s);
    std::fs::create_dir_all(file.credentials().parent().expect("dir")).expect("mkdir");
    std::fs::write(
        file.credentials(),
        serde_json::json!({ "token": forged, "url": url }).to_string(),
    )
    .expect("write credentials");
    set_private(&file.credentials());
    let out = file.run(&["agents", "list"], None).await;
    assert_cli_fix(
        &out,
        4,
        "invalid_token",
        "`taosctl auth login`",
        &format!("{url}/docs/agents/concepts/permissions#token-lifecycle"),
    );
    assert!(!out.stderr.contains("TAOS_TOKEN"), "{}", out.stderr);
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

sqlite_e2e!(a_server_with_no_user_leads_to_auth_setup);
async fn a_server_with_no_user_leads_to_auth_setup(s: &Server) {
    let ctl = Ctl::new(s);
    let status = ctl.run(&["auth", "status"], None).await;
    assert_eq!(status.code, 4, "{}", status.stderr);
    assert!(
        status.stderr.contains("has no user yet") && status.stderr.contains("`taosctl auth setup"),
        "{}",
        status.stderr
    );
    let json = ctl.run(&["auth", "status", "--json"], None).await;
    assert_eq!(json.json()["configured"], false, "{}", json.stdout);
    let login = ctl
        .run(
            &["auth", "login", "--username", "ada", "--password-stdin"],
            Some("whatever-pw\n"),
        )
        .await;
    assert_cli_fix(
        &login,
        4,
        "invalid_credentials",
        "`taosctl auth setup",
        &format!("{}/docs/agents/getting-started#get-a-token", s.url()),
    );
    assert!(login.stderr.contains("has no user yet"), "{}", login.stderr);
    // `auth setup` exists and does what POST /auth/setup does; then status is fine.
    ctl.set_up_ada().await;
    let status = ctl.run(&["auth", "status"], None).await.ok();
    assert!(status.stdout.contains("Logged in as ada"), "{}", status.stdout);
    // A wrong password once a user exists: check it, no word of setup being needed.
    let wrong = Ctl::new(s)
        .run(
            &["auth", "login", "--username", "ada", "--password-stdin"],
            Some("wrong-pw\n"),
        )
        .await;
    assert_eq!(wrong.code, 4, "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("has no user yet"), "{}", wrong.stderr);
}

sqlite_e2e!(refusals_name_the_flag_in_words);
async fn refusals_name_the_flag_in_words(s: &Server) {
    let ada = Ctl::new(s);
    ada.set_up_ada().await;
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["ui", "notify", "--title", ""],
            "validation_error",
            "--title must not be empty.",
        ),
        (
            &["agents", "create", &"a".repeat(65)],
            "invalid_agent_name",
            "--name must be at most 64 characters long.",
        ),
        (
            &["knowledge", "search", "  "],
            "invalid_search_query",
            "WORDS must have a character that is not a space.",
        ),
        (
            &["agents", "create", "Ok", "--emoji", &"🙂".repeat(40)],
            "validation_error",
            "--emoji must be at most 32 characters long.",
        ),
    ];
    for (args, slug, said) in cases {
        let out = ada.run(args, None).await;
        assert_eq!(out.code, 2, "{args:?} is a usage error:\n{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("error: {slug}: {said}")),
            "{args:?}: {slug}: {said}\n{}",
            out.stderr
        );
        assert!(out.stderr.contains("fix: "), "{}", out.stderr);
        assert!(
            !out.stderr.contains("pattern")
                && !out.stderr.contains("shorter than")
                && !out.stderr.contains("conversion to"),
            "no schema words: {}",
            out.stderr
        );
    }
}

sqlite_e2e!(a_name_without_a_letter_is_the_servers_to_refuse);
/// What the CLI cannot judge better than the server goes to it: a name with no letter or
/// digit is taosd's `invalid_agent_name` (exit 1), worded as over HTTP, with the CLI's fix.
async fn a_name_without_a_letter_is_the_servers_to_refuse(s: &Server) {
    let ada = Ctl::new(s);
    ada.set_up_ada().await;
    let out = ada.run(&["agents", "create", "!!!"], None).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("invalid_agent_name"), "{}", out.stderr);
    assert!(
        out.stderr.contains("fix: ") && out.stderr.contains("taosctl agents create"),
        "{}",
        out.stderr
    );
}

sqlite_e2e!(names_of_any_script_make_readable_slugs);
async fn names_of_any_script_make_readable_slugs(s: &Server) {
    let ada = Ctl::new(s);
    ada.set_up_ada().await;
    for (name, slug) in [("Café Bot", "cafe-bot"), ("Ärger Straße 5", "arger-strasse-5")] {
        let made = ada
            .run(&["agents", "create", name, "--json"], None)
            .await
            .ok()
            .json();
        assert_eq!(made["name"], slug, "{name}");
        assert_eq!(made["display_name"], name);
        ada.run(&["agents", "get", slug], None).await.ok();
    }
    // `--name` still works as it did.
    let made = ada
        .run(&["agents", "create", "--name", "Plain One", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(made["name"], "plain-one");
}

sqlite_e2e!(a_cyrillic_name_makes_a_transliterated_slug);
/// Letters of any script count: a Cyrillic name makes a transliterated slug.
async fn a_cyrillic_name_makes_a_transliterated_slug(s: &Server) {
    let ada = Ctl::new(s);
    ada.set_up_ada().await;
    let made = ada
        .run(&["agents", "create", "Исследователь", "--json"], None)
        .await
        .ok()
        .json();
    assert_eq!(made["name"], "issledovatel");
    assert_eq!(made["display_name"], "Исследователь");
}

sqlite_e2e!(the_server_url_is_checked);
async fn the_server_url_is_checked(s: &Server) {
    let url = s.url();
    let ctl = Ctl::new(s);
    let bare = url.trim_start_matches("http://").to_string();
    let out = ctl
        .run(&["--url", &bare, "agents", "list"], None)
        .await
        .usage_err("no scheme");
    assert!(out.stderr.contains(&format!("http://{bare}")), "{}", out.stderr);
    assert!(!out.stderr.contains("cannot reach"), "{}", out.stderr);
    let out = ctl
        .run(&["--url", &format!("{url}/api"), "agents", "list"], None)
        .await
        .usage_err("has a path");
    assert!(out.stderr.contains(&format!("--url {url}")), "{}", out.stderr);
    ctl.run(&["--url", "ftp://example.com", "auth", "status"], None)
        .await
        .usage_err("http and https");
    // TAOS_URL is checked the same way, and named.
    Ctl::new(s)
        .with_env("TAOS_URL", &bare)
        .run(&["agents", "list"], None)
        .await
        .usage_err("from TAOS_URL");
    // A trailing slash is fine.
    let ok = ctl
        .run(&["--url", &format!("{url}/"), "auth", "status"], None)
        .await;
    assert_eq!(ok.code, 4, "reaches the server (no user yet): {}", ok.stderr);
}

/// Runs `taosctl ARGS` with stdout a pipe whose reader is already gone, so every write to
/// it fails with EPIPE.
fn run_into_closed_pipe(ctl: &Ctl, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(taosctl::path())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", ctl.config.path())
        .env("XDG_CONFIG_HOME", ctl.config.path())
        .env("TAOS_URL", &ctl.url)
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("taosctl runs");
    Output::from_process(&out)
}

sqlite_e2e!(broken_pipes_are_quiet);
async fn broken_pipes_are_quiet(s: &Server) {
    let ctl = Ctl::new(s);
    ctl.set_up_ada().await;
    ctl.run(&["agents", "create", "One"], None).await.ok();
    for args in [
        &["completion", "bash"][..],
        &["completion", "zsh"],
        &["agents", "list"],
        &["agents", "list", "--json"],
        &["--help"],
        &[],
    ] {
        let out = run_into_closed_pipe(&ctl, args);
        assert_eq!(
            out.code, 0,
            "taosctl {args:?} into a closed pipe exits 0:\n{}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
    // As a shell runs it.
    let bin = taosctl::path();
    for line in [
        format!("'{}' completion bash | head -1", bin.display()),
        format!("set -o pipefail; '{}' agents list | head -1", bin.display()),
    ] {
        let out = tokio::process::Command::new("bash")
            .args(["-c", &line])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", ctl.config.path())
            .env("XDG_CONFIG_HOME", ctl.config.path())
            .env("TAOS_URL", &ctl.url)
            .output()
            .await
            .expect("bash runs");
        let out = Output::from_process(&out);
        assert_eq!(out.code, 0, "{line}:\n{}", out.stderr);
        assert_eq!(out.stdout.lines().count(), 1, "{line}: {}", out.stdout);
        assert!(!out.stderr.contains("panicked"), "{line}: {}", out.stderr);
    }
}

/// The subcommands a `--help` lists.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

/// Options and arguments in a `--help` with no text: an entry line (indented at most 6) with
/// neither text after the flag nor a deeper-indented line of text under it.
fn undocumented(help: &str) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let lines: Vec<&str> = help.lines().collect();
    let mut bare = Vec::new();
    let mut in_section = false;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("Options:") || l.starts_with("Arguments:") {
            in_section = true;
            continue;
        }
        if !l.starts_with(' ') {
            in_section = false;
            continue;
        }
        let t = l.trim();
        let entry = indent(l) <= 6 && (t.starts_with('-') || t.starts_with('<') || t.starts_with('['));
        if !in_section || !entry {
            continue;
        }
        let has_text = t.contains("  ");
        let text_under = lines
            .get(i + 1)
            .is_some_and(|n| n.starts_with(' ') && indent(n) > 6 && !n.trim().is_empty());
        if !has_text && !text_under {
            bare.push(t.to_string());
        }
    }
    bare
}

sqlite_e2e!(every_command_helps);
async fn every_command_helps(s: &Server) {
    let ctl = Ctl::new(s);
    let bare = ctl.run(&[], None).await.ok();
    assert!(
        bare.stdout.contains("Usage: taosctl") && bare.stdout.contains("Commands:"),
        "{}",
        bare.stdout
    );
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    let mut problems = Vec::new();
    while let Some(cmd) = todo.pop() {
        let mut args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        args.push("--help");
        let help = ctl.run(&args, None).await.ok().stdout;
        seen += 1;
        for flag in undocumented(&help) {
            problems.push(format!("`taosctl {}`: {flag} has no help", cmd.join(" ")));
        }
        if !help.contains("Example") {
            problems.push(format!("`taosctl {}` has no example", cmd.join(" ")));
        }
        for sub in subcommands(&help) {
            let mut next = cmd.clone();
            next.push(sub);
            todo.push(next);
        }
    }
    assert!(seen > 50, "walked {seen} commands");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Flags whose default is worth knowing say it.
    for (cmd, flag) in [
        (&["agents", "create"][..], "--host"),
        (&["agents", "create"], "--qmd-index"),
        (&["agents", "create"], "--emoji"),
        (&["ui", "notify"], "--priority"),
        (&["agents", "list"], "--limit"),
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let help = ctl.run(&args, None).await.ok().stdout;
        let from = help
            .find(&format!("{flag} "))
            .unwrap_or_else(|| panic!("{flag} in {cmd:?}"));
        let to = help[from..].find("\n      -").map_or(help.len(), |n| from + n);
        assert!(
            help[from..to].contains("[default: "),
            "{cmd:?} {flag} says its default:\n{}",
            &help[from..to]
        );
    }
    // `ls` lists wherever `list` does.
    ctl.set_up_ada().await;
    for cmd in [
        &["agents", "ls"][..],
        &["agents", "archived", "ls"],
        &["users", "ls"],
        &["notifications", "ls"],
        &["knowledge", "ls"],
        &["auth", "tokens", "ls"],
    ] {
        ctl.run(cmd, None).await.ok();
    }
}

sqlite_e2e!(debug_shows_requests_without_secrets);
async fn debug_shows_requests_without_secrets(s: &Server) {
    let ctl = Ctl::new(s);
    let token = ctl.set_up_ada().await;
    let url = s.url();
    let out = ctl.run(&["--debug", "agents", "list"], None).await.ok();
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("debug: GET "))
        .unwrap_or_else(|| panic!("a request line:\n{}", out.stderr));
    assert!(
        line.starts_with(&format!("debug: GET {url}/api/agents"))
            && line.contains("200 OK")
            && line.ends_with(" ms)"),
        "{line}"
    );
    ctl.run(&["agents", "create", "Secretive"], None).await.ok();
    let issued = Ctl::with_token(s, &token)
        .with_env("TAOS_DEBUG", "1")
        .run(&["agents", "token", "issue", "secretive"], None)
        .await
        .ok();
    let agent_token = issued.text();
    assert!(agent_token.starts_with("taos_agent_"), "{}", issued.stdout);
    assert!(issued.stderr.contains("debug: POST "), "{}", issued.stderr);
    for secret in [&token, &agent_token] {
        assert!(
            !issued.stderr.contains(secret.as_str()) && !out.stderr.contains(secret.as_str()),
            "no token on stderr"
        );
    }
    assert!(
        !issued.stderr.to_lowercase().contains("authorization"),
        "{}",
        issued.stderr
    );
    // Off by default.
    let quiet = ctl.run(&["agents", "list"], None).await.ok();
    assert!(!quiet.stderr.contains("debug:"), "{}", quiet.stderr);
}

sqlite_e2e!(knowledge_search_and_get_for_people);
async fn knowledge_search_and_get_for_people(s: &Server) {
    let ctl = Ctl::new(s);
    ctl.set_up_ada().await;
    let url = s.url();
    let found = ctl.run(&["knowledge", "search", "token"], None).await.ok();
    let lower = found.stdout.to_lowercase();
    assert!(lower.contains("token"), "{}", found.stdout);
    // (Brackets of the docs' own markdown links stay: `[token](…)`.)
    let marked = lower
        .match_indices("[token]")
        .any(|(i, m)| !lower[i + m.len()..].starts_with('('));
    assert!(
        !marked && !lower.contains("[["),
        "no markers off a terminal: {}",
        found.stdout
    );
    assert!(!found.stdout.contains('\x1b'), "no colour off a terminal");
    assert!(
        found.stdout.contains(&format!("   {url}/docs/agents/")),
        "full URLs: {}",
        found.stdout
    );

    // On a terminal the matches are coloured instead.
    let line = format!(
        "TERM=xterm '{}' knowledge search token --limit 2",
        taosctl::path().display()
    );
    let tty = tokio::process::Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", ctl.config.path())
        .env("XDG_CONFIG_HOME", ctl.config.path())
        .env("TAOS_URL", &url)
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("util-linux `script` runs");
    let tty = Output::from_process(&tty);
    assert_eq!(tty.code, 0, "{}{}", tty.stdout, tty.stderr);
    assert!(
        tty.stdout.contains("\x1b[1;33m"),
        "coloured matches on a terminal: {:?}",
        tty.stdout
    );

    // `get` takes a docs path in any of the forms people copy.
    for path in [
        "concepts/runtimes.md".to_string(),
        "concepts/runtimes".to_string(),
        "/docs/agents/concepts/runtimes".to_string(),
        format!("{url}/docs/agents/concepts/runtimes#states-and-verbs"),
    ] {
        let got = ctl.run(&["knowledge", "get", &path], None).await.ok();
        assert!(
            got.stdout.contains("concepts/runtimes.md"),
            "{path}: {}",
            got.stdout
        );
        assert!(
            got.stdout
                .contains(&format!("{url}/docs/agents/concepts/runtimes")),
            "{path}: {}",
            got.stdout
        );
    }
    let missing = ctl
        .run(&["knowledge", "get", "concepts/nothing-here.md"], None)
        .await;
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("knowledge_item_not_found")
            && missing.stderr.contains("taosctl knowledge ls"),
        "{}",
        missing.stderr
    );
}
