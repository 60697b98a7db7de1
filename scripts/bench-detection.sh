#!/usr/bin/env bash
# Throughput of Palisade's signature detection (every attack class) against
# libinjection's SQL-injection check alone, on the same parameter values from the public
# corpora, one thread each. libinjection runs through the PyPI package
# `libinjection-python` in a virtual environment under /tmp. The same C function is also
# timed without Python: a small C program, compiled here with gcc, loads the package's
# extension module and calls libinjection_sqli directly, as the C library's own users do.
#
# Usage: [PAIRS=5] scripts/bench-detection.sh [CORPORA_DIR]   (default ../shared/corpora)
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${1:-../shared/corpora}"
palisade=target/release/palisade
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    palisade="$CARGO_TARGET_DIR/release/palisade"
fi
if [ ! -x "$palisade" ]; then
    echo "== building palisade (release)"
    cargo build --release -p palisade
fi

work=$(mktemp -d /tmp/palisade-bench-detection.XXXXXX)
trap 'rm -rf "$work"' EXIT
venv=/tmp/palisade-libinjection-venv

"$palisade" bench detection --corpus "$corpora" --export-values "$work/values.jsonl"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import libinjection" 2>/dev/null; then
    if ! "$venv/bin/pip" install -q libinjection-python; then
        echo "error: the PyPI package libinjection-python did not install; no libinjection baseline" >&2
        exit 1
    fi
fi

# The machine's speed drifts by tens of percent within a minute on a shared virtual
# machine, so the timings run in PAIRS interleaved pairs, alternating which goes
# first, and the ratio reported is the median of the per-pair ratios.
pairs="${PAIRS:-5}"

cat >"$work/libinjection_rate.py" <<'PY'
import json, statistics, sys, time
import libinjection

values = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
check = libinjection.is_sql_injection
for value in values:  # warm-up
    check(value)
rates = []
for _ in range(5):
    start = time.perf_counter()
    for value in values:
        check(value)
    rates.append(len(values) / (time.perf_counter() - start))
flagged = sum(1 for value in values if check(value)["is_sqli"])
json.dump({"checks_per_second": statistics.median(rates), "flagged": flagged, "values": len(values)}, sys.stdout)
PY

# libinjection_sqli called from C, through the extension module of the same package.
c_baseline=yes
libinjection_so=$("$venv/bin/python" -c 'import libinjection; print(libinjection.__file__)')
libpython=$("$venv/bin/python" -c 'import os, sysconfig; print(os.path.join(sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("LDLIBRARY") or ""))')
cat >"$work/libinjection_c.c" <<'C'
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*sqli_fn)(const char *, size_t, char *);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s LIBINJECTION_SO VALUES_BIN [LIBPYTHON_SO]\n", argv[0]);
        return 2;
    }

    /* The extension module refers to Python's symbols, which the interpreter's shared
       library provides; libinjection_sqli itself does not call into Python. */
    if (argc == 4 && !dlopen(argv[3], RTLD_NOW | RTLD_GLOBAL)) {
        fprintf(stderr, "cannot load %s: %s\n", argv[3], dlerror());
        return 1;
    }
    void *library = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    sqli_fn sqli = (sqli_fn)dlsym(library, "libinjection_sqli");
    if (!sqli) {
        fprintf(stderr, "libinjection_sqli not found in %s\n", argv[1]);
        return 1;
    }

    FILE *file = fopen(argv[2], "rb");
    if (!file) {
        perror(argv[2]);
        return 1;
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *data = malloc(size);
    if (fread(data, 1, size, file) != (size_t)size) {
        fprintf(stderr, "short read of %s\n", argv[2]);
        return 1;
    }
    fclose(file);

    /* Values are stored as a 4-byte little-endian length followed by the bytes. */
    size_t count = 0;
    for (long at = 0; at + 4 <= size; count++) {
        uint32_t length;
        memcpy(&length, data + at, 4);
        at += 4 + length;
    }

    const char **values = malloc(count * sizeof *values);
    size_t *lengths = malloc(count * sizeof *lengths);
    long at = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t length;
        memcpy(&length, data + at, 4);
        values[i] = data + at + 4;
        lengths[i] = length;
        at += 4 + length;
    }

    /* A warm-up round, which also counts the values flagged. */
    char fingerprint[8];
    long flagged = 0;
    for (size_t i = 0; i < count; i++) {
        flagged += sqli(values[i], lengths[i], fingerprint) != 0;
    }

    /* Five measured rounds; the median rate is printed. */
    double rates[5];
    for (int round = 0; round < 5; round++) {
        double start = now();
        long hits = 0;
        for (size_t i = 0; i < count; i++) {
            hits += sqli(values[i], lengths[i], fingerprint) != 0;
        }
        rates[round] = count / (now() - start);
        if (hits != flagged) {
            fprintf(stderr, "libinjection_sqli flagged %ld values in a round after %ld in the warm-up\n", hits, flagged);
            return 1;
        }
    }

    qsort(rates, 5, sizeof rates[0], compare);
    printf("{\"checks_per_second\": %.1f, \"flagged\": %ld, \"values\": %zu}\n", rates[2], flagged, count);
    return 0;
}
C
if ! command -v gcc >/dev/null || ! gcc -O2 -o "$work/libinjection_c" "$work/libinjection_c.c" -ldl; then
    echo "note: gcc could not build the C timing of libinjection; only the Python timing runs" >&2
    c_baseline=no
