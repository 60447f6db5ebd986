"""Schemathesis hooks for the conformance run of tests/run-all.sh (loaded by schemathesis.toml).

They make the generated traffic behave like a correct client in two places where the contract
itself says a request depends on earlier ones, and change nothing else:

1. `DELETE /api/auth/tokens/{id}` never targets the run's own token. Schemathesis learns ids
   from responses (`GET /api/auth/tokens` lists the token it authenticates with) and would
   otherwise revoke it halfway through, turning the rest of the run into 401s. run-all.sh
   passes that token's id in TAOS_ST_TOKEN_ID; such a case gets a fresh random id instead (a
   schema-valid request answered 404 `user_token_not_found`).

2. The creating operations with an `Idempotency-Key` (`POST /api/agents`,
   `POST /api/agents/import`, `POST /api/agents/deploy`) get a fresh key per request. The contract says a key reused with a
   different body is refused (422 `idempotency_key_reused`), but schemathesis draws keys from a
   small pool and reuses them across different bodies, which its `positive_data_acceptance`
   check would then report. Only keys the server accepts (1-255 visible ASCII characters) are
   replaced — and, in cases meant to be accepted, keys with control characters — so keys that
   break the format in negative cases still reach the server untouched.
"""

import os
import re
import uuid

import schemathesis

OWN_TOKEN_ID = os.environ.get("TAOS_ST_TOKEN_ID", "")
ACCEPTED_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
IDEMPOTENT = {("POST", "/api/agents"), ("POST", "/api/agents/import"), ("POST", "/api/agents/deploy")}


def _positive(case):
    """Whether schemathesis means `case` to be accepted. Its positive cases may still draw a key
    with control characters (the schema's string type allows them; HTTP header values and the
    parameter's description — visible ASCII — do not), which such a case must not send."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return getattr(mode, "value", mode) == "positive"


def _header(headers, name):
    for key in headers or {}:
        if key.lower() == name.lower():
            return key
    return None


@schemathesis.hook
def before_call(context, case, kwargs):
    operation = (case.operation.method.upper(), case.operation.path)

    if operation == ("DELETE", "/api/auth/tokens/{id}") and OWN_TOKEN_ID:
        params = case.path_parameters or {}
        if str(params.get("id", "")).lower() == OWN_TOKEN_ID.lower():
            params["id"] = str(uuid.uuid4())

    if operation in IDEMPOTENT:
        name = _header(case.headers, "Idempotency-Key")
        if name is not None:
            value = case.headers[name]
            if isinstance(value, str) and (ACCEPTED_KEY.match(value) or _positive(case)):
                case.headers[name] = str(uuid.uuid4())


# 3. Agents' logs are NDJSON (`GET /api/agents/{name}/logs`): one JSON object per line, which
#    the contract describes as an array of LogLine. Without a deserializer schemathesis would
#    skip validating those answers.
@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    import json

    return [json.loads(line) for line in response.content.splitlines() if line.strip()]


# 4. The runtime operations may answer a designed 5xx: 503 `runtime_unavailable` (a runtime that
#    is not installed or not running here, which the contract documents) and 502
#    `runtime_failed`. schemathesis.toml turns `not_a_server_error` off; this check takes its
#    place for every operation, and allows nothing else of 5xx.
DESIGNED_5XX = {503: "runtime_unavailable", 502: "runtime_failed"}


@schemathesis.check
def only_designed_server_errors(ctx, response, case):
    status = response.status_code
    if status < 500:
        return None
    slug = None
    try:
        slug = response.json().get("error")
    except Exception:
        pass
    if DESIGNED_5XX.get(status) != slug:
        raise AssertionError(f"server error {status} {slug!r}: {response.text[:300]}")
    return None
