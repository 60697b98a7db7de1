#!/usr/bin/env bash
# Measures dashboard page times in headless Chromium against a fresh `palisade serve` with
# 10,000 endpoints (tests/browser/measure-pages.mjs) and prints a Markdown table for
# docs/benchmarks.md. Uses target/release/palisade (or PALISADE_BIN) and Debian's
# Chromium (or CHROMIUM); builds nothing. RUNS sets the measured runs per page (5).
set -euo pipefail

if [ -n "${PALISADE_BIN:-}" ]; then
    PALISADE_BIN="$(realpath -m "$PALISADE_BIN")"
fi
cd "$(dirname "$0")/.."
export PALISADE_BIN="${PALISADE_BIN:-$PWD/target/release/palisade}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$PALISADE_BIN" ]; then
    echo "error: $PALISADE_BIN not found; run cargo build --release -p palisade" >&2
    exit 2
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "error: Chromium not found at $CHROMIUM; run scripts/setup.sh (installs Debian's chromium) or set CHROMIUM" >&2
    exit 2
fi
if [ ! -d tests/browser/node_modules ]; then
    npm ci --prefix tests/browser --no-audit --no-fund
fi

# The server logs every request at info level; warnings are enough here.
RUST_LOG="${RUST_LOG:-warn}" node tests/browser/measure-pages.mjs
