#!/usr/bin/env bash
# Measures dashboard page times in headless Chromium against a fresh `palisade serve` with
# 10,000 endpoints (tests/browser/measure-pages.mjs) and prints a Markdown table for
# docs/benchmarks.md. Uses target/release/palisade (or PALISADE_BIN) and Debian's
# Chromium (or CHROMIUM); builds nothing. RUNS sets the measured runs per page (5).
set -euo pipefail
source "$(dirname "$0")/browser-env.sh"

# The server logs every request at info level; warnings are enough here.
RUST_LOG="${RUST_LOG:-warn}" node tests/browser/measure-pages.mjs
