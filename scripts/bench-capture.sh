#!/usr/bin/env bash
# Measures capture import: throughput per core and peak memory of Palisade's decoder
# (pcap reading, TCP reassembly, HTTP/1.x parsing, gzip decoding, trace building) on a
# generated capture of mixed HTTP traffic, next to `tshark -Y http` on the same file.
#
# Usage: scripts/bench-capture.sh [MEGABYTES]   (default 300; the file goes under /tmp)
# Needs tshark (Debian package tshark) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

megabytes=${1:-300}
file=/tmp/palisade-bench-capture-${megabytes}mb.pcap

cargo build --release --quiet -p palisade-capture --example capture_bench
bench="${CARGO_TARGET_DIR:-target}/release/examples/capture_bench"
if [ ! -f "$file" ]; then
    "$bench" generate "$file" "$megabytes"
fi
size=$(stat -c %s "$file")

echo "== palisade-capture"
# CPU time (user + system) and peak resident memory from GNU time.
/usr/bin/time -f "%U %S %M %e" -o /tmp/palisade-bench-time "$bench" decode "$file"
read -r p_user p_sys p_rss p_wall < /tmp/palisade-bench-time

echo "== tshark -Y http"
/usr/bin/time -f "%U %S %M %e" -o /tmp/palisade-bench-time \
    tshark -r "$file" -Y http -T fields -e http.request.method -e http.request.uri -e http.response.code \
    >/tmp/palisade-bench-tshark.txt 2>/dev/null
read -r t_user t_sys t_rss t_wall < /tmp/palisade-bench-time
echo "tshark printed $(wc -l </tmp/palisade-bench-tshark.txt) HTTP messages"

python3 - "$size" "$p_user" "$p_sys" "$p_rss" "$p_wall" "$t_user" "$t_sys" "$t_rss" "$t_wall" <<'PY'
import sys
size, p_user, p_sys, p_rss, p_wall, t_user, t_sys, t_rss, t_wall = map(float, sys.argv[1:])
mb = size / 1e6
# The decoder process makes two passes (read only, then decode): its CPU time is an
# upper bound for the decode pass, so the process figure understates its throughput.
p_cpu = p_user + p_sys
t_cpu = t_user + t_sys
print(f"\nfile: {mb:.1f} MB")
print(f"palisade-capture process: {p_cpu:.2f} s CPU, {p_wall:.2f} s wall, {mb / p_cpu:.0f} MB/s per core, peak RSS {p_rss / 1024:.1f} MB")
print(f"tshark -Y http:           {t_cpu:.2f} s CPU, {t_wall:.2f} s wall, {mb / t_cpu:.1f} MB/s per core, peak RSS {t_rss / 1024:.1f} MB")
print(f"ratio (palisade / tshark, per core): {t_cpu / p_cpu:.1f}x")
PY
