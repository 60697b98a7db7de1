#!/usr/bin/env bash
# Runs the accuracy evaluations on third-party corpora (not part of the repository) with
# the release binary. docs/accuracy.md explains each one and records its results.
# Usage: scripts/evaluate.sh [CORPORA_DIR]   (default ../shared/corpora)
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${1:-../shared/corpora}"
palisade=target/release/palisade

echo "== path template discovery on the OpenAPI descriptions in $corpora/specs"
"$palisade" eval discovery --specs "$corpora/specs"

echo "== OpenAPI reconstruction from synthetic traffic"
"$palisade" eval spec --specs "$corpora/specs"

echo "== attack detection on public attack corpora"
"$palisade" eval detection --corpus "$corpora"

echo "== sensitive data classification on generated, labelled payloads"
"$palisade" eval classification --payloads 20000 --seed 1 --iban-registry "$corpora/pii/iban-registry.json"

echo "== Keploy recordings: every HTTP test case imports"
data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
"$palisade" --data-dir "$data_dir" ingest --quiet "$corpora/keploy"
"$palisade" --data-dir "$data_dir" hosts
