#!/usr/bin/env bash
# Benchmark taosd's authenticated hot path against its own health check, in one run.
#
#   bench/run.sh
#
# Builds the release taosd, starts it on a free loopback port with a fresh data dir (SQLite),
# creates the first user, an agent and the agent's token, then loads with wrk, one after the
# other, at the same settings:
#   1. GET /api/health                      (no auth: the server's floor)
#   2. GET /api/agents/{name}, agent token  (parse + checksum + SHA-256 + one indexed lookup +
#                                            scope match + handler)
#   3. GET /api/knowledge/search?q=revoke+token, agent token (full-text search of the docs)
#   4. GET /docs/agents/recipes/managing-agents (no auth: a docs page as HTML)
# and reports the throughput ratio agent/health (and search/health, docs/health), p50/p99 of both, RSS idle (VmRSS before any
# load) and the peak under load (VmHWM). Any non-2xx answer or socket error fails the run.
# The results replace the marked section of docs/benchmarks.md.
#
# Environment: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (32), BENCH_THREADS (2).
# Traffic goes to 127.0.0.1 only; each load is bounded by its duration.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
AGENT_NAME=bench-agent
SEARCH_PATH='/api/knowledge/search?q=revoke+token'
DOCS_PATH=/docs/agents/recipes/managing-agents

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

log "building the release taosd"
cargo build --release -q -p taos-server --bin taosd
TAOSD=$ROOT/target/release/taosd

mkdir -p "$OUT"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/taos-bench.XXXXXX")
PID=
cleanup() {
    if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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

# The user, the agent and its token (scope `agents.read` + `knowledge.read`: what the benchmark
# calls).
AGENT_TOKEN=$(python3 - "$URL" "$AGENT_NAME" <<'EOF'
import json, sys, urllib.request
url, name = sys.argv[1], sys.argv[2]
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
issued = call("POST", f"/api/agents/{name}/token/issue", {"scope": ["agents.read", "knowledge.read"]}, user)
got = call("GET", f"/api/agents/{name}", None, issued["token"])
assert got["name"] == name, got
hits = call("GET", "/api/knowledge/search?q=revoke+token", None, issued["token"])
assert hits["items"], hits
print(issued["token"])
EOF
)

status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
RSS_IDLE_KB=$(status_kb VmRSS)
log "idle RSS: ${RSS_IDLE_KB} kB"

HEALTH_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency $URL/api/health"
AGENT_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Authorization: Bearer \$AGENT_TOKEN' $URL/api/agents/$AGENT_NAME"
log "$HEALTH_CMD"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$URL/api/health" | tee "$OUT/health.txt" >&2
log "${AGENT_CMD}"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: Bearer $AGENT_TOKEN" "$URL/api/agents/$AGENT_NAME" | tee "$OUT/agent.txt" >&2
SEARCH_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Authorization: Bearer \$AGENT_TOKEN' '$URL$SEARCH_PATH'"
log "${SEARCH_CMD}"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: Bearer $AGENT_TOKEN" "$URL$SEARCH_PATH" | tee "$OUT/search.txt" >&2
DOCS_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency $URL$DOCS_PATH"
log "${DOCS_CMD}"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$URL$DOCS_PATH" | tee "$OUT/docs.txt" >&2
RSS_PEAK_KB=$(status_kb VmHWM)
RSS_AFTER_KB=$(status_kb VmRSS)

export RSS_IDLE_KB RSS_PEAK_KB RSS_AFTER_KB DURATION CONNECTIONS THREADS AGENT_NAME OUT
export HEALTH_CMD AGENT_CMD SEARCH_CMD DOCS_CMD SEARCH_PATH DOCS_PATH
export COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
export CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
export NPROC=$(nproc)
export LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
export RUSTC=$(rustc --version)
export WRK_VERSION=$(wrk -v 2>&1 | head -n1 | awk '{ print $1, $2 }')

python3 - <<'EOF'
import os, re, sys, datetime, pathlib

def parse(path):
    text = pathlib.Path(path).read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": rps, "total": total, "p50": lat(50), "p99": lat(99),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
    }

