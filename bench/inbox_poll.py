"""Signs in through the form as a browser does and reads the inbox page once, for the load of
its poll: prints the session's Cookie header value, then the page's ETag, after checking that
the page answers 304 to that ETag (what the inbox script gets while nothing changed).

    python3 bench/inbox_poll.py URL USERNAME PASSWORD
"""

import http.client
import re
import sys
import urllib.parse

url, username, password = sys.argv[1:4]
origin = url.rstrip("/")
conn = http.client.HTTPConnection(urllib.parse.urlsplit(origin).netloc, timeout=30)
cookies = {}


def request(method, path, body=None, headers=None):
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    for line in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = line.partition("=")
        value = rest.split(";", 1)[0]
        if value:
            cookies[name] = value
        else:
            # Cleared (the sign-in form's CSRF cookie, once used).
            cookies.pop(name, None)
    return resp, data.decode(errors="replace")


def hidden(html, name):
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not m:
        sys.exit(f"no {name} field on the sign-in form")
    return m.group(1)


resp, form = request("GET", "/login")
assert resp.status == 200, (resp.status, form)
fields = {
    "username": username,
    "password": password,
    "next": hidden(form, "next"),
    "csrf": hidden(form, "csrf"),
}
resp, body = request(
    "POST",
    "/login",
    urllib.parse.urlencode(fields),
    {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": origin,
        "Sec-Fetch-Site": "same-origin",
    },
)
if resp.status != 303 or "taos_session" not in cookies:
    sys.exit(f"signing in failed: {resp.status} {body[:200]}")
resp, page = request("GET", "/notifications")
etag = resp.headers.get("ETag")
if resp.status != 200 or not etag:
    sys.exit(f"the inbox page: {resp.status}, ETag {etag!r}")
resp, again = request("GET", "/notifications", headers={"If-None-Match": etag})
if resp.status != 304 or again:
    sys.exit(f"the inbox page's poll with its ETag: {resp.status}, {len(again)} bytes")
print("; ".join(f"{k}={v}" for k, v in cookies.items()))
print(etag)
