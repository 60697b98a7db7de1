#!/usr/bin/env bash
# Measures `palisade proxy` against nginx as a plain reverse proxy and nginx with
# ModSecurity 3 and the OWASP Core Rule Set, all in front of the same small upstream,
# in one run, and prints the figures as ratios.
#
# Usage: scripts/bench-proxy.sh            (DURATION=10 CONNECTIONS=32 by default)
#
# Everything listens on 127.0.0.1, on ports chosen at run time, with configuration in a
# fresh directory under /tmp. Rows:
#   direct              wrk -> upstream (nginx, 1 worker, fixed JSON answer)
#   nginx               nginx reverse proxy, 2 workers, upstream keep-alive
#   nginx+modsecurity   the same with ModSecurity 3 and CRS at paranoia level 1
#   palisade-rules      palisade proxy with 1,000 block rules, none matching
#   palisade-detect     the same plus inline signature detection in block mode
# Throughput and latency come from wrk (closed loop, CONNECTIONS connections). CPU is the
# user and system time of the proxy's processes during the wrk run, in cores. Then the
# latency at half of palisade-rules' peak rate comes from an open-loop generator
# (crates/palisade-proxy/examples/loadgen.rs), against the upstream directly and
# through each proxy; "added p99" is the difference from direct.
#
# Needs root for apt-get (wrk, nginx, libnginx-mod-http-modsecurity, modsecurity-crs).
# When ModSecurity cannot be installed its row is skipped and the run says so.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10}"
connections="${CONNECTIONS:-32}"
target_dir="${CARGO_TARGET_DIR:-target}"
# PALISADE_BIN measures another build of palisade, for example an earlier commit.
palisade="${PALISADE_BIN:-$target_dir/release/palisade}"
loadgen="$target_dir/release/examples/loadgen"

install_missing() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    echo "== installing ${missing[*]} with apt-get"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}
install_missing wrk nginx || { echo "error: wrk and nginx are needed and apt-get could not install them" >&2; exit 1; }
modsec=yes
module=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
if ! install_missing libnginx-mod-http-modsecurity modsecurity-crs; then
    echo "note: apt-get could not install ModSecurity and the CRS; the nginx+modsecurity row is skipped"
    modsec=no
fi
for file in "$module" /etc/nginx/modsecurity.conf /etc/modsecurity/crs/crs-setup.conf /usr/share/modsecurity-crs/rules; do
    if [ "$modsec" = yes ] && [ ! -e "$file" ]; then
        echo "note: $file is missing; the nginx+modsecurity row is skipped"
        modsec=no
    fi
done

echo "== building palisade and the load generator (release)"
cargo build --release -q -p palisade-proxy --example loadgen --example proxy_serve
proxy_command=("$palisade" proxy)
if [ -z "${PALISADE_BIN:-}" ] && ! cargo build --release -q -p palisade; then
    # Other crates of the workspace may be mid-change; the library's own runner takes the
    # same flags used here and runs the same request path.
    echo "note: the palisade binary did not build; measuring examples/proxy_serve.rs (same run_proxy) instead"
    proxy_command=("$target_dir/release/examples/proxy_serve")
fi

