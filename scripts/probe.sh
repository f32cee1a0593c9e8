#!/usr/bin/env bash
# The security and reliability probe of issue 19, repeatable: on a synth folder it
#   1. kills `skiptrace index` with SIGKILL mid-load, runs it again, and checks every record is in;
#   2. kills `skiptrace rematch` with SIGKILL at three points, resumes each time, and compares the
#      result byte for byte with an uninterrupted run;
#   3. serves the index and sends hostile requests (scripts/probe_hostile.py): malformed and
#      oversized bodies, values in the wrong fields, a 10,000-guess SSN oracle in one bulk file,
#      a bad-key flood, 2,000 slow-header connections;
#   4. soaks it: SOAK_SECONDS (default 120) of 8 searching clients (wrk) plus a loader upserting
#      a record every 100 ms, sampling the server's RSS every 10 s, then verifies the audit log.
#
#   scripts/probe.sh SYNTH_DIR [SOAK_SECONDS]
#
# Needs wrk (Debian: apt-get install wrk), python3 and a release build. Exit 1 on any failure.
set -euo pipefail
synth=${1:?synth folder}
soak=${2:-120}
bin=${SKIPTRACE_BIN:-target/release/skiptrace}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }
export RUST_LOG=warn

records=$(($(wc -l <"$synth/records.csv") - 1))
echo "== 1. kill -9 of index ($records records)"
"$bin" index --index "$work/killed" "$synth/records.csv" >/dev/null 2>&1 &
loader=$!
sleep 4
kill -9 "$loader" 2>/dev/null || true
wait "$loader" 2>/dev/null || true
"$bin" index --index "$work/killed" "$synth/records.csv" >"$work/index.out" 2>&1 ||
  fail "index after the kill: $(tail -n 3 "$work/index.out")"
"$bin" index --index "$work/idx" "$synth/records.csv" >/dev/null 2>&1
count() { # records in an index, from a server's /readyz
  "$bin" keys add --role admin --name probe --keys "$work/count-keys.json" >/dev/null 2>&1
  "$bin" serve --index "$1" --keys "$work/count-keys.json" --audit "$work/count-audit.jsonl" \
    --addr 127.0.0.1:18091 >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18091/readyz >"$work/ready.json" 2>/dev/null && break; sleep 0.2; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$work/ready.json"
}
after_kill=$(count "$work/killed")
echo "records after kill -9 and a second run: $after_kill of $records distinct ids"
[ "$after_kill" = "$(count "$work/idx")" ] || fail "records lost after kill -9"

echo "== 2. kill -9 of rematch at three points, --resume each time"
head -n 20001 "$synth/returned_mail.csv" >"$work/mail.csv"
"$bin" rematch --index "$work/idx" --out "$work/whole.csv" "$work/mail.csv" >/dev/null 2>&1
for delay in 1 2 3; do
  "$bin" rematch --index "$work/idx" --resume --out "$work/resumed.csv" "$work/mail.csv" >/dev/null 2>&1 &
  job=$!
  sleep "$delay"
  kill -9 "$job" 2>/dev/null || true
  wait "$job" 2>/dev/null || true
  echo "killed after ${delay}s: $(($(cat "$work/resumed.csv" 2>/dev/null | wc -l) - 1)) rows written"
done
"$bin" rematch --index "$work/idx" --resume --out "$work/resumed.csv" "$work/mail.csv" >/dev/null 2>&1
if cmp -s "$work/whole.csv" "$work/resumed.csv"; then
  echo "resumed result byte-identical to the uninterrupted one ($(($(wc -l <"$work/whole.csv") - 1)) rows)"
else
  fail "resumed result differs from the uninterrupted one"
fi

echo "== 3. hostile requests"
keys="$work/keys.json"
searcher=$("$bin" keys add --role searcher --name probe --keys "$keys" 2>/dev/null | tail -n 1)
loader_key=$("$bin" keys add --role loader --name probe --keys "$keys" 2>/dev/null | tail -n 1)
addr=127.0.0.1:18090
"$bin" serve --index "$work/idx" --keys "$keys" --audit "$work/audit.jsonl" --addr "$addr" \
  --header-read-timeout-ms 2000 --rate-per-second 0 --max-connections-per-address 1024 \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done
python3 "$here/probe_hostile.py" "$addr" "$searcher" "$loader_key" "$work/audit.jsonl" || failed=1

echo "== 4. soak: ${soak}s of 8 searching clients and a loader"
python3 "$here/wrk_search_lua.py" "$synth/returned_mail.csv" "$searcher" "$work/search.lua"
python3 - "$addr" "$loader_key" "$soak" >"$work/loader.out" <<'EOF' &
import http.client, json, sys, time
addr, key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
host, port = addr.split(":")
end, sent, errors = time.time() + seconds, 0, 0
while time.time() < end:
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps([{"record_id": f"soak{sent}", "source": "probe", "first_name": "Soak",
                        "last_name": f"Loader{sent}", "zip": "62704", "phone": "217-555-0100"}])
    c.request("POST", "/v1/records", body=body,
              headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    r = c.getresponse(); r.read(); c.close()
    sent += 1; errors += r.status != 200
    time.sleep(0.1)
print(f"{sent} upserts, {errors} errors")
EOF
upserter=$!
(for _ in $(seq $((soak / 10))); do sleep 10; ps -o rss= -p "$server"; done) >"$work/rss.txt" &
sampler=$!
wrk -t2 -c8 -d"${soak}s" --latency -s "$work/search.lua" "http://$addr" >"$work/wrk.txt"
wait "$upserter" "$sampler" || true
grep -E "requests in|Non-2xx|^ +(50|99)%" "$work/wrk.txt"
echo "loader: $(cat "$work/loader.out")"
echo "server RSS every 10 s (KB): $(tr '\n' ' ' <"$work/rss.txt")"
grep -q "Non-2xx" "$work/wrk.txt" && fail "searches answered other than 200"
grep -qi "panick" "$work/serve.log" && fail "the server panicked: $(grep -i -m1 panick "$work/serve.log")"
kill "$server"; wait "$server" 2>/dev/null || true
server=
"$bin" audit verify --audit "$work/audit.jsonl" || fail "audit verify"
[ "$failed" = 0 ] && echo "probe: all checks passed"
exit "$failed"
