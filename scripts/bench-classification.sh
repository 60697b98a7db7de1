#!/usr/bin/env bash
# Classification throughput: Palisade's `bench classification` and Microsoft Presidio
# (pattern recognizers only, no language model) on the same generated payload texts, in
# MB of payload per CPU-second of one thread, and their ratio.
# Usage: scripts/bench-classification.sh [PAYLOADS] [PRESIDIO_PAYLOADS]   (defaults 20000, 2000)
# Presidio runs on the first PRESIDIO_PAYLOADS of the same payloads: at its speed the
# whole set would take minutes. Presidio is installed into target/presidio-venv (or
# $PRESIDIO_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
payloads="${1:-20000}"
presidio_payloads="${2:-2000}"
seed=2
venv="${PRESIDIO_VENV:-target/presidio-venv}"
palisade="${CARGO_TARGET_DIR:-target}/release/palisade"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "presidio-analyzer==2.2.366"
cargo build --release --locked -p palisade

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$palisade" bench classification --payloads "$payloads" --seed "$seed" --format json > "$work/palisade.json"
"$palisade" bench classification --payloads "$payloads" --seed "$seed" --export-texts "$work/texts.jsonl"
head -n "$presidio_payloads" "$work/texts.jsonl" > "$work/presidio-texts.jsonl"
"$venv/bin/python" scripts/presidio_classification.py bench "$work/presidio-texts.jsonl" > "$work/presidio.json"

python3 - "$work/palisade.json" "$work/presidio.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.load(open(sys.argv[2]))
ratio = ours["mb_per_cpu_second"] / theirs["mb_per_cpu_second"]
print(f"palisade: {ours['mb_per_cpu_second']:.2f} MB/s per core ({ours['payloads']} payloads, "
      f"{ours['payload_bytes']} bytes, median of {ours['rounds']} rounds; "
      f"{ours['mb_per_wall_second']:.2f} MB/s wall; parse+walk floor {ours['floor_mb_per_cpu_second']:.2f} MB/s)")
print(f"presidio: {theirs['mb_per_cpu_second']:.4f} MB/s per core ({theirs['payloads']} payloads, "
      f"{theirs['payload_bytes']} bytes, {theirs['recognizers']} pattern recognizers; "
      f"{theirs['mb_per_wall_second']:.4f} MB/s wall)")
target = ours["target_ratio_to_presidio"]
print(f"ratio: {ratio:.0f}x (target {target:.0f}x): {'met' if ratio >= target else 'NOT met'}")
PY