elif [ ! -f "$libpython" ]; then
    echo "note: the Python library $libpython was not found; only the Python timing of libinjection runs" >&2
    c_baseline=no
fi
"$venv/bin/python" - "$work/values.jsonl" "$work/values.bin" <<'PY'
import json, struct, sys
with open(sys.argv[2], "wb") as out:
    for line in open(sys.argv[1], encoding="utf-8"):
        value = json.loads(line).encode("utf-8", "surrogatepass")
        out.write(struct.pack("<I", len(value)) + value)
PY

run_libinjection_c() {
    if [ "$c_baseline" = yes ]; then
        "$work/libinjection_c" "$libinjection_so" "$work/values.bin" "$libpython" >"$work/libinjection-c-$1.json"
    fi
}
run_libinjection() {
    "$venv/bin/python" "$work/libinjection_rate.py" "$work/values.jsonl" >"$work/libinjection-$1.json"
}
run_palisade() {
    "$palisade" bench detection --corpus "$corpora" --format json >"$work/palisade-$1.json"
}

echo "== $pairs pairs: libinjection (SQLi check only, from Python and from C) and palisade bench detection (every class), one thread each"
for pair in $(seq 1 "$pairs"); do
    if [ $((pair % 2)) -eq 1 ]; then
        run_libinjection "$pair"
        run_libinjection_c "$pair"
        run_palisade "$pair"
    else
        run_palisade "$pair"
        run_libinjection_c "$pair"
        run_libinjection "$pair"
    fi
done

python3 - "$work" "$pairs" <<'PY'
import json, os, statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
ours, theirs, ratios, from_c, ratios_c = [], [], [], [], []
for pair in range(1, pairs + 1):
    palisade = json.load(open(f"{work}/palisade-{pair}.json"))["checks_per_second"]
    libinjection = json.load(open(f"{work}/libinjection-{pair}.json"))["checks_per_second"]
    ours.append(palisade)
    theirs.append(libinjection)
    ratios.append(palisade / libinjection)
    line = f"pair {pair}: Palisade {palisade:,.0f} checks/s, libinjection from Python {libinjection:,.0f} checks/s (ratio {palisade / libinjection:.2f})"
    c_path = f"{work}/libinjection-c-{pair}.json"
    if os.path.exists(c_path):
        c_rate = json.load(open(c_path))["checks_per_second"]
        from_c.append(c_rate)
        ratios_c.append(palisade / c_rate)
        line += f", from C {c_rate:,.0f} checks/s (ratio {palisade / c_rate:.2f})"
    print(line)
print(f"Palisade, all classes: {statistics.median(ours):,.0f} checks/s (median of {pairs})")
print(f"libinjection, SQLi only: {statistics.median(theirs):,.0f} checks/s (median of {pairs}, called from Python)")
if from_c:
    print(f"libinjection from C, SQLi only: {statistics.median(from_c):,.0f} checks/s (median of {pairs})")
    print(f"ratio (Palisade / libinjection from C): {statistics.median(ratios_c):.2f} (median of the {pairs} pair ratios)")
print(f"ratio (Palisade / libinjection): {statistics.median(ratios):.2f} (median of the {pairs} pair ratios)")
PY
