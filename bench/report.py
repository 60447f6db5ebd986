"""Writes the generated section of docs/benchmarks.md from what bench/run.sh measured.

Reads the wrk outputs and sequential.py's JSON in $OUT and the run's facts from the
environment (set by run.sh); exits 1 when any answer was not a 2xx or a socket failed, since
the figures of such a run do not count.
"""

import datetime
import json
import os
import pathlib
import re
import sys

e = os.environ
OUT = pathlib.Path(e["OUT"])


def parse(name):
    text = (OUT / f"{name}.txt").read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))

    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": rps,
        "total": total,
        "p50": lat(50),
        "p99": lat(99),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
    }


LOADS = [
    ("health", "`GET /api/health` (no auth)"),
    ("agent", f"`GET /api/agents/{e['AGENT_NAME']}` (agent token)"),
    ("agents", f"`GET {e['AGENTS_PATH']}` (user token, 61 agents)"),
    ("search", f"`GET {e['SEARCH_PATH']}` (agent token)"),
    ("searchcold", "`GET /api/knowledge/search?q=…` (agent token), three of 24 words, a different query each request (never a cached answer)"),
    ("docs", f"`GET {e['DOCS_PATH']}` (HTML, no auth)"),
    ("notify", f"`POST {e['NOTIFY_PATH']}` (agent token)"),
    ("notifications", f"`GET {e['NOTIFICATIONS_PATH']}` (user token, after the notify load)"),
    ("inboxpoll", "`GET /notifications` with the session cookie and the page's ETag (the inbox script's poll: 304)"),
    ("runtimes", "`GET /api/runtimes` (agent token)"),
    ("agentruntime", f"`GET /api/agents/{e['AGENT_NAME']}/runtime` (agent token, agent running)"),
    ("logs", f"`GET {e['LOGS_PATH']}` (user token, NDJSON)"),
    ("operation", "`GET /api/operations/{id}` (user token, a finished deploy)"),
    ("deploystatus", f"`GET {e['DEPLOY_STATUS_PATH']}` (user token)"),
    ("mcpagent", f"`POST /mcp` `tools/call get_agent {{name: {e['AGENT_NAME']}}}` (agent token)"),
    ("mcplist", "`POST /mcp` `tools/list` (user token: all 37 tools with their schemas)"),
    ("openapi", "`GET /openapi.json` (no auth)"),
    ("front", "`GET /` with `Accept: application/json` (no auth, the discovery index)"),
    ("fleethealth", f"`GET /api/health`, {e['FLEET']} process agents running"),
    ("fleetagent", f"`GET /api/agents/{e['AGENT_NAME']}` (agent token), {e['FLEET']} process agents running"),
]
r = {name: parse(name) for name, _ in LOADS}
creates = json.loads((OUT / "creates.json").read_text())
starts = json.loads((OUT / "starts.json").read_text())
agent_starts = json.loads((OUT / "agentstarts.json").read_text())
deploys = json.loads((OUT / "deploys.json").read_text())
fleet = json.loads((OUT / "fleet.json").read_text())
fleet_down = json.loads((OUT / "fleetdown.json").read_text())
follow = json.loads((OUT / "follow.json").read_text())
h = r["health"]


def ratio(name, over="health"):
    return r[name]["rps"] / r[over]["rps"]


def goal(ok):
    return "met" if ok else "**missed**"


idle_mb = int(e["RSS_IDLE_KB"]) / 1024
peak_mb = int(e["RSS_PEAK_KB"]) / 1024
after_mb = int(e["RSS_AFTER_KB"]) / 1024
# A taosd that cannot keep up spreads the same work over a longer window: its cores figure
# counts only if the followers got the end within a second of the writer's last line.
kept_up = follow["window_s"] <= float(e["FOLLOW_SECONDS"]) + 1
fleet_mb = max(int(e["FLEET_RSS_KB"]), int(e["FLEET_RSS_AFTER_KB"])) / 1024
errors = sum(x["non2xx"] + x["socket_errors"] for x in r.values())

rows = "\n".join(
    f"| {label} | {r[n]['rps']:.0f} | {r[n]['p50']:.3f} ms | {r[n]['p99']:.3f} ms | "
    f"{r[n]['total']} | {r[n]['non2xx']} | {r[n]['socket_errors']} |"
    for n, label in LOADS
)
commands = "\n".join(
    [f"python3 bench/fleet.py up $URL $USER_TOKEN {e['FLEET']}"]
    + [e[f"{n.upper()}_CMD"] for n, _ in LOADS if n.startswith("fleet")]
    + ["python3 bench/fleet.py down $URL $USER_TOKEN", "python3 bench/deploys.py setup $URL $USER_TOKEN  # the deploy whose operation the reads below load"]
    + [e[f"{n.upper()}_CMD"] for n, _ in LOADS if not n.startswith("fleet")]
)


