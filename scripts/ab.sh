#!/usr/bin/env bash
# A/B of two skiptrace binaries on one synth folder, runs alternated so that a noisy machine
# hurts both alike: indexing (records/s, peak RSS, size), re-matching the folder's returned-mail
# file (distinct rows, rows/s) and library latency (single thread). Prints one line per run and
# the medians.
#
#   scripts/ab.sh A_BIN B_BIN SYNTH_DIR [RUNS] [WORK_DIR]
#
# OPTIMIZE=1 also times `index --optimize` after each load (the merge to one segment) and
# re-matches on the merged index.
set -euo pipefail

a_bin=$1
b_bin=$2
synth=$3
runs=${4:-3}
work=${5:-$(mktemp -d /tmp/ab.XXXXXX)}
mkdir -p "$work"
records="$synth/records.csv"
mail="$synth/returned_mail.csv"
rows=$(($(wc -l <"$mail") - 1))
record_rows=$(($(wc -l <"$records") - 1))
results="$work/results.tsv"
: >"$results"

# Runs a command under /usr/bin/time; prints "wall_s peak_rss_mb".
timed() {
    local log
    log=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>&1
    awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$log"
    rm -f "$log"
}

for run in $(seq 1 "$runs"); do
    for side in A B; do
        bin=$a_bin
        [[ $side == B ]] && bin=$b_bin
        idx="$work/idx-$side"
        rm -rf "$idx"
        read -r wall rss < <(timed "$bin" index --index "$idx" "$records")
        if [[ ${OPTIMIZE:-0} == 1 ]]; then
            read -r merge _ < <(timed "$bin" index --index "$idx" --optimize)
            echo -e "$side\t$run\toptimize_s\t$merge" >>"$results"
        fi
        size=$(du -sm "$idx" | cut -f1)
        echo -e "$side\t$run\tindex_s\t$wall" >>"$results"
        echo -e "$side\t$run\tindex_rss_mb\t$rss" >>"$results"
        echo -e "$side\t$run\tindex_mb\t$size" >>"$results"
        read -r wall _ < <(timed "$bin" rematch --index "$idx" --out "$work/out-$side.csv" "$mail")
        echo -e "$side\t$run\trematch_s\t$wall" >>"$results"
        p50=$(RAYON_NUM_THREADS=1 "$bin" latency --index "$idx" --limit 3000 --json "$mail" 2>/dev/null |
            python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["p50_ms"], d["p99_ms"])')
        echo -e "$side\t$run\tlatency_p50_p99_ms\t$p50" >>"$results"
        echo "run $run $side: $(grep -P "^$side\t$run\t" "$results" | cut -f3,4 | tr '\t\n' '= ')"
    done
done

python3 - "$results" "$rows" "$record_rows" <<'EOF'
import statistics
import sys
from collections import defaultdict

path, rows, records = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
values = defaultdict(list)
for line in open(path):
    side, _, what, value = line.rstrip("\n").split("\t")
    values[(side, what)].append([float(v) for v in value.split()])
whats = sorted({w for _, w in values})
print(f"\nmedians, spread in brackets ({records} record rows, {rows} re-match rows):")
for what in whats:
    line = [what]
    for side in "AB":
        runs = values[(side, what)]
        columns = list(zip(*runs))
        medians = [statistics.median(c) for c in columns]
        spread = [f"{min(c):g}-{max(c):g}" for c in columns]
        line.append(f"{side} {' / '.join(f'{m:g}' for m in medians)} ({', '.join(spread)})")
        if what == "rematch_s":
            line.append(f"{rows / medians[0]:,.0f} rows/s")
        if what == "index_s":
            line.append(f"{records / medians[0]:,.0f} records/s")
    print("  ".join(line))
EOF