h, a = parse(os.environ["OUT"] + "/health.txt"), parse(os.environ["OUT"] + "/agent.txt")
q, d = parse(os.environ["OUT"] + "/search.txt"), parse(os.environ["OUT"] + "/docs.txt")
ratio = a["rps"] / h["rps"]
idle_mb = int(os.environ["RSS_IDLE_KB"]) / 1024
peak_mb = int(os.environ["RSS_PEAK_KB"]) / 1024
after_mb = int(os.environ["RSS_AFTER_KB"]) / 1024
errors = sum(r["non2xx"] + r["socket_errors"] for r in (h, a, q, d))

def goal(ok):
    return "met" if ok else "**missed**"

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
e = os.environ
section = f"""<!-- bench:begin (written by bench/run.sh; do not edit by hand) -->
## Latest run

{now}, commit `{e['COMMIT']}`{e['DIRTY']}, on {e['NPROC']} × {e['CPU']} (load average after the run: {e['LOADAVG']});
{e['RUSTC']}, {e['WRK_VERSION']}.
Release `taosd` on SQLite (fresh temp data dir, `TAOS_LOG=warn`); wrk on the same machine, so the
two compete for the same cores: compare the ratio, not the absolute numbers.

Command: `bench/run.sh` (BENCH_DURATION={e['DURATION']}, BENCH_CONNECTIONS={e['CONNECTIONS']}, BENCH_THREADS={e['THREADS']}), which runs, one after the other:

```
{e['HEALTH_CMD']}
{e['AGENT_CMD']}
{e['SEARCH_CMD']}
{e['DOCS_CMD']}
```

(`$AGENT_TOKEN` is a fresh token of the agent `{e['AGENT_NAME']}` with scope `agents.read` and `knowledge.read`.)

| Endpoint | Requests/s | p50 | p99 | Requests | Non-2xx | Socket errors |
|---|---:|---:|---:|---:|---:|---:|
| `GET /api/health` (no auth) | {h['rps']:.0f} | {h['p50']:.3f} ms | {h['p99']:.3f} ms | {h['total']} | {h['non2xx']} | {h['socket_errors']} |
| `GET /api/agents/{e['AGENT_NAME']}` (agent token) | {a['rps']:.0f} | {a['p50']:.3f} ms | {a['p99']:.3f} ms | {a['total']} | {a['non2xx']} | {a['socket_errors']} |
| `GET {e['SEARCH_PATH']}` (agent token) | {q['rps']:.0f} | {q['p50']:.3f} ms | {q['p99']:.3f} ms | {q['total']} | {q['non2xx']} | {q['socket_errors']} |
| `GET {e['DOCS_PATH']}` (HTML, no auth) | {d['rps']:.0f} | {d['p50']:.3f} ms | {d['p99']:.3f} ms | {d['total']} | {d['non2xx']} | {d['socket_errors']} |

| Figure | Value | Goal | |
|---|---:|---|---|
| Throughput ratio agent / health | {ratio:.2f} | ≥ 0.5 | {goal(ratio >= 0.5)} |
| p99, authenticated `GET /api/agents/{{name}}` | {a['p99']:.3f} ms | ≤ 5 ms | {goal(a['p99'] <= 5)} |
| p99, `GET /api/health` | {h['p99']:.3f} ms | ≤ 5 ms | {goal(h['p99'] <= 5)} |
| Throughput ratio search / health | {q['rps'] / h['rps']:.2f} | (recorded) | |
| Throughput ratio docs page / health | {d['rps'] / h['rps']:.2f} | (recorded) | |
| p99, knowledge search | {q['p99']:.3f} ms | (recorded) | |
| RSS idle (VmRSS before any load) | {idle_mb:.1f} MB | ≤ 20 MB | {goal(idle_mb <= 20)} |
| RSS peak under load (VmHWM) | {peak_mb:.1f} MB | (recorded) | |
| RSS after load (VmRSS) | {after_mb:.1f} MB | (recorded) | |
| Non-2xx answers and socket errors | {errors} | 0 | {goal(errors == 0)} |
<!-- bench:end -->"""

doc = pathlib.Path("docs/benchmarks.md")
text = doc.read_text() if doc.exists() else "# Benchmarks\n"
if "<!-- bench:begin" in text:
    text = re.sub(r"<!-- bench:begin.*?<!-- bench:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
doc.write_text(text)
print(section)
if errors:
    print(f"bench: {errors} non-2xx answers or socket errors: the figures are not valid", file=sys.stderr)
    sys.exit(1)
EOF
log "docs/benchmarks.md updated"