def ratio_line(label, name, at_least):
    x = ratio(name)
    return f"| Throughput ratio {label} / health | {x:.2f} | ≥ {at_least} | {goal(x >= at_least)} |"


def p99_line(label, name, at_most):
    x = r[name]["p99"]
    return f"| p99, {label} | {x:.3f} ms | ≤ {at_most} ms | {goal(x <= at_most)} |"


def ms_line(label, x, at_most):
    if at_most is None:
        return f"| {label} | {x:.2f} ms | (recorded) | |"
    return f"| {label} | {x:.2f} ms | ≤ {at_most} ms | {goal(x <= at_most)} |"


figures = "\n".join(
    [
        ratio_line("agent read", "agent", 0.9),
        p99_line("authenticated `GET /api/agents/{name}`", "agent", 5),
        p99_line("`GET /api/health`", "health", 5),
        f"| Throughput ratio MCP `tools/call get_agent` / the same read over HTTP | {ratio('mcpagent', 'agent'):.2f} | ≥ 0.5 | {goal(ratio('mcpagent', 'agent') >= 0.5)} |",
        p99_line("MCP `tools/call get_agent`", "mcpagent", 10),
        f"| Throughput ratio MCP `tools/list` / health | {ratio('mcplist'):.2f} | (recorded) | |",
        f"| Throughput ratio `/openapi.json` / health | {ratio('openapi'):.2f} | (recorded) | |",
        f"| Throughput ratio `GET /` (JSON) / health | {ratio('front'):.2f} | (recorded) | |",
        ratio_line("notify", "notify", 0.5),
        p99_line("`POST /api/ui/notify`", "notify", 10),
        ratio_line("agents page", "agents", 0.25),
        ratio_line("notifications page", "notifications", 0.25),
        f"| Throughput ratio inbox page poll (304) / health | {ratio('inboxpoll'):.2f} | (recorded) | |",
        ratio_line("search", "search", 0.25),
        p99_line("knowledge search", "search", 20),
        ratio_line("search, every query different (uncached)", "searchcold", 0.25),
        p99_line("knowledge search, every query different (uncached)", "searchcold", 20),
        f"| Throughput ratio docs page / health | {ratio('docs'):.2f} | (recorded) | |",
        f"| Throughput ratio runtimes list / health | {ratio('runtimes'):.2f} | (recorded) | |",
        f"| Throughput ratio agent runtime read / health | {ratio('agentruntime'):.2f} | (recorded) | |",
        f"| Throughput ratio logs (100 lines) / health | {ratio('logs'):.2f} | (recorded) | |",
        f"| Throughput ratio operation read / health | {ratio('operation'):.2f} | (recorded) | |",
        f"| Throughput ratio deploy status / health | {ratio('deploystatus'):.2f} | (recorded) | |",
        f"| RSS with {fleet['count']} process agents running (VmRSS, the larger of before and after their loads) | {fleet_mb:.1f} MB | ≤ 60 MB | {goal(fleet_mb <= 60)} |",
        f"| Throughput ratio agent read / health, both with {fleet['count']} agents running | {ratio('fleetagent', 'fleethealth'):.2f} | ≥ 0.8 | {goal(ratio('fleetagent', 'fleethealth') >= 0.8)} |",
        f"| Bulk start of {fleet['count']} agents; bulk stop of all {fleet_down['stopped']} | {fleet['bulk_start_s'] * 1000:.0f} ms; {fleet_down['bulk_stop_s'] * 1000:.0f} ms | (recorded) | |",
        f"| Log follow: lines a second the agent wrote (from the lines' `ts`; asked {float(e['FOLLOW_RATE']):.0f}) | {follow['lines_per_s']:.0f} | ≥ {0.95 * float(e['FOLLOW_RATE']):.0f} | {goal(follow['lines_per_s'] >= 0.95 * float(e['FOLLOW_RATE']))} |",
        f"| Log follow: followers that got every line ({follow['lines_stored']} lines, {follow['events']} events in all; gaps: {follow['gaps']}) | {follow['complete']} of {follow['followers']} | all | {goal(follow['complete'] == follow['followers'] and follow['gaps'] == 0)} |",
        f"| Log follow: the followers' end after the agent's {float(e['FOLLOW_SECONDS']):.0f} s of writing (how far behind they fell) | {follow['window_s'] - float(e['FOLLOW_SECONDS']):.1f} s | ≤ 1 s | {goal(kept_up)} |",
        f"| Log follow: taosd CPU over the {follow['window_s']:.1f} s window ({follow['cpu_s']:.1f} s of utime + stime; per second of writing: {follow['cpu_s'] / float(e['FOLLOW_SECONDS']):.2f}) | {follow['cpu_cores']:.2f} cores | < 1, keeping up | {goal(follow['cpu_cores'] < 1 and kept_up)} |",
        ms_line(f"Process agent start → running: median of {agent_starts['count']}", agent_starts["median_ms"], 20),
        ms_line(f"Process agent start → running: p99 of {agent_starts['count']}", agent_starts["p99_ms"], None),
        ms_line(f"Keyed `POST /api/agents/deploy` → 202, one at a time: median of {deploys['accepted']['count']}", deploys["accepted"]["median_ms"], None),
        ms_line(f"Deploy → `succeeded` (token, start, 1 s kept running): median of {deploys['succeeded']['count']}", deploys["succeeded"]["median_ms"], None),
        ms_line(f"Keyed `POST /api/agents`, one at a time: median of {creates['count']}", creates["median_ms"], 3),
        ms_line(f"Keyed `POST /api/agents`, one at a time: p99 of {creates['count']}", creates["p99_ms"], None),
        ms_line(f"Cold start (exec → first 200 of `/api/health`): median of {starts['count']}", starts["median_ms"], 100),
        ms_line(f"Cold start: slowest of {starts['count']}", starts["max_ms"], None),
        f"| RSS idle (VmRSS before any load) | {idle_mb:.1f} MB | ≤ 20 MB | {goal(idle_mb <= 20)} |",
        f"| RSS peak under load (VmHWM) | {peak_mb:.1f} MB | (recorded) | |",
        f"| RSS after load (VmRSS) | {after_mb:.1f} MB | (recorded) | |",
        f"| Non-2xx answers and socket errors | {errors} | 0 | {goal(errors == 0)} |",
    ]
)

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
section = f"""<!-- bench:begin (written by bench/run.sh; do not edit by hand) -->
## Latest run

{now}, commit `{e['COMMIT']}`{e['DIRTY']}{e.get('BINARY_NOTE', '')}, on {e['NPROC']} × {e['CPU']} (load average before the run: {e['LOADAVG_BEFORE']}, after: {e['LOADAVG']});
{e['RUSTC']}, {e['WRK_VERSION']}.
Release `taosd` on SQLite (fresh temp data dir, `TAOS_LOG=warn`); wrk on the same machine, so the
two compete for the same cores: compare the ratio, not the absolute numbers.

Command: `bench/run.sh` (BENCH_DURATION={e['DURATION']}, BENCH_CONNECTIONS={e['CONNECTIONS']}, BENCH_THREADS={e['THREADS']}, BENCH_CREATES={e['CREATES']}, BENCH_STARTS={e['STARTS']}), which runs, one after the other:

```
{commands}
python3 bench/follow.py $URL $USER_TOKEN $TAOSD_PID {e['FOLLOW_RATE']} {e['FOLLOW_SECONDS']} {e['FOLLOWERS']}
python3 bench/sequential.py creates $URL $USER_TOKEN {e['CREATES']}
python3 bench/deploys.py $URL $USER_TOKEN {e['DEPLOYS']}
python3 bench/sequential.py starts $URL $USER_TOKEN bench-starter {e['LIFECYCLE_STARTS']}
python3 bench/sequential.py cold-start $TAOSD $DATA_DIR {e['STARTS']}
```

(`$AGENT_TOKEN` is a fresh token of the agent `{e['AGENT_NAME']}` with scope `agents.read`,
`knowledge.read` and `ui.notify`; `$USER_TOKEN` the user's token from setup. The cold starts
run on the database the loads left: {e['NOTIFICATIONS_TOTAL']} notifications, {63 + creates['count'] + deploys['succeeded']['count']} agents, and the {e['FLEET']} of the fleet deleted.)

| Endpoint | Requests/s | p50 | p99 | Requests | Non-2xx | Socket errors |
|---|---:|---:|---:|---:|---:|---:|
{rows}

| Figure | Value | Goal | |
|---|---:|---|---|
{figures}
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
