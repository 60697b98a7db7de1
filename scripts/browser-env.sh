# Sourced by the scripts that drive the dashboard in Chromium: moves to the repository
# root, exports PALISADE_BIN and CHROMIUM, checks both and Node.js 20 or newer, and
# installs Playwright's client library from tests/browser/package-lock.json.

# A PALISADE_BIN given relative to the caller's directory is resolved before the cd.
if [ -n "${PALISADE_BIN:-}" ]; then
    PALISADE_BIN="$(realpath -m "$PALISADE_BIN")"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PALISADE_BIN="${PALISADE_BIN:-$PWD/target/release/palisade}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$PALISADE_BIN" ]; then
    echo "error: $PALISADE_BIN not found; run cargo build --release -p palisade or scripts/setup.sh" >&2
    exit 2
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "error: Chromium not found at $CHROMIUM; run scripts/setup.sh (installs Debian's chromium) or set CHROMIUM" >&2
    exit 2
fi
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
    echo "error: the browser scripts need Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 2
fi

# Playwright's client library drives the Chromium above and downloads no browser of its own.
if [ ! -d tests/browser/node_modules ]; then
    npm ci --prefix tests/browser --no-audit --no-fund
fi
