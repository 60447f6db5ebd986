#!/usr/bin/env bash
# Benchmark taosd against its own health check, in one run: every goal of docs/benchmarks.md.
#
#   bench/run.sh
#
# Builds the release taosd, starts it on a free loopback port with a fresh data dir (SQLite),
# creates the first user (and its user token), an agent `bench-agent` with a token of scope
# `agents.read`, `knowledge.read`, `ui.notify`, 59 more agents and 60 notifications, then loads
# with wrk, one after the other, at the same settings:
#   1. GET /api/health                      (no auth: the server's floor)
#   2. GET /api/agents/{name}, agent token  (parse + checksum + SHA-256 + one indexed lookup +
#                                            scope match + handler)
#   3. GET /api/agents?limit=50, user token (a page of 50 of the 60 agents)
#   4. GET /api/knowledge/search?q=revoke+token, agent token (full-text search of the docs), and
#      the same with a different query each request (bench/search_cold.lua: no cached answer)
#   5. GET /docs/agents/recipes/managing-agents (no auth: a docs page as HTML)
#   6. POST /api/ui/notify, agent token     (bench/notify.lua: one notification a request; the
#                                            inbox grows by every one of them)
#   7. GET /api/notifications?limit=50, user token (the newest 50 of that grown inbox), and the
#      inbox page's poll of it (bench/inbox_poll.py signs in through the form: GET /notifications
#      with the session cookie and the page's ETag, a 304 while nothing changed)
#   8. GET /api/runtimes, agent token        (probes every runtime)
#   9. GET /api/agents/bench-agent/runtime   (spec + the process runtime's state of a running agent)
#  10. GET /api/agents/bench-agent/logs?tail=100, user token (100 NDJSON lines from the ring)
#  11. GET /api/operations/{id}, user token (a finished deploy's operation; bench/deploys.py setup)
#  12. GET /api/agents/bench-deployed/deploy-status, user token (the same, by the agent's name)
#  13. POST /mcp tools/call get_agent, agent token (bench/mcp_call.lua: the read of 2 over MCP)
#  14. POST /mcp tools/list, user token (bench/mcp_list.lua: a `*` token lists every tool)
#  15. GET /openapi.json and GET / as JSON (no auth: the contract, the discovery index)
# Before them, right after setup: BENCH_FLEET (200) process agents at once (bench/fleet.py up:
# each writes 1000 lines, which fills its log ring, then a line a second; all started by one bulk
# start): taosd's VmRSS with all of them running, and, while they log, loads 1 and 2 (health and
# the agent read, so their ratio is taken under the same conditions); then one bulk stop of
# every agent (`{"all": true}`, bench/fleet.py down), which deletes the 200 again and starts
# bench-agent again (the bulk stop stops it too), so the ten loads find what they always did.
# Then the log follow (bench/follow.py): one agent writing BENCH_FOLLOW_RATE (10 000) lines a
# second for BENCH_FOLLOW_SECONDS (10), BENCH_FOLLOWERS (100) SSE followers of its
# /logs/stream (bench/follow_client.rs, built here with rustc -O): whether every follower got
# every line (seq continuity), the rate really written (from the lines' timestamps), how long
# after the last line the followers got the end (did they keep up) and taosd's CPU over the
# window (utime + stime).
# Then, one request at a time (bench/sequential.py): BENCH_CREATES keyed `POST /api/agents`
# (each with its own Idempotency-Key) on one keep-alive connection, median and p99 per create;
# BENCH_DEPLOYS (20) keyed deploys of a process agent, each followed to `succeeded` (bench/deploys.py:
# to the 202, and to done, which includes the second the agent must keep running);
# BENCH_AGENT_STARTS (50) starts of a process agent (`sleep 3600`), each answered once it runs,
# each followed by a stop; and, after a SIGTERM of that taosd, BENCH_STARTS cold starts on its database (exec of the
# release taosd to the first 200 from /api/health), median and p99 per start.
# It reports every throughput as a ratio over health, p50/p99 of each load, RSS idle (VmRSS
# before any load) and the peak under load (VmHWM), each figure with its goal (met / missed).
# Any non-2xx answer or socket error fails the run. The results replace the marked section of
# docs/benchmarks.md.
#
# Environment: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
# BENCH_CREATES (200), BENCH_STARTS (9), BENCH_FLEET (200), BENCH_FOLLOW_RATE (10000),
# BENCH_FOLLOW_SECONDS (10), BENCH_FOLLOWERS (100); CARGO_TARGET_DIR is honoured. BENCH_TAOSD=<path> loads
# that binary instead of building one (to compare two builds; the report then says so).
# Traffic goes to 127.0.0.1 only; each load is bounded by its duration.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
CREATES=${BENCH_CREATES:-200}
STARTS=${BENCH_STARTS:-9}
AGENT_NAME=bench-agent
AGENTS_PATH='/api/agents?limit=50'
NOTIFICATIONS_PATH='/api/notifications?limit=50'
SEARCH_PATH='/api/knowledge/search?q=revoke+token'
DOCS_PATH=/docs/agents/recipes/managing-agents
NOTIFY_PATH=/api/ui/notify
LOGS_PATH="/api/agents/$AGENT_NAME/logs?tail=100"
LIFECYCLE_STARTS=${BENCH_AGENT_STARTS:-50}
DEPLOYS=${BENCH_DEPLOYS:-20}
FLEET=${BENCH_FLEET:-200}
FOLLOW_RATE=${BENCH_FOLLOW_RATE:-10000}
FOLLOW_SECONDS=${BENCH_FOLLOW_SECONDS:-10}
FOLLOWERS=${BENCH_FOLLOWERS:-100}

