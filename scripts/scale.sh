#!/usr/bin/env bash
# Scale run: generates SIZE source records, then times each step of the product on them and
# appends a dated table to BENCHMARKS.md (and writes it to WORK/results.md).
#
#   scripts/scale.sh SIZE [WORK_DIR]        SIZE: 100k, 1m, 10m or a number of records
#
# Steps: synth; index (records/s, bytes per record on disk); single-client search latency in
# the library over 1,000 generated queries; HTTP search with 1 and 8 concurrent clients (wrk,
# 1,000 distinct queries); rematch of 100,000 returned-mail rows (rows/s); peak RSS of each.
# Needs a release build (cargo build --release), wrk and GNU time (Debian: wrk, time).
# Set SECONDS_PER_LOAD (default 20) for the HTTP runs (after a WARMUP_SECONDS, default 5, run), SKIPTRACE_BIN for another binary, and
# NO_RECORD=1 to leave BENCHMARKS.md alone, OPTIMIZE=1 to merge the index into one segment after
# the load (timed apart).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:?size: 100k, 1m, 10m or a number of records}
case $size in
  *k) records=$(( ${size%k} * 1000 )) ;;
  *m) records=$(( ${size%m} * 1000000 )) ;;
  *) records=$size ;;
esac
# The default synth population writes about 4.07 records per person.
people=$(( records * 100 / 407 ))
work=${2:-/tmp/skiptrace-scale-$size}
bin=${SKIPTRACE_BIN:-target/release/skiptrace}
seconds=${SECONDS_PER_LOAD:-20}
mkdir -p "$work"
results="$work/results.tsv"
: >"$results"

note() { printf '%s\t%s\n' "$1" "$2" >>"$results"; echo "  $1: $2"; }
# timed NAME CMD...: runs CMD under GNU time; leaves seconds and peak RSS in $wall and $rss_mb.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
  read -r wall rss_kb <"$work/$name.time"
  rss_mb=$(( rss_kb / 1024 ))
}

echo "== synth: $people people (~$records records) into $work/data"
rm -rf "$work/data"
timed synth "$bin" synth --people "$people" --seed 1 --out "$work/data"
actual=$(( $(wc -l <"$work/data/records.csv") - 1 ))
note "records" "$actual"
note "synth" "${wall} s, peak RSS ${rss_mb} MB"

echo "== index"
timed index "$bin" index --index "$work/index" "$work/data/records.csv"
note "index" "${wall} s, $(python3 -c "print(round($actual / $wall))") records/s, peak RSS ${rss_mb} MB"
if [[ ${OPTIMIZE:-0} == 1 ]]; then
    timed optimize "$bin" index --index "$work/index" --optimize
    note "index --optimize" "${wall} s, peak RSS ${rss_mb} MB"
fi
bytes=$(du -sb "$work/index" | cut -f1)
note "index size" "$(( bytes / 1048576 )) MB, $(( bytes / actual )) bytes/record"

echo "== single-client latency in the library"
timed latency "$bin" latency --index "$work/index" --limit 1000 --json "$work/data/returned_mail.csv"
note "library latency" "$(python3 -c "import json,sys; f=json.load(open('$work/latency.out')); print('p50 %.2f ms, p95 %.2f ms, p99 %.2f ms over %d queries' % (f['p50_ms'], f['p95_ms'], f['p99_ms'], f['queries']))")"

echo "== HTTP search (wrk, ${seconds}s per run)"
key=$("$bin" keys add --role searcher --name scale --keys "$work/keys.json" 2>/dev/null | tail -n 1)
python3 scripts/wrk_search_lua.py "$work/data/returned_mail.csv" "$key" "$work/search.lua"
addr=127.0.0.1:18090
"$bin" serve --index "$work/index" --keys "$work/keys.json" --audit "$work/audit.jsonl" \
  --rate-per-second 0 --addr "$addr" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done
# Warm-up, not counted: a new server process first maps the index pages its searches touch, and
# those page faults made the first seconds' searches (the 1-client run's slowest 1%) several
# times slower than the rest.
wrk -t2 -c8 -d"${WARMUP_SECONDS:-5}s" -s "$work/search.lua" "http://$addr" >/dev/null
for clients in 1 8; do
  read -r rps p50 p95 p99 errors total < <(wrk -t"$(( clients < 2 ? 1 : 2 ))" -c"$clients" \
    -d"${seconds}s" -s "$work/search.lua" "http://$addr" | grep '^RESULT' | cut -d' ' -f2-)
  note "HTTP $clients client(s)" "$rps searches/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms, $errors non-2xx of $total"
done
serve_peak=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$server/status")
note "serve peak RSS" "$serve_peak MB"
kill -TERM "$server"; wait "$server" || true
trap - EXIT
"$bin" audit verify --audit "$work/audit.jsonl" >/dev/null

echo "== rematch of 100,000 rows"
python3 - "$work/data/returned_mail.csv" "$work/rematch-in.csv" <<'PY'
import csv, itertools, sys
source, out = sys.argv[1:]
rows = list(csv.reader(open(source)))
header, body = rows[0], rows[1:]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(header)
    for n, row in enumerate(itertools.islice(itertools.cycle(body), 100000)):
        row = list(row)
        row[0] = "%s-%d" % (row[0], n)
        w.writerow(row)
PY
timed rematch "$bin" rematch --index "$work/index" --out "$work/rematch-out.csv" "$work/rematch-in.csv"
note "rematch 100,000 rows" "${wall} s, $(python3 -c "print(round(100000 / $wall))") rows/s, peak RSS ${rss_mb} MB"

table=$(
  echo
  echo "### Scale run: $size ($actual records), $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs), $(awk '/MemTotal/ {print int($2 / 1048576)}' /proc/meminfo) GiB."
  echo "Command: \`scripts/scale.sh $size\` (binary \`$bin\`, HTTP runs ${seconds}s each after a ${WARMUP_SECONDS:-5}s warm-up)."
  echo
  echo "| step | figure |"
  echo "|---|---|"
  while IFS=$'\t' read -r step figure; do echo "| $step | $figure |"; done <"$results"
)
echo "$table" >"$work/results.md"
echo "$table"
if [ -z "${NO_RECORD:-}" ]; then
  echo "$table" >>BENCHMARKS.md
  echo "(appended to BENCHMARKS.md)"
fi
