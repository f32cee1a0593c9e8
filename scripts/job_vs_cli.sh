#!/usr/bin/env bash
# A background job (POST /v1/jobs) against `skiptrace rematch` on the same file and index: rows
# per second of each, and the server's RSS sampled every 2 s while the job runs.
#
#   scripts/job_vs_cli.sh SYNTH_DIR INDEX_DIR [ROWS]
#
# The file is SYNTH_DIR/returned_mail.csv repeated under fresh account ids up to ROWS (default
# 100,000) rows. Needs curl, python3 and a release build.
set -euo pipefail
synth=${1:?synth folder}
index=${2:?index directory}
rows=${3:-100000}
bin=${SKIPTRACE_BIN:-target/release/skiptrace}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export RUST_LOG=warn

python3 "$(dirname "$0")/repeat_rows.py" "$synth/returned_mail.csv" "$rows" "$work/file.csv"

started=$(date +%s.%N)
"$bin" rematch --index "$index" --out "$work/cli.csv" "$work/file.csv" 2>"$work/cli.log"
ended=$(date +%s.%N)
cli_rate=$(python3 -c "print(round($rows / ($ended - $started)))")

key=$("$bin" keys add --role searcher --name bench --keys "$work/keys.json" 2>/dev/null | tail -n 1)
addr=127.0.0.1:18093
"$bin" serve --index "$index" --keys "$work/keys.json" --audit "$work/audit.jsonl" \
  --jobs "$work/jobs" --addr "$addr" --rate-per-second 0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done
job=$(curl -sf "http://$addr/v1/jobs?glba=consumer_authorized&dppa=debt_recovery" \
  -H "Authorization: Bearer $key" -H 'Content-Type: text/csv' --data-binary @"$work/file.csv" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
rss=()
while true; do
  state=$(curl -sf "http://$addr/v1/jobs/$job" -H "Authorization: Bearer $key" |
    python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["state"])')
  rss+=("$(ps -o rss= -p "$server" | tr -d ' ')")
  [ "$state" = done ] || [ "$state" = failed ] && break
  sleep 2
done
curl -sf "http://$addr/v1/jobs/$job" -H "Authorization: Bearer $key" >"$work/job.json"
curl -sf "http://$addr/v1/jobs/$job/result" -H "Authorization: Bearer $key" -o "$work/job.csv"
job_rate=$(python3 - "$work/job.json" "$rows" <<'EOF'
import json, sys
from datetime import datetime
v = json.load(open(sys.argv[1]))
seconds = (datetime.fromisoformat(v["finished_at"].replace("Z", "+00:00"))
           - datetime.fromisoformat(v["started_at"].replace("Z", "+00:00"))).total_seconds()
print(round(int(sys.argv[2]) / seconds))
EOF
)
echo "rows: $rows; cli: $cli_rate rows/s; job: $job_rate rows/s (state $state)"
echo "server RSS every 2 s while the job ran (KB): ${rss[*]}"
cmp -s "$work/cli.csv" "$work/job.csv" && echo "job result byte-identical to the CLI's" ||
  echo "job result DIFFERS from the CLI's"
