"""The two figures of bench/run.sh that one request at a time measures, printed as JSON.

  sequential.py creates URL TOKEN COUNT
      COUNT keyed `POST /api/agents` (each with its own Idempotency-Key) one after another on
      one keep-alive connection; the time of each, request sent to answer read.
  sequential.py starts URL TOKEN AGENT COUNT
      COUNT `POST /api/agents/AGENT/start` (answered once the process agent is running), each
      followed by an untimed stop, on one keep-alive connection: start → running latency.
  sequential.py cold-start TAOSD DATA_DIR COUNT
      COUNT starts of TAOSD on DATA_DIR (an existing database), each timed from just before the
      exec to the first 200 from GET /api/health, then stopped with SIGTERM.

Any answer other than the expected one ends the run with an error.
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid


def summary(times_ms):
    ordered = sorted(times_ms)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return {
        "count": len(ordered),
        "median_ms": statistics.median(ordered),
        "p99_ms": p99,
        "max_ms": ordered[-1],
    }


def creates(url, token, count):
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    run = uuid.uuid4().hex[:8]
    times = []
    for i in range(count):
        body = json.dumps({"name": f"seq {run} {i}"})
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        started = time.perf_counter()
        conn.request("POST", "/api/agents", body=body, headers=headers)
        resp = conn.getresponse()
        answer = resp.read()
        times.append((time.perf_counter() - started) * 1000)
        if resp.status != 201:
            sys.exit(f"sequential.py: create {i} answered {resp.status}: {answer[:300]!r}")
    conn.close()
    return summary(times)


def starts(url, token, agent, count):
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for i in range(count):
        started = time.perf_counter()
        conn.request("POST", f"/api/agents/{agent}/start", headers=headers)
        resp = conn.getresponse()
        answer = resp.read()
        times.append((time.perf_counter() - started) * 1000)
        if resp.status != 200 or json.loads(answer).get("state") != "running":
            sys.exit(f"sequential.py: start {i} answered {resp.status}: {answer[:300]!r}")
        conn.request("POST", f"/api/agents/{agent}/stop?timeout_s=1", headers=headers)
        resp = conn.getresponse()
        answer = resp.read()
        if resp.status != 200:
            sys.exit(f"sequential.py: stop {i} answered {resp.status}: {answer[:300]!r}")
    conn.close()
    return summary(times)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_ok(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/api/health")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status == 200
    except OSError:
        return False


def cold_start(taosd, data_dir, count):
    env = dict(os.environ, TAOS_DATA_DIR=data_dir, TAOS_LOG="warn")
    env.pop("TAOS_DATABASE_URL", None)
    times = []
    for i in range(count):
        port = free_port()
        env["TAOS_BIND"] = f"127.0.0.1:{port}"
        started = time.perf_counter()
        proc = subprocess.Popen([taosd], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not health_ok(port):
            if proc.poll() is not None:
                sys.exit(f"sequential.py: taosd exited ({proc.returncode}): {proc.stderr.read()[-2000:]!r}")
            if time.perf_counter() - started > 30:
                proc.kill()
                sys.exit("sequential.py: taosd did not answer /api/health within 30 s")
            time.sleep(0.001)
        times.append((time.perf_counter() - started) * 1000)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode != 0:
            sys.exit(f"sequential.py: taosd exited with {proc.returncode} on SIGTERM")
    return summary(times)


def main():
    what = sys.argv[1]
    if what == "creates":
        result = creates(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif what == "cold-start":
        result = cold_start(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif what == "starts":
        result = starts(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(f"sequential.py: unknown measure {what!r}")
    print(json.dumps(result))


main()