work=$(mktemp -d /tmp/palisade-bench-proxy.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    sleep 0.5
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
upstream_port=$(free_port)
nginx_port=$(free_port)
modsec_port=$(free_port)
rules_port=$(free_port)
detect_port=$(free_port)

echo "== writing 1,000 block rules that do not match the benchmark request"
python3 - "$work/rules.json" <<'PY'
import json, sys
rules = []
def add(i, conditions, action=None):
    rules.append({
        "id": f"bench-{i}", "mode": "block", "created_at": "2026-03-01T00:00:00Z",
        "conditions": conditions, "action": action or {"block": {}},
    })
for i in range(1000):
    kind = i % 10
    if kind in (0, 1, 2):
        c = [{"all": [{"field": "ip", "op": "equals", "value": f"10.{i % 250}.{i // 250}.{i % 7 + 1}"}]}]
    elif kind == 3:
        c = [{"all": [{"field": "ip", "op": "in_cidr", "value": f"10.{i % 250}.0.0/16"}]}]
    elif kind == 4:
        c = [{"all": [{"field": "path", "op": "starts_with", "value": f"/admin{i}"}]}]
    elif kind == 5:
        c = [{"all": [{"field": "header", "name": "User-Agent", "op": "contains", "value": f"scanner-{i}"}]}]
    elif kind == 6:
        c = [{"all": [{"field": "path", "op": "regex", "value": f"^/internal/{i}/[a-z]+$"}]}]
    elif kind == 7:
        c = [{"all": [{"field": "host", "op": "equals", "value": f"h{i}.example.com"}]}]
    elif kind == 8:
        c = [{"all": [{"field": "endpoint", "op": "equals", "value": f"POST /orders{i}/{{id}}"}]}]
    else:
        add(i, [{"all": [{"field": "path", "op": "equals", "value": f"/login{i}"}]}],
            {"rate_limit": {"threshold": 100, "window_secs": 60, "block_secs": 60, "key": "ip"}})
        continue
    add(i, c)
json.dump(rules, open(sys.argv[1], "w"))
PY

echo "== starting nginx (upstream, plain proxy$( [ "$modsec" = yes ] && echo ', ModSecurity'))"
mkdir -p "$work/temp" && chmod 777 "$work/temp"
cat >"$work/modsecurity.conf" <<CONF
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecResponseBodyAccess Off
SecAuditEngine Off
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
Include /usr/share/modsecurity-crs/rules/*.conf
Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
CONF
common_http="access_log off; client_body_temp_path $work/temp/body; proxy_temp_path $work/temp/proxy;
    fastcgi_temp_path $work/temp/fastcgi; uwsgi_temp_path $work/temp/uwsgi; scgi_temp_path $work/temp/scgi;
    keepalive_requests 1000000;"
nginx_instance() {
    # $1 name, $2 workers, $3 extra top-level lines, $4 server blocks
    mkdir -p "$work/$1"
    cat >"$work/$1/nginx.conf" <<CONF
$3
worker_processes $2;
pid $work/$1/nginx.pid;
error_log $work/$1/error.log error;
daemon off;
events { worker_connections 4096; }
http {
    $common_http
    upstream app { server 127.0.0.1:$upstream_port; keepalive 64; }
    $4
}
CONF
    nginx -t -q -c "$work/$1/nginx.conf" -p "$work/$1" 2>"$work/$1/test.log" || { cat "$work/$1/test.log" >&2; exit 1; }
    nginx -c "$work/$1/nginx.conf" -p "$work/$1" &
    pids+=($!)
    echo $! >"$work/$1/master"
}
proxy_location='location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; }'
nginx_instance upstream 1 "" "server { listen 127.0.0.1:$upstream_port; location / { default_type application/json; return 200 '{\"id\":42,\"name\":\"Ada\"}'; } }"
nginx_instance plain 2 "" "server { listen 127.0.0.1:$nginx_port; $proxy_location }"
if [ "$modsec" = yes ]; then
    nginx_instance modsec 2 "load_module $module;" "server { listen 127.0.0.1:$modsec_port; modsecurity on; modsecurity_rules_file $work/modsecurity.conf; $proxy_location }"
fi

echo "== starting palisade proxy (rules; rules and inline detection)"
PALISADE_LOG=warn "${proxy_command[@]}" --listen "127.0.0.1:$rules_port" --upstream "http://127.0.0.1:$upstream_port" \
    --rules "$work/rules.json" >"$work/rules.log" 2>&1 &
pids+=($!)
echo $! >"$work/rules.pid"
PALISADE_LOG=warn "${proxy_command[@]}" --listen "127.0.0.1:$detect_port" --upstream "http://127.0.0.1:$upstream_port" \
    --rules "$work/rules.json" --inline-detection block >"$work/detect.log" 2>&1 &
pids+=($!)
echo $! >"$work/detect.pid"

path="/users/42?expand=orders&q=hello+world"
for port in "$upstream_port" "$nginx_port" "$rules_port" "$detect_port" $( [ "$modsec" = yes ] && echo "$modsec_port"); do
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'User-Agent: Mozilla/5.0' "http://127.0.0.1:$port$path")
    if [ "$status" != 200 ]; then
        echo "error: 127.0.0.1:$port answered $status to the benchmark request" >&2
        exit 1
    fi
done

# CPU seconds (user + system) of a process and its children processes' threads.
cpu_ticks() {
    local total=0
    for pid in "$@"; do
        for task in /proc/"$pid"/task/*/stat; do
            [ -r "$task" ] || continue
            read -r -a fields <"$task"
            total=$((total + fields[13] + fields[14]))
        done
    done
    echo "$total"
}
process_tree() {
    local master=$1
    echo "$master" $(pgrep -P "$master" || true)
}

results="$work/results.jsonl"
headers=(-H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' -H 'Accept: application/json'
    -H 'Accept-Language: en-GB,en;q=0.9' -H 'Cookie: theme=dark; session=9f8e7d6c')