log() { printf 'bench: %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing wrk (apt-get)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
        echo "bench: wrk is not installed (Debian: apt-get install wrk)" >&2
        exit 1
    fi
fi

if [[ -n ${BENCH_TAOSD:-} ]]; then
    TAOSD=$(realpath "$BENCH_TAOSD")
    log "using $TAOSD (BENCH_TAOSD; not built)"
else
    log "building the release taosd"
    cargo build --release -q -p taos-server --bin taosd
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    [[ $TARGET == /* ]] || TARGET=$ROOT/$TARGET
    TAOSD=$TARGET/release/taosd
fi

mkdir -p "$OUT"
# Other work on the box skews every figure: the report gives the load before and after.
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/taos-bench.XXXXXX")
PID=
stop_taosd() {
    if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    [[ -n $PID ]] && wait "$PID" 2>/dev/null || true
    PID=
}
cleanup() {
    stop_taosd
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The log follow's clients: std-only Rust, one thread a follower (see the file for why).
log "building the followers' client (rustc -O bench/follow_client.rs)"
rustc -O --edition 2024 -o "$SCRATCH/follow-client" bench/follow_client.rs

# Logging at `warn`: per-request logs would measure the terminal, not the server.
TAOS_BIND=127.0.0.1:0 TAOS_DATA_DIR="$SCRATCH" TAOS_LOG=warn \
    env -u TAOS_DATABASE_URL "$TAOSD" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" &
PID=$!
URL=
for _ in $(seq 300); do
    URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$SCRATCH/stdout" 2>/dev/null || true)
    [[ -n $URL ]] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $URL ]]; then
    echo "bench: taosd did not start:" >&2
    cat "$SCRATCH/stderr" >&2
    exit 1
fi
log "taosd (pid $PID) at $URL"

# The user (its token from setup), the agents, the agent's token (scope: what the benchmark
# calls) and a first inbox; every call checked.
python3 - "$URL" "$AGENT_NAME" "$SCRATCH/tokens" <<'EOF'
import json, sys, urllib.request
url, name, tokens = sys.argv[1], sys.argv[2], sys.argv[3]
def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)
user = call("POST", "/auth/setup", {"username": "bench", "password": "bench-password"})["token"]
agent = call("POST", "/api/agents", {"name": name}, user)
assert agent["name"] == name, agent
for i in range(59):
    call("POST", "/api/agents", {"name": f"bench agent {i}"}, user)
scope = ["agents.read", "knowledge.read", "ui.notify"]
issued = call("POST", f"/api/agents/{name}/token/issue", {"scope": scope}, user)
token = issued["token"]
for i in range(60):
    call("POST", "/api/ui/notify", {"title": f"Seed {i}", "body": "A first inbox."}, token)
got = call("GET", f"/api/agents/{name}", None, token)
assert got["name"] == name, got
listed = call("GET", "/api/agents?limit=50", None, user)
assert len(listed["items"]) == 50 and listed["next_cursor"], len(listed["items"])
inbox = call("GET", "/api/notifications?limit=50", None, user)
assert len(inbox["items"]) == 50 and inbox["next_cursor"], len(inbox["items"])
hits = call("GET", "/api/knowledge/search?q=revoke+token", None, token)
assert hits["items"], hits
# A process agent that has written 1000 log lines and runs on (for the runtime and logs reads),
# and one to start and stop.
call("PUT", f"/api/agents/{name}/runtime", {"command": ["sh", "-c", "i=0; while [ $i -lt 1000 ]; do echo bench log line $i; i=$((i+1)); done; exec sleep 3600"]}, user)
assert call("POST", f"/api/agents/{name}/start", None, user)["state"] == "running"
call("POST", "/api/agents", {"name": "bench starter"}, user)
call("PUT", "/api/agents/bench-starter/runtime", {"command": ["sleep", "3600"]}, user)
import time
for _ in range(100):
    with urllib.request.urlopen(urllib.request.Request(url + f"/api/agents/{name}/logs?tail=1", headers={"Authorization": "Bearer " + user}), timeout=30) as resp:
        if b"line 999" in resp.read():
            break
    time.sleep(0.1)
else:
    sys.exit("the bench agent did not write its log lines")
with open(tokens, "w") as f:
    f.write(f"{token}\n{user}\n")
EOF
AGENT_TOKEN=$(sed -n 1p "$SCRATCH/tokens")
USER_TOKEN=$(sed -n 2p "$SCRATCH/tokens")

status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
RSS_IDLE_KB=$(status_kb VmRSS)
log "idle RSS: ${RSS_IDLE_KB} kB"

# load NAME TOKEN_VAR PATH [wrk options…]: one wrk load, its output in $OUT/NAME.txt and the
# command as shown (token by name) in NAME_CMD. TOKEN_VAR names a bearer token, or is
# SESSION_COOKIE (a signed-in browser's cookie header).
load() {
    local name=$1 token_var=$2 path=$3
    shift 3
    local shown="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
    local auth=()
    if [[ $token_var == SESSION_COOKIE ]]; then
        shown+=" -H 'Cookie: \$$token_var'"
        auth=(-H "Cookie: ${!token_var}")
    elif [[ -n $token_var ]]; then
        shown+=" -H 'Authorization: Bearer \$$token_var'"
        auth=(-H "Authorization: Bearer ${!token_var}")
    fi
    local arg
    for arg in "$@"; do
        if [[ $arg == *" "* ]]; then shown+=" '$arg'"; else shown+=" $arg"; fi
    done
    shown+=" '$URL$path'"
    printf -v "${name^^}_CMD" '%s' "$shown"
    export "${name^^}_CMD"
    log "$shown"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${auth[@]}" "$@" "$URL$path" \
        | tee "$OUT/$name.txt" >&2
}

# Right after setup, so the RSS is the agents' on top of a fresh taosd (not what the loads
# below leave in the allocator); fleet.py down deletes them again and starts bench-agent
# again (the bulk stop of all stops it too), so the loads below find what they always did.
log "$FLEET process agents at once"
python3 bench/fleet.py up "$URL" "$USER_TOKEN" "$FLEET" >"$OUT/fleet.json"
FLEET_RSS_KB=$(status_kb VmRSS)
log "RSS with $FLEET agents running: ${FLEET_RSS_KB} kB"
load fleethealth "" /api/health
load fleetagent AGENT_TOKEN "/api/agents/$AGENT_NAME"
FLEET_RSS_AFTER_KB=$(status_kb VmRSS)
log "RSS with $FLEET agents running, after the loads: ${FLEET_RSS_AFTER_KB} kB"
python3 bench/fleet.py down "$URL" "$USER_TOKEN" >"$OUT/fleetdown.json"

load health "" /api/health
load agent AGENT_TOKEN "/api/agents/$AGENT_NAME"
load agents USER_TOKEN "$AGENTS_PATH"
load search AGENT_TOKEN "$SEARCH_PATH"
# The same search without its cache: every request a different query (the path is the script's).
load searchcold AGENT_TOKEN /api/knowledge/search -s bench/search_cold.lua
load docs "" "$DOCS_PATH"
load notify AGENT_TOKEN "$NOTIFY_PATH" -s bench/notify.lua
load notifications USER_TOKEN "$NOTIFICATIONS_PATH"
# The inbox page's own poll (its script, every few seconds a signed-in tab is open): the same
# grown inbox, signed in through the form, with the ETag of the page it shows: a bodiless 304
# while nothing changed (checked once here, since wrk counts a 304 as a success).
python3 bench/inbox_poll.py "$URL" bench bench-password >"$SCRATCH/inbox"
SESSION_COOKIE=$(sed -n 1p "$SCRATCH/inbox")
INBOX_ETAG=$(sed -n 2p "$SCRATCH/inbox")
load inboxpoll SESSION_COOKIE /notifications -H "If-None-Match: $INBOX_ETAG"
load runtimes AGENT_TOKEN /api/runtimes
load agentruntime AGENT_TOKEN "/api/agents/$AGENT_NAME/runtime"
load logs USER_TOKEN "$LOGS_PATH"
# A deploy followed to the end, then reads of its operation and of the agent's deploy status.
OPERATION_ID=$(python3 bench/deploys.py setup "$URL" "$USER_TOKEN")
OPERATION_PATH="/api/operations/$OPERATION_ID"
DEPLOY_STATUS_PATH=/api/agents/bench-deployed/deploy-status
load operation USER_TOKEN "$OPERATION_PATH"
load deploystatus USER_TOKEN "$DEPLOY_STATUS_PATH"
# MCP: the agent read as a tool call (checked once to be a success, since wrk sees only the
# 200 of every JSON-RPC answer), and the tool list.
python3 - "$URL" "$AGENT_TOKEN" <<'EOF'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
body = open("bench/mcp_call.lua").read().split("wrk.body = '")[1].split("'\n")[0]
req = urllib.request.Request(url + "/mcp", data=body.encode(), method="POST", headers={
    "Authorization": "Bearer " + token, "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"})
with urllib.request.urlopen(req, timeout=30) as resp:
    result = json.load(resp)["result"]
if result.get("isError") or result["structuredContent"]["name"] != "bench-agent":
    sys.exit(f"the MCP get_agent call does not succeed: {result}")
EOF
load mcpagent AGENT_TOKEN /mcp -s bench/mcp_call.lua
load mcplist USER_TOKEN /mcp -s bench/mcp_list.lua
load openapi "" /openapi.json
load front "" / -H "Accept: application/json"

log "log follow: $FOLLOW_RATE lines/s for ${FOLLOW_SECONDS}s, $FOLLOWERS followers"
python3 bench/follow.py "$URL" "$USER_TOKEN" "$PID" "$FOLLOW_RATE" "$FOLLOW_SECONDS" "$FOLLOWERS" \
    "$SCRATCH/follow-client" >"$OUT/follow.json"

log "$LIFECYCLE_STARTS starts of a process agent, one after another"
python3 bench/sequential.py starts "$URL" "$USER_TOKEN" bench-starter "$LIFECYCLE_STARTS" >"$OUT/agentstarts.json"

log "$CREATES keyed creates, one after another"
python3 bench/sequential.py creates "$URL" "$USER_TOKEN" "$CREATES" >"$OUT/creates.json"

log "$DEPLOYS deploys, one after another"
python3 bench/deploys.py "$URL" "$USER_TOKEN" "$DEPLOYS" >"$OUT/deploys.json"
RSS_PEAK_KB=$(status_kb VmHWM)
RSS_AFTER_KB=$(status_kb VmRSS)
stop_taosd
NOTIFICATIONS_TOTAL=$(python3 - "$SCRATCH/taos.db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM notifications").fetchone()[0])
EOF
)
log "$STARTS cold starts on the database ($NOTIFICATIONS_TOTAL notifications)"
python3 bench/sequential.py cold-start "$TAOSD" "$SCRATCH" "$STARTS" >"$OUT/starts.json"

export RSS_IDLE_KB RSS_PEAK_KB RSS_AFTER_KB DURATION CONNECTIONS THREADS AGENT_NAME OUT
export CREATES STARTS NOTIFICATIONS_TOTAL TAOSD LIFECYCLE_STARTS LOGS_PATH DEPLOYS OPERATION_PATH DEPLOY_STATUS_PATH
export FLEET FLEET_RSS_KB FLEET_RSS_AFTER_KB FOLLOW_RATE FOLLOW_SECONDS FOLLOWERS
export BINARY_NOTE=${BENCH_TAOSD:+" (binary \`$BENCH_TAOSD\`, not built from this tree)"}
export AGENTS_PATH NOTIFICATIONS_PATH SEARCH_PATH DOCS_PATH NOTIFY_PATH
export COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
export CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
export NPROC=$(nproc)
export LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg) LOADAVG_BEFORE
export RUSTC=$(rustc --version)
export WRK_VERSION=$(wrk -v 2>&1 | head -n1 | awk '{ print $1, $2 }')

python3 bench/report.py
log "docs/benchmarks.md updated"
