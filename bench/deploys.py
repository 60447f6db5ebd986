"""Deploys one after another, for bench/run.sh, printed as JSON.

  deploys.py URL TOKEN COUNT
      COUNT keyed `POST /api/agents/deploy` of a process agent (`sleep 3600`), each followed
      with `GET /api/operations/{id}?wait_s=30` until done, then stopped (untimed). Two times
      per deploy: request sent to the 202 read (registering the agent and its operation), and
      request sent to the operation read as `succeeded` (token, start, and the one second the
      agent must keep running). Any other answer ends the run with an error.

  deploys.py setup URL TOKEN
      One deploy of `bench-deployed`, followed to the end: prints its operation id (for the
      wrk loads of GET /api/operations/{id} and GET /api/agents/bench-deployed/deploy-status).
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse
import uuid


def summary(times_ms):
    ordered = sorted(times_ms)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return {"count": len(ordered), "median_ms": statistics.median(ordered), "p99_ms": p99, "max_ms": ordered[-1]}


def call(conn, method, path, token, body=None, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def deploy_once(conn, token, name):
    body = {"name": name, "spec": {"runtime": "process", "command": ["sleep", "3600"]}}
    started = time.perf_counter()
    status, answer = call(conn, "POST", "/api/agents/deploy", token, body, str(uuid.uuid4()))
    accepted_ms = (time.perf_counter() - started) * 1000
    if status != 202:
        sys.exit(f"deploys.py: deploy answered {status}: {answer[:300]!r}")
    op = json.loads(answer)
    while True:
        status, answer = call(conn, "GET", f"/api/operations/{op['id']}?wait_s=30", token)
        if status != 200:
            sys.exit(f"deploys.py: the operation answered {status}: {answer[:300]!r}")
        now = json.loads(answer)
        if now["done"]:
            break
    done_ms = (time.perf_counter() - started) * 1000
    if now["status"] != "succeeded":
        sys.exit(f"deploys.py: a deploy failed: {answer[:500]!r}")
    return op, accepted_ms, done_ms


def main():
    mode = sys.argv[1]
    if mode == "setup":
        url, token = sys.argv[2], sys.argv[3]
        parsed = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        op, _, _ = deploy_once(conn, token, "bench deployed")
        print(op["id"])
        return
    url, token, count = mode, sys.argv[2], int(sys.argv[3])
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    run = uuid.uuid4().hex[:8]
    accepted, done = [], []
    for i in range(count):
        op, a, d = deploy_once(conn, token, f"deploy {run} {i}")
        accepted.append(a)
        done.append(d)
        status, answer = call(conn, "POST", f"/api/agents/{op['agent']}/stop?timeout_s=1", token)
        if status != 200:
            sys.exit(f"deploys.py: stop answered {status}: {answer[:300]!r}")
    conn.close()
    print(json.dumps({"accepted": summary(accepted), "succeeded": summary(done)}))


if __name__ == "__main__":
    main()
