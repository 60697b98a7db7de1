#!/usr/bin/env bash
# Measures ModSecurity v3 with the OWASP Core Rule Set (Debian packages) on the requests
# of `palisade eval detection`, at paranoia levels 1 and 2 in blocking mode, and prints
# its true- and false-positive rates next to Palisade's.
#
# Usage: scripts/modsecurity-eval.sh [CORPORA_DIR]   (default ../shared/corpora)
#
# With REQUESTS=FILE and PALISADE_JSON=FILE set (an earlier `palisade eval detection
# --export-requests FILE --format json`), those are replayed and compared instead.
#
# nginx runs on 127.0.0.1 only: port 18081 (CRS paranoia level 1) and 18082 (level 2)
# in front of a backend on 18080 that answers 200 to everything. A request counts as
# blocked when the answer is 403. Needs root for apt-get; stops the nginx it started.
# KEEP_RESULTS=DIR keeps the per-class JSON results of all three.
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${1:-../shared/corpora}"
palisade=target/release/palisade
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    palisade="$CARGO_TARGET_DIR/release/palisade"
fi

packages=(nginx libnginx-mod-http-modsecurity modsecurity-crs)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]} with apt-get"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }; then
        echo "error: apt-get could not install ${missing[*]}; ModSecurity cannot be measured here" >&2
        exit 1
    fi
fi
module=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
for file in "$module" /etc/nginx/modsecurity.conf /etc/modsecurity/crs/crs-setup.conf /usr/share/modsecurity-crs/rules; do
    if [ ! -e "$file" ]; then
        echo "error: $file not found after installing ${packages[*]}" >&2
        exit 1
    fi
done

if [ -z "${REQUESTS:-}" ] && [ ! -x "$palisade" ]; then
    echo "== building palisade (release)"
    cargo build --release -p palisade
fi

work=$(mktemp -d /tmp/palisade-modsec.XXXXXX)
chmod 755 "$work"
nginx_pid=""
cleanup() {
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill "$nginx_pid"
        sleep 1
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${REQUESTS:-}" ]; then
    cp "$REQUESTS" "$work/requests.jsonl"
    cp "$PALISADE_JSON" "$work/palisade.json"
else
    echo "== palisade eval detection (also writes the requests)"
    "$palisade" eval detection --corpus "$corpora" --export-requests "$work/requests.jsonl" --format json >"$work/palisade.json"
fi
echo "$(wc -l <"$work/requests.jsonl") requests"

# ModSecurity settings: Debian's recommended file, then blocking mode. Bodies up to 1 MiB
# without files are inspected rather than rejected, so large payloads are judged by the
# rules, as Palisade judges them within its own 1 MiB request limit.
for level in 1 2; do
    cat >"$work/modsecurity-pl$level.conf" <<CONF
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecResponseBodyAccess Off
SecRequestBodyNoFilesLimit 1048576
SecAuditEngine Off
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=$level"
Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
Include /usr/share/modsecurity-crs/rules/*.conf
Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
CONF
done

mkdir -p "$work/temp"
chmod 777 "$work/temp"
cat >"$work/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/error.log error;
daemon off;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 20m;
    client_body_temp_path $work/temp/body;
    proxy_temp_path $work/temp/proxy;
    fastcgi_temp_path $work/temp/fastcgi;
    uwsgi_temp_path $work/temp/uwsgi;
    scgi_temp_path $work/temp/scgi;
    server {
        listen 127.0.0.1:18080;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:18081;
        modsecurity on;
        modsecurity_rules_file $work/modsecurity-pl1.conf;
        location / { proxy_pass http://127.0.0.1:18080; }
    }
    server {
        listen 127.0.0.1:18082;
        modsecurity on;
        modsecurity_rules_file $work/modsecurity-pl2.conf;
        location / { proxy_pass http://127.0.0.1:18080; }
    }
}
CONF

echo "== starting nginx with ModSecurity $(dpkg-query -W -f='${Version}' libmodsecurity3) and CRS $(dpkg-query -W -f='${Version}' modsecurity-crs)"
if ! nginx -t -c "$work/nginx.conf" -p "$work" >"$work/nginx-test.log" 2>&1; then
    cat "$work/nginx-test.log" >&2
    echo "error: nginx rejected the ModSecurity configuration" >&2
    exit 1
fi
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
for _ in $(seq 1 100); do
    if curl -s -o /dev/null http://127.0.0.1:18081/ && curl -s -o /dev/null http://127.0.0.1:18082/; then
        break
    fi
    sleep 0.2
done

echo "== replaying to CRS paranoia level 1"
python3 scripts/replay-requests.py "$work/requests.jsonl" 18081 --label "CRS PL1" --json "$work/pl1.json"
echo "== replaying to CRS paranoia level 2"
python3 scripts/replay-requests.py "$work/requests.jsonl" 18082 --label "CRS PL2" --json "$work/pl2.json"
if [ -n "${KEEP_RESULTS:-}" ]; then
    mkdir -p "$KEEP_RESULTS"
    cp "$work/pl1.json" "$work/pl2.json" "$work/palisade.json" "$KEEP_RESULTS/"
fi

echo "== side by side (TPR / FPR; '-' where a set has no such requests)"
python3 - "$work/palisade.json" "$work/pl1.json" "$work/pl2.json" <<'PY'
import json, sys

palisade = json.load(open(sys.argv[1]))["by_source"]
pl1 = json.load(open(sys.argv[2]))["by_source"]
pl2 = json.load(open(sys.argv[3]))["by_source"]

def rate(tally, hits, total):
    return f"{100.0 * tally[hits] / tally[total]:.1f}%" if tally and tally[total] else "-"

def cell(tally):
    return f"{rate(tally, 'detected', 'attacks'):>6} / {rate(tally, 'false_positives', 'benign'):>6}"

def add(total, tally):
    for key in ("attacks", "detected", "benign", "false_positives"):
        total[key] = total.get(key, 0) + tally.get(key, 0)

print(f"| source | class | attacks | benign | Palisade | CRS PL1 | CRS PL2 |")
print(f"|---|---|---:|---:|---:|---:|---:|")
by_class = {}
for source in sorted(palisade):
    for cls in sorted(palisade[source]):
        ours = palisade[source][cls]
        one = pl1.get(source, {}).get(cls, {})
        two = pl2.get(source, {}).get(cls, {})
        print(f"| {source} | {cls} | {ours['attacks']} | {ours['benign']} | {cell(ours)} | {cell(one)} | {cell(two)} |")
        for name, tally in (("palisade", ours), ("pl1", one), ("pl2", two)):
            add(by_class.setdefault(cls, {}).setdefault(name, {}), tally)
print()
print(f"| class (all sources) | attacks | benign | Palisade | CRS PL1 | CRS PL2 |")
print(f"|---|---:|---:|---:|---:|---:|")
for cls in sorted(by_class):
    row = by_class[cls]
    print(f"| {cls} | {row['palisade']['attacks']} | {row['palisade']['benign']} | {cell(row['palisade'])} | {cell(row['pl1'])} | {cell(row['pl2'])} |")
PY
echo "False-positive rates on these sets are optimistic: no large sample of benign production traffic is included."
