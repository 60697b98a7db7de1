#!/usr/bin/env bash
# Runs every test: the Rust unit and integration tests, then the end-to-end tests that
# drive the release binary with real clients on 127.0.0.1. Run scripts/setup.sh once
# first. Tests use the release profile so they share compiled dependencies with the
# binary.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release --locked --workspace
cargo build --release --locked -p palisade

.venv/bin/python tests/e2e/metlo_flask_test.py

./scripts/test-browser.sh
