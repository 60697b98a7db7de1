#!/usr/bin/env bash
# Throughput of Palisade's signature detection (every attack class) against
# libinjection's SQL-injection check alone, on the same parameter values from the public
# corpora, one thread each. libinjection runs through the PyPI package
# `libinjection-python` in a virtual environment under /tmp.
#
# Usage: scripts/bench-detection.sh [CORPORA_DIR]   (default ../shared/corpora)
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${1:-../shared/corpora}"
palisade=target/release/palisade
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    palisade="$CARGO_TARGET_DIR/release/palisade"
fi
if [ ! -x "$palisade" ]; then
    echo "== building palisade (release)"
    cargo build --release -p palisade
fi

work=$(mktemp -d /tmp/palisade-bench-detection.XXXXXX)
trap 'rm -rf "$work"' EXIT
venv=/tmp/palisade-libinjection-venv

"$palisade" bench detection --corpus "$corpora" --export-values "$work/values.jsonl"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import libinjection" 2>/dev/null; then
    if ! "$venv/bin/pip" install -q libinjection-python; then
        echo "error: the PyPI package libinjection-python did not install; no libinjection baseline" >&2
        exit 1
    fi
fi

echo "== libinjection (libinjection-python), SQLi check only, one thread"
"$venv/bin/python" - "$work/values.jsonl" >"$work/libinjection.json" <<'PY'
import json, statistics, sys, time
import libinjection

values = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
check = libinjection.is_sql_injection
for value in values:  # warm-up
    check(value)
rates = []
for _ in range(5):
    start = time.perf_counter()
    for value in values:
        check(value)
    rates.append(len(values) / (time.perf_counter() - start))
flagged = sum(1 for value in values if check(value)["is_sqli"])
json.dump({"checks_per_second": statistics.median(rates), "flagged": flagged, "values": len(values)}, sys.stdout)
PY
cat "$work/libinjection.json"; echo

echo "== palisade bench detection, every class, one thread"
"$palisade" bench detection --corpus "$corpora" --format json >"$work/palisade.json"
cat "$work/palisade.json"

python3 - "$work/palisade.json" "$work/libinjection.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.load(open(sys.argv[2]))
print(f"Palisade, all classes: {ours['checks_per_second']:,.0f} checks/s")
print(f"libinjection, SQLi only: {theirs['checks_per_second']:,.0f} checks/s")
print(f"ratio (Palisade / libinjection): {ours['checks_per_second'] / theirs['checks_per_second']:.2f}")
PY
