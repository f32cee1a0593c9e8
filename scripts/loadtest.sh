#!/usr/bin/env bash
# HTTP search load test: starts `skiptrace serve` on an index built from a synth folder, makes a
# searcher key, and drives POST /v1/search with wrk over the folder's first 1,000 returned-mail
# debtors, with 1 and with 8 concurrent clients, after a WARMUP_SECONDS (default 5) run that is
# not counted.
#
#   scripts/loadtest.sh SYNTH_DIR INDEX_DIR [SECONDS]
#
# Needs wrk (Debian: apt-get install wrk) and a release build (cargo build --release).
set -euo pipefail
synth=${1:?synth folder}
index=${2:?index directory}
seconds=${3:-15}
bin=${SKIPTRACE_BIN:-target/release/skiptrace}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

key=$("$bin" keys add --role searcher --name loadtest --keys "$work/keys.json" 2>/dev/null | tail -n 1)
python3 "$(dirname "$0")/wrk_search_lua.py" "$synth/returned_mail.csv" "$key" "$work/search.lua"

addr=127.0.0.1:18089
"$bin" serve --index "$index" --keys "$work/keys.json" --audit "$work/audit.jsonl" \
  --rate-per-second 0 --addr "$addr" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done
curl -s "http://$addr/readyz"; echo
# Warm-up, not counted: a new server process first maps the index pages its searches touch.
wrk -t2 -c8 -d"${WARMUP_SECONDS:-5}s" -s "$work/search.lua" "http://$addr" >/dev/null
for clients in 1 8; do
  echo "== $clients client(s), ${seconds}s"
  wrk -t"$(( clients < 2 ? 1 : 2 ))" -c"$clients" -d"${seconds}s" --latency -s "$work/search.lua" "http://$addr" |
    grep -E "^ +(50|90|99)%|Requests/sec|Non-2xx"
done
echo "server RSS: $(ps -o rss= -p "$server") KB"
"$bin" audit verify --audit "$work/audit.jsonl"
