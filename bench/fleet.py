"""Many process agents running at once, for bench/run.sh's fleet figures; JSON on stdout.

  fleet.py up URL TOKEN COUNT
      Creates COUNT agents `bench-fleet-000`…, gives each a process runtime that writes
      PREFILL lines at once (so its in-memory ring is at its bound, as it is for an agent that
      has run a while) and then one line a second, starts them all with one bulk start, and
      waits until each is running and has written its first tick.
  fleet.py down URL TOKEN
      Stops every agent with one bulk stop (`{"all": true}`) and checks each result, deletes
      the fleet's agents, and starts bench-agent again (the stop of all stopped it), waiting
      for its 1000 lines, as bench/run.sh's loads expect it.

Any answer other than the expected one ends the run with an error.
"""

import http.client
import json
import sys
import time
import urllib.parse

# The log ring's default bound is 1000 lines (server/src/runtime/logs/mod.rs): fill it.
PREFILL = 1000
# One tick a second: 200 agents fork 200 `sleep`s a second. At 0.2 s the box (2 cores) spends
# about a core forking sleeps, and that measures the kernel, not taosd.
TICK = (
    f"i=0; while [ $i -lt {PREFILL} ]; do echo warm $i; i=$((i+1)); done; "
    "i=0; while :; do echo tick $i; i=$((i+1)); sleep 1; done"
)


class Api:
    def __init__(self, url, token):
        parsed = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        self.token = token

    def call(self, method, path, body=None, expect=(200,)):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        answer = resp.read()
        if resp.status not in expect:
            sys.exit(f"fleet.py: {method} {path} answered {resp.status}: {answer[:300]!r}")
        return json.loads(answer) if answer else None


def names(count):
    return [f"bench-fleet-{i:03d}" for i in range(count)]


def up(url, token, count):
    api = Api(url, token)
    fleet = names(count)
    for name in fleet:
        api.call("POST", "/api/agents", {"name": name}, expect=(201,))
        api.call(
            "PUT",
            f"/api/agents/{name}/runtime",
            {"runtime": "process", "command": ["sh", "-c", TICK], "restart": "no"},
        )
    started = time.perf_counter()
    results = api.call("POST", "/api/agents/bulk/start", {"names": fleet})["results"]
    start_s = time.perf_counter() - started
    failed = [r for r in results if not r.get("ok") or r["state"]["state"] != "running"]
    if len(results) != count or failed:
        sys.exit(f"fleet.py: bulk start: {len(results)} results, failed: {failed[:3]}")
    # Each agent running, its ring full and ticking.
    deadline = time.monotonic() + 120
    waiting = list(fleet)
    while waiting:
        if time.monotonic() > deadline:
            sys.exit(f"fleet.py: {len(waiting)} agents wrote no tick in 120 s: {waiting[:3]}")
        name = waiting[0]
        api.conn.request("GET", f"/api/agents/{name}/logs?tail=1", headers={"Authorization": f"Bearer {token}"})
        resp = api.conn.getresponse()
        last = resp.read()
        if resp.status != 200:
            sys.exit(f"fleet.py: logs of {name} answered {resp.status}: {last[:300]!r}")
        if b'"tick ' in last:
            waiting.pop(0)
        else:
            time.sleep(0.05)
    running = [
        c for c in api.call("GET", "/api/agents/containers")["items"]
        if (c.get("agent") or "").startswith("bench-fleet-") and c["state"] == "running"
    ]
    if len(running) != count:
        sys.exit(f"fleet.py: {len(running)} of {count} fleet agents running")
    return {"count": count, "bulk_start_s": start_s, "prefill_lines": PREFILL}


def down(url, token):
    api = Api(url, token)
    started = time.perf_counter()
    results = api.call("POST", "/api/agents/bulk/stop?timeout_s=5", {"all": True})["results"]
    stop_s = time.perf_counter() - started
    failed = [r for r in results if not r.get("ok") or r["state"]["state"] not in ("stopped", "created")]
    if failed:
        sys.exit(f"fleet.py: bulk stop: {len(failed)} failed: {failed[:3]}")
    fleet = [r["agent"] for r in results if r["agent"].startswith("bench-fleet-")]
    for name in fleet:
        api.call("DELETE", f"/api/agents/{name}")
    before = json.loads(api_raw(api, "/api/agents/bench-agent/logs?tail=1"))["seq"]
    if api.call("POST", "/api/agents/bench-agent/start")["state"] != "running":
        sys.exit("fleet.py: bench-agent did not start again")
    deadline = time.monotonic() + 60
    while True:
        last = json.loads(api_raw(api, "/api/agents/bench-agent/logs?tail=1"))
        if last["seq"] > before and last["line"].endswith("line 999"):
            break
        if time.monotonic() > deadline:
            sys.exit("fleet.py: bench-agent did not write its lines again")
        time.sleep(0.05)
    return {"stopped": len(results), "fleet_stopped": len(fleet), "bulk_stop_s": stop_s}


def api_raw(api, path):
    api.conn.request("GET", path, headers={"Authorization": f"Bearer {api.token}"})
    resp = api.conn.getresponse()
    answer = resp.read()
    if resp.status != 200:
        sys.exit(f"fleet.py: GET {path} answered {resp.status}: {answer[:300]!r}")
    return answer


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "up" and len(sys.argv) == 5:
        out = up(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "down" and len(sys.argv) == 4:
        out = down(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
