#!/usr/bin/env bash
# Benchmark taosctl's wall time: `taosctl agents list` against a local release taosd.
#
#   bench/taosctl.sh
#
# Builds release taosd and taosctl, starts taosd on a free loopback port with a fresh data dir,
# creates the first user and 20 agents, then times, in one run and interleaved, RUNS executions
# each of `taosctl --version` (process start, the floor) and `taosctl agents list` (start, read
# config, one authenticated request, print a table). Reports median and p90 of both, and the
# median of `agents list` against the goal (≤ 20 ms). The results replace the marked section of
# docs/benchmarks.md. Traffic goes to 127.0.0.1 only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-200}

log() { printf 'bench: %s\n' "$*" >&2; }

log "building the release taosd and taosctl"
cargo build --release -q -p taos-server -p taosctl --bins
TAOSD=$ROOT/target/release/taosd
TAOSCTL=$ROOT/target/release/taosctl

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/taosctl-bench.XXXXXX")
PID=
cleanup() {
    if [[ -n $PID ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

TAOS_BIND=127.0.0.1:0 TAOS_DATA_DIR=$SCRATCH/data TAOS_LOG=warn "$TAOSD" >"$SCRATCH/out" 2>"$SCRATCH/err" &
PID=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$SCRATCH/out" 2>/dev/null && break
    sleep 0.1
done
URL=$(sed -n 's/^taosd listening on //p' "$SCRATCH/out")
[[ -n $URL ]] || { cat "$SCRATCH/err" >&2; exit 1; }

export XDG_CONFIG_HOME=$SCRATCH/config HOME=$SCRATCH NO_COLOR=1
unset TAOS_TOKEN TAOS_URL
echo "correct-horse-battery" | "$TAOSCTL" --url "$URL" auth setup --username bench --password-stdin
for i in $(seq 20); do "$TAOSCTL" agents create --name "agent $i" >/dev/null 2>&1; done
"$TAOSCTL" agents list >/dev/null

python3 - "$TAOSCTL" "$RUNS" "$URL" <<'PY'
import os, statistics, subprocess, sys, time, datetime, re, pathlib
ctl, runs, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cmds = {"version": [ctl, "--version"], "list": [ctl, "agents", "list"]}
times = {k: [] for k in cmds}
for _ in range(runs):
    for k, cmd in cmds.items():
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[k].append((time.perf_counter() - t) * 1000)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed with exit {r.returncode}")
def q(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))]
med = {k: statistics.median(v) for k, v in times.items()}
p90 = {k: q(v, 0.9) for k, v in times.items()}
goal = "met" if med["list"] <= 20 else "**missed**"
load = open("/proc/loadavg").read().split()[0]
section = f"""<!-- bench-cli:begin (written by bench/taosctl.sh; do not edit by hand) -->
## taosctl wall time

{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, load average {load} at the end. Release `taosctl` against a release `taosd`
on SQLite with 20 agents, on this machine. Command: `bench/taosctl.sh` (BENCH_RUNS={runs}): {runs} runs of each,
interleaved, timed from process start to exit.

| Command | median | p90 |
|---|---:|---:|
| `taosctl --version` (process start: the floor) | {med['version']:.1f} ms | {p90['version']:.1f} ms |
| `taosctl agents list` (config, one authenticated request, a table) | {med['list']:.1f} ms | {p90['list']:.1f} ms |

| Figure | Value | Goal | |
|---|---:|---|---|
| median `taosctl agents list` | {med['list']:.1f} ms | ≤ 20 ms | {goal} |
| `agents list` over `--version` (median) | {med['list'] / med['version']:.1f} × | (recorded) | |
<!-- bench-cli:end -->"""
doc = pathlib.Path("docs/benchmarks.md")
text = doc.read_text()
if "<!-- bench-cli:begin" in text:
    text = re.sub(r"<!-- bench-cli:begin.*?<!-- bench-cli:end -->", section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
doc.write_text(text)
print(section)
PY
