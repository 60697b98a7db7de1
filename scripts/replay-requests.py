#!/usr/bin/env python3
"""Replays labelled requests (JSON Lines from `palisade eval detection --export-requests`)
against an HTTP server on 127.0.0.1 and reports how many were blocked (status 403) per
source and class: the true-positive rate on attacks and the false-positive rate on
benign requests.

Usage: replay-requests.py REQUESTS.jsonl PORT [--label NAME] [--json OUT.json]

Requests are written byte for byte on a fresh connection each, so targets and bodies
reach the server exactly as exported. Only loopback addresses are contacted.
"""

import argparse
import collections
import concurrent.futures
import json
import socket
import sys

HOST = "127.0.0.1"
TIMEOUT_SECS = 15
WORKERS = 4


def raw_request(record):
    body = bytes.fromhex(record["body_hex"])
    lines = [f"{record['method']} {record['target']} HTTP/1.1"]
    for name, value in record["headers"]:
        if name.lower() in ("content-length", "connection", "transfer-encoding"):
            continue
        lines.append(f"{name}: {value}")
    if body or record["method"] in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return head + body


def send(port, record):
    try:
        with socket.create_connection((HOST, port), timeout=TIMEOUT_SECS) as connection:
            connection.sendall(raw_request(record))
            response = b""
            while b"\r\n" not in response and len(response) < 4096:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                response += chunk
        status_line = response.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except OSError:
        return -1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requests")
    parser.add_argument("port", type=int)
    parser.add_argument("--label", default="server")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()

    with open(args.requests, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]

    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = list(pool.map(lambda record: send(args.port, record), records, chunksize=64))

    tallies = collections.defaultdict(lambda: {"attacks": 0, "detected": 0, "benign": 0, "false_positives": 0})
    other_statuses = collections.Counter()
    for record, status in zip(records, statuses):
        tally = tallies[(record["source"], record["class"])]
        blocked = status == 403
        if status not in (200, 403):
            other_statuses[status] += 1
        if record["attack"]:
            tally["attacks"] += 1
            tally["detected"] += blocked
        else:
            tally["benign"] += 1
            tally["false_positives"] += blocked

    def rate(numerator, denominator):
        return f"{100.0 * numerator / denominator:.1f}%" if denominator else "-"

    print(f"{args.label}: {len(records)} requests to 127.0.0.1:{args.port}, blocked = status 403")
    print(f"{'SOURCE':<14} {'CLASS':<22} {'ATTACKS':>8} {'TPR':>7} {'BENIGN':>7} {'FPR':>7}")
    for (source, cls), tally in sorted(tallies.items()):
        print(
            f"{source:<14} {cls:<22} {tally['attacks']:>8} {rate(tally['detected'], tally['attacks']):>7} "
            f"{tally['benign']:>7} {rate(tally['false_positives'], tally['benign']):>7}"
        )
    if other_statuses:
        listed = ", ".join(f"{status}: {count}" for status, count in sorted(other_statuses.items()))
        print(f"other statuses (not counted as blocked; -1 is a connection error): {listed}")

    if args.json_out:
        summary = {
            "label": args.label,
            "by_source": {},
            "other_statuses": {str(k): v for k, v in other_statuses.items()},
        }
        for (source, cls), tally in tallies.items():
            summary["by_source"].setdefault(source, {})[cls] = tally
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
