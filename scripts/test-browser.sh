#!/usr/bin/env bash
# Runs the browser tests in tests/browser/ against target/release/palisade (or the binary
# named by PALISADE_BIN) in Debian's Chromium (or the one named by CHROMIUM). Builds
# nothing: run scripts/setup.sh or scripts/test.sh first. Screenshots go to
# test-artifacts/dashboard/.
set -euo pipefail
source "$(dirname "$0")/browser-env.sh"

node --test tests/browser/
