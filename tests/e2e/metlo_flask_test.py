"""End-to-end test: a Flask app with Metlo's own middleware and agent sends its traffic
to `palisade serve`, and its endpoints and fields appear in Palisade's inventory.

Every process listens on 127.0.0.1 and is started by this test. Exit status 0 means
the test passed.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PALISADE = os.environ.get("PALISADE_BIN", os.path.join(ROOT, "target", "release", "palisade"))
APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metlo_flask", "app.py")
TIMEOUT_SECS = 60


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method, url, key=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def wait_for(what, check):
    deadline = time.time() + TIMEOUT_SECS
    last_error = None
    while time.time() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError) as error:
            last_error = error
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def start_palisade(data_dir, port):
    process = subprocess.Popen(
        [PALISADE, "--data-dir", data_dir, "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    keys = {}
    for _ in range(10):
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("Admin API token"):
            keys["admin"] = process.stdout.readline().strip()
        elif line.startswith("Ingest key"):
            keys["ingest"] = process.stdout.readline().strip()
        elif line.startswith("Palisade is listening"):
            break
    assert "admin" in keys, f"admin token not printed: {keys}"
    assert "ingest" in keys, f"ingest key not printed: {keys}"
    return process, keys


def main():
    palisade_port = free_port()
    app_port = free_port()
    processes = []
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            palisade, keys = start_palisade(data_dir, palisade_port)
            processes.append(palisade)
            base = f"http://127.0.0.1:{palisade_port}"

            env = dict(os.environ, PALISADE_PORT=str(palisade_port), PALISADE_INGEST_KEY=keys["ingest"], APP_PORT=str(app_port))
            app = subprocess.Popen([sys.executable, APP], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(app)
            app_base = f"http://127.0.0.1:{app_port}"
            wait_for("the Flask app", lambda: http("GET", f"{app_base}/users/me")[0] == 200)

            def send_traffic():
                for user_id in (1, 2, 3):
                    http("GET", f"{app_base}/users/{user_id}")
                    http("GET", f"{app_base}/users/{user_id}/orders")
                http("GET", f"{app_base}/users/me")
                http("POST", f"{app_base}/orders", body={"items": [{"sku": "B-1", "qty": 2}]})
                http("GET", f"{app_base}/products?category=books")

            host = f"127.0.0.1:{app_port}"
            expected = {
                f"GET {host} /users/me",
                f"GET {host} /users/{{userId}}",
                f"GET {host} /users/{{userId}}/orders",
                f"POST {host} /orders",
                f"GET {host} /products",
            }

            def inventory():
                send_traffic()
                _, body = http("GET", f"{base}/api/v1/endpoints?limit=1000", keys["admin"])
                found = {f"{e['method']} {e['host']} {e['template']}" for e in json.loads(body)["items"]}
                return found if expected <= found else None

            found = wait_for("the endpoints in Palisade", inventory)
            print("endpoints:", sorted(found))

            # The agent attaches field types to a share of its traces ("full" analysis), so
            # keep sending until they arrive.
            def user_fields():
                send_traffic()
                query = urllib.parse.urlencode({"method": "GET", "host": host, "path": "/users/1"})
                _, body = http("GET", f"{base}/api/v1/endpoints/lookup?{query}", keys["admin"])
                detail = json.loads(body)
                paths = {(f["section"], f["path"]) for f in detail["fields"]}
                return paths if ("response.body", "email") in paths else None

            paths = wait_for("response fields of GET /users/{userId}", user_fields)
            for wanted in [("response.body", "email"), ("response.body", "id"), ("response.body", "name")]:
                assert wanted in paths, f"missing field {wanted}: {sorted(paths)}"
            print("fields of GET /users/{userId}:", sorted(paths))
            print("PASS metlo_flask_test")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
