"""Log follow under a flood, for bench/run.sh; JSON on stdout.

  follow.py URL TOKEN TAOSD_PID RATE SECONDS FOLLOWERS CLIENT

Creates the agent `bench-follow`, a process agent (a python3 loop, paced) that waits for a go
file, then writes RATE lines a second for SECONDS seconds and exits 0 (restart `no`). Once it
runs, FOLLOWERS clients open `GET /api/agents/bench-follow/logs/stream?tail=0` (server-sent
events), the go file is made, and each client reads until its `event: end`. Then it checks:

- every follower got every line: the `id`s it saw run on by one from its first to the agent's
  last line (`seq` of `GET .../logs?tail=1` after the end), none missing, none twice;
- the rate the agent really wrote at: lines over the time between the first and the last
  line's `ts`, as taosd stamped them;
- taosd's CPU over the window (go file → every follower's end): utime + stime of TAOSD_PID
  from /proc/<pid>/stat, in cores.

The followers are CLIENT (bench/follow_client.rs, built with `rustc -O` by run.sh), a thread
each: a Python client (asyncio, a regex over what it read) parsed about 200 000 events a second
on this box, so the followers fell behind and the figures measured the client.
Any answer other than the expected one ends the run with an error.
"""

import datetime
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

AGENT = "bench-follow"
# The agent's program: paced, so the rate is the one asked (and a slow reader shows up as a
# lower measured rate, the pipe blocking it).
WRITER = r"""
import os, sys, time
rate, seconds, go = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 120
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit(3)
    time.sleep(0.005)
total = int(rate * seconds)
pad = "x" * 32
out = sys.stdout
i = 0
t0 = time.monotonic()
while i < total:
    due = min(total, int((time.monotonic() - t0) * rate) + 1)
    if due > i:
        out.write("".join(f"follow line {n} {pad}\n" for n in range(i, due)))
        out.flush()
        i = due
    time.sleep(0.001)
"""

def api(url, token, method, path, body=None, expect=(200,)):
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body)
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    answer = resp.read()
    conn.close()
    if resp.status not in expect:
        sys.exit(f"follow.py: {method} {path} answered {resp.status}: {answer[:300]!r}")
    return answer


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    url, token, pid, client_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[7]
    rate, seconds, followers = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    scratch = tempfile.mkdtemp(prefix="taos-bench-follow.")
    go_file = os.path.join(scratch, "go")

    api(url, token, "POST", "/api/agents", {"name": AGENT}, expect=(201,))
    command = [sys.executable, "-c", WRITER, str(rate), str(seconds), go_file]
    api(url, token, "PUT", f"/api/agents/{AGENT}/runtime", {"runtime": "process", "command": command, "restart": "no"})
    state = json.loads(api(url, token, "POST", f"/api/agents/{AGENT}/start"))
    if state["state"] != "running":
        sys.exit(f"follow.py: the writer is {state['state']}")

    parsed = urllib.parse.urlsplit(url)
    client = subprocess.Popen(
        [client_path, f"{parsed.hostname}:{parsed.port}", token, AGENT, str(followers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if client.stdout.readline().strip() != "ready":
        sys.exit("follow.py: the followers did not connect")
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    open(go_file, "w").close()
    try:
        out, _ = client.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        client.kill()
        sys.exit("follow.py: the followers did not end")
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    os.remove(go_file)
    os.rmdir(scratch)
    if client.returncode != 0:
        sys.exit(f"follow.py: the followers' client exited {client.returncode}")
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    errors = [r["error"] for r in results if r["error"]]
    if errors or len(results) != followers:
        sys.exit(f"follow.py: {len(results)} followers, {len(errors)} failed: {errors[:3]}")
    tail = api(url, token, "GET", f"/api/agents/{AGENT}/logs?tail=1").decode().strip()
    last = json.loads(tail)
    total = int(rate * seconds)
    saw = [r for r in results if r["first"] is not None]
    if not saw:
        sys.exit("follow.py: no follower got a line")
    first = min(saw, key=lambda r: r["first"])
    span = parse_ts(last["ts"]) - parse_ts(first["first_ts"])
    lines = last["seq"] - first["first"] + 1
    complete = [
        r for r in results
        if r["ended"] and r["breaks"] == 0 and r["last"] == last["seq"] and r["count"] == r["last"] - r["first"] + 1
    ]
    print(
        json.dumps(
            {
                "followers": len(results),
                "complete": len(complete),
                "from_first_line": sum(1 for r in results if r["first"] == 0),
                "gaps": sum(r["breaks"] for r in results),
                "ended": sum(1 for r in results if r["ended"]),
                "lines_asked": total,
                "lines_stored": last["seq"] + 1,
                "lines_per_s": lines / span if span > 0 else 0.0,
                "events": sum(r["count"] for r in results),
                "window_s": t1 - t0,
                "cpu_s": cpu1 - cpu0,
                "cpu_cores": (cpu1 - cpu0) / (t1 - t0),
                "min_count": min(r["count"] for r in results),
            }
        )
    )


def parse_ts(ts):
    # taosd writes nanoseconds; datetime takes six digits.
    head, _, frac = ts.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(head + "+00:00").timestamp() + float("0." + (frac or "0"))


if __name__ == "__main__":
    main()
