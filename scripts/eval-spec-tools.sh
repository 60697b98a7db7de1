#!/usr/bin/env bash
# Reconstruction accuracy of Palisade's OpenAPI export next to two open-source tools that
# build descriptions from HAR files: mitmproxy2swagger (PyPI) and har-to-openapi (npm).
# All three see the same synthetic traffic, which `palisade eval spec` writes as HAR.
#
# Usage: scripts/eval-spec-tools.sh [SPECS_DIR]   (default ../shared/corpora/specs)
# Needs target/release/palisade (scripts/setup.sh builds it), python3 with venv, and npm.
# The tools are installed into a temporary directory under /tmp, removed at the end.
# A tool that fails to install is reported and left out of the table.
set -euo pipefail
cd "$(dirname "$0")/.."
specs="${1:-../shared/corpora/specs}"
palisade=target/release/palisade
work=$(mktemp -d /tmp/palisade-spec-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== synthetic traffic for every description in $specs, written as HAR"
"$palisade" eval spec --specs "$specs" --har-dir "$work/har" --format json > "$work/palisade-only.json"

tools=()

echo "== mitmproxy2swagger (PyPI), in a virtual environment"
if python3 -m venv "$work/venv" && "$work/venv/bin/pip" install --quiet --disable-pip-version-check mitmproxy2swagger; then
    version=$("$work/venv/bin/pip" show mitmproxy2swagger | awk '/^Version:/ {print $2}')
    echo "mitmproxy2swagger $version installed"
    mkdir -p "$work/mitmproxy2swagger"
    for har in "$work"/har/*.har; do
        stem=$(basename "$har" .har)
        out="$work/mitmproxy2swagger/$stem.yaml"
        # The API prefix is scheme, host and base path of the first request: every
        # synthetic request of one description shares them.
        prefix=$("$work/venv/bin/python" - "$har" <<'PY'
import json, sys, urllib.parse
entries = json.load(open(sys.argv[1]))["log"]["entries"]
url = urllib.parse.urlsplit(entries[0]["request"]["url"])
print(f"{url.scheme}://{url.netloc}")
PY
)
        # First pass lists the paths it saw as `ignore:`; the documented workflow is to
        # remove that prefix by hand and run again, which the second pass does here.
        if ! "$work/venv/bin/mitmproxy2swagger" -i "$har" -o "$out" -p "$prefix" -f har > "$work/m2s.log" 2>&1; then
            echo "mitmproxy2swagger failed on $stem: $(tail -1 "$work/m2s.log")"
            rm -f "$out"
            continue
        fi
        sed -i 's/^\(\s*-\s*\)ignore:/\1/' "$out"
        if ! "$work/venv/bin/mitmproxy2swagger" -i "$har" -o "$out" -p "$prefix" -f har > "$work/m2s.log" 2>&1; then
            echo "mitmproxy2swagger failed on $stem (second pass): $(tail -1 "$work/m2s.log")"
            rm -f "$out"
        fi
    done
    tools+=(--tool "mitmproxy2swagger=$work/mitmproxy2swagger")
else
    echo "mitmproxy2swagger could not be installed; left out"
fi

echo "== har-to-openapi (npm), in a temporary prefix"
if npm install --silent --prefix "$work/npm" har-to-openapi > "$work/npm.log" 2>&1; then
    version=$(node -p "require('$work/npm/node_modules/har-to-openapi/package.json').version")
    echo "har-to-openapi $version installed"
    mkdir -p "$work/har-to-openapi"
    cat > "$work/npm/convert.js" <<'JS'
// Converts each HAR file named on the command line to DIR/<name>.json with
// har-to-openapi, asking it to parameterize identifier-like path segments.
const fs = require("fs");
const path = require("path");
const { generateSpec } = require("har-to-openapi");
const [outDir, ...files] = process.argv.slice(2);
(async () => {
  for (const file of files) {
    const har = JSON.parse(fs.readFileSync(file, "utf8"));
    try {
      const { spec } = await generateSpec(har, { attemptToParameterizeUrl: true, forceAllRequestsInSameSpec: true });
      fs.writeFileSync(path.join(outDir, path.basename(file, ".har") + ".json"), JSON.stringify(spec));
    } catch (error) {
      console.error(`har-to-openapi failed on ${file}: ${error.message}`);
    }
  }
})();
JS
    # One process per file with a time limit: on some inputs the tool does not finish.
    for har in "$work"/har/*.har; do
        if ! NODE_PATH="$work/npm/node_modules" timeout "${TOOL_TIMEOUT_SECS:-120}" \
            node "$work/npm/convert.js" "$work/har-to-openapi" "$har"; then
            echo "har-to-openapi failed or timed out after ${TOOL_TIMEOUT_SECS:-120} s on $(basename "$har" .har)"
        fi
    done
    tools+=(--tool "har-to-openapi=$work/har-to-openapi")
else
    echo "har-to-openapi could not be installed; left out: $(tail -3 "$work/npm.log")"
fi

echo "== scores"
"$palisade" eval spec --specs "$specs" "${tools[@]}"
