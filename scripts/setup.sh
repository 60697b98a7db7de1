#!/usr/bin/env bash
# Installs what Palisade needs to build and to run its tests on a Debian machine, then
# builds the release binary at target/release/palisade. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a C compiler (SQLite is compiled from source into the binary) and
# Python with venv for the end-to-end test that runs Metlo's real agent.
packages=()
command -v cc >/dev/null 2>&1 || packages+=(build-essential)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || packages+=(python3-venv)
# libpcap headers for live capture (`palisade capture`), tcpdump and curl to record the
# capture fixtures, and tshark for the capture benchmark.
[ -f /usr/include/pcap/pcap.h ] || packages+=(libpcap-dev)
command -v tcpdump >/dev/null 2>&1 || packages+=(tcpdump)
command -v curl >/dev/null 2>&1 || packages+=(curl)
command -v tshark >/dev/null 2>&1 || packages+=(tshark)
# Chromium for the dashboard's browser tests (scripts/test-browser.sh), which also need
# Node.js 20 or newer; Debian 12's own nodejs package is 18, so it is not installed here.
[ -x /usr/bin/chromium ] || packages+=(chromium)
if [ ${#packages[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${packages[@]}"
fi

# Python clients for the end-to-end tests, in a virtual environment inside the checkout.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt

cargo build --release --locked -p palisade
echo "Built ${CARGO_TARGET_DIR:-target}/release/palisade"