measure() {
    # $1 name, $2 port, $3 pid list of the proxy (empty for direct)
    local name=$1 port=$2 procs=$3
    wrk -t1 -c"$connections" -d2s "${headers[@]}" "http://127.0.0.1:$port$path" >/dev/null
    local before after
    before=$(cpu_ticks $procs)
    wrk -t2 -c"$connections" -d"${duration}s" --latency "${headers[@]}" "http://127.0.0.1:$port$path" >"$work/$name.wrk"
    after=$(cpu_ticks $procs)
    python3 - "$name" "$work/$name.wrk" "$((after - before))" "$(getconf CLK_TCK)" "$duration" >>"$results" <<'PY'
import json, re, sys
name, path, ticks, hz, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
text = open(path).read()
def ms(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(json.dumps({"name": name, "rps": rps, "p50_ms": p50, "p99_ms": p99,
                  "cpu_cores": ticks / hz / duration, "non_2xx": int(errors.group(1)) if errors else 0}))
PY
    echo "   $(tail -1 "$results")"
}

echo "== throughput: wrk, 2 threads, $connections connections, ${duration} s each (after 2 s of warm-up)"
measure direct "$upstream_port" ""
measure nginx "$nginx_port" "$(process_tree "$(cat "$work/plain/master")")"
if [ "$modsec" = yes ]; then
    measure nginx+modsecurity "$modsec_port" "$(process_tree "$(cat "$work/modsec/master")")"
fi
measure palisade-rules "$rules_port" "$(cat "$work/rules.pid")"
measure palisade-detect "$detect_port" "$(cat "$work/detect.pid")"

half=$(python3 -c "import json; r=[json.loads(l) for l in open('$results')]; print(int([x for x in r if x['name']=='palisade-rules'][0]['rps']/2))")
echo "== latency at half of palisade-rules' peak: $half requests/s, open loop, 16 connections, ${duration} s each"
latency="$work/latency.jsonl"
for row in "direct:$upstream_port" "nginx:$nginx_port" "palisade-rules:$rules_port" "palisade-detect:$detect_port"; do
    name=${row%%:*}
    port=${row##*:}
    "$loadgen" "http://127.0.0.1:$port$path" "$half" 2 16 >/dev/null
    line=$("$loadgen" "http://127.0.0.1:$port$path" "$half" "$duration" 16)
    echo "{\"name\": \"$name\", \"load\": $line}" >>"$latency"
    echo "   $name: $line"
done

echo
python3 - "$results" "$latency" "$modsec" <<'PY'
import json, sys
rows = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
load = {r["name"]: r["load"] for r in map(json.loads, open(sys.argv[2]))}
nginx = rows["nginx"]
modsec = rows.get("nginx+modsecurity")
print("| setup | requests/s | vs nginx | vs nginx+ModSecurity | p50 ms | p99 ms | proxy CPU (cores) | non-2xx |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name in ["direct", "nginx", "nginx+modsecurity", "palisade-rules", "palisade-detect"]:
    if name not in rows:
        continue
    r = rows[name]
    vs_modsec = f"{r['rps'] / modsec['rps']:.2f}x" if modsec else "-"
    cpu = "-" if name == "direct" else f"{r['cpu_cores']:.2f}"
    print(f"| {name} | {r['rps']:.0f} | {r['rps'] / nginx['rps']:.2f}x | {vs_modsec} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {cpu} | {r['non_2xx']} |")
print()
base = load["direct"]
print(f"| at {base['target_rps']:.0f} requests/s | achieved | p50 ms | p99 ms | added p99 ms |")
print("|---|---:|---:|---:|---:|")
for name in ["direct", "nginx", "palisade-rules", "palisade-detect"]:
    l = load[name]
    added = (l["p99_us"] - base["p99_us"]) / 1000
    print(f"| {name} | {l['achieved_rps']:.0f} | {l['p50_us'] / 1000:.2f} | {l['p99_us'] / 1000:.2f} | {added:+.2f} |")
print()
rules, detect = rows["palisade-rules"], rows["palisade-detect"]
print(f"target: palisade-rules >= 0.80x nginx requests/s: {rules['rps'] / nginx['rps']:.2f}x")
if modsec:
    print(f"target: palisade-detect >= 5x nginx+ModSecurity requests/s: {detect['rps'] / modsec['rps']:.2f}x")
else:
    print("target: palisade-detect >= 5x nginx+ModSecurity: not measured (ModSecurity unavailable)")
added = (load["palisade-rules"]["p99_us"] - base["p99_us"]) / 1000
print(f"target: palisade-rules added p99 <= 1 ms at half load: {added:+.2f} ms")
PY
