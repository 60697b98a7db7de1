#!/usr/bin/env bash
# Throughput of Palisade's signature detection (every attack class) against
# libinjection's SQL-injection check alone, on the same parameter values from the public
# corpora, one thread each. libinjection runs through the PyPI package
# `libinjection-python` in a virtual environment under /tmp.
#
# Usage: [PAIRS=5] scripts/bench-detection.sh [CORPORA_DIR]   (default ../shared/corpora)
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

# The machine's speed drifts by tens of percent within a minute on a shared virtual
# machine, so the two sides run in PAIRS interleaved pairs, alternating which goes
# first, and the ratio reported is the median of the per-pair ratios.
pairs="${PAIRS:-5}"

cat >"$work/libinjection_rate.py" <<'PY'
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

run_libinjection() {
    "$venv/bin/python" "$work/libinjection_rate.py" "$work/values.jsonl" >"$work/libinjection-$1.json"
}
run_palisade() {
    "$palisade" bench detection --corpus "$corpora" --format json >"$work/palisade-$1.json"
}

echo "== $pairs pairs: libinjection (libinjection-python, SQLi check only) and palisade bench detection (every class), one thread each"
for pair in $(seq 1 "$pairs"); do
    if [ $((pair % 2)) -eq 1 ]; then
        run_libinjection "$pair"
        run_palisade "$pair"
    else
        run_palisade "$pair"
        run_libinjection "$pair"
    fi
done

python3 - "$work" "$pairs" <<'PY'
import json, statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
ours, theirs, ratios = [], [], []
for pair in range(1, pairs + 1):
    palisade = json.load(open(f"{work}/palisade-{pair}.json"))["checks_per_second"]
    libinjection = json.load(open(f"{work}/libinjection-{pair}.json"))["checks_per_second"]
    ours.append(palisade)
    theirs.append(libinjection)
    ratios.append(palisade / libinjection)
    print(f"pair {pair}: Palisade {palisade:,.0f} checks/s, libinjection {libinjection:,.0f} checks/s, ratio {palisade / libinjection:.2f}")
print(f"Palisade, all classes: {statistics.median(ours):,.0f} checks/s (median of {pairs})")
print(f"libinjection, SQLi only: {statistics.median(theirs):,.0f} checks/s (median of {pairs})")
print(f"ratio (Palisade / libinjection): {statistics.median(ratios):.2f} (median of the {pairs} pair ratios)")
PY
