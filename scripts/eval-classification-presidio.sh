#!/usr/bin/env bash
# Scores Microsoft Presidio (pattern recognizers only, no language model) and Palisade on
# the same generated, labelled JSON payloads, per Presidio entity type.
# Usage: scripts/eval-classification-presidio.sh [PAYLOADS] [SEED]   (defaults 2000, 1)
# Presidio is installed from PyPI into target/presidio-venv (or $PRESIDIO_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
payloads="${1:-2000}"
seed="${2:-1}"
venv="${PRESIDIO_VENV:-target/presidio-venv}"
palisade="${CARGO_TARGET_DIR:-target}/release/palisade"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "presidio-analyzer==2.2.366"
cargo build --release --locked -p palisade

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== Palisade on $payloads payloads, seed $seed"
"$palisade" eval classification --payloads "$payloads" --seed "$seed" --export "$work/set.jsonl" \
    | tail -n 4
echo
echo "== Presidio $("$venv/bin/pip" show presidio-analyzer | sed -n 's/^Version: //p') and Palisade per Presidio entity type"
"$venv/bin/python" scripts/presidio_classification.py eval "$work/set.jsonl"
