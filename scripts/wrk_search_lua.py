"""Writes a wrk script that POSTs /v1/search with the first 1,000 rows of a returned-mail file
in rotation, and prints one parseable RESULT line (requests/s, p50, p95, p99 in ms, non-2xx,
requests) when the run ends. Used by scripts/loadtest.sh and scripts/scale.sh.

    python3 scripts/wrk_search_lua.py RETURNED_MAIL.csv API_KEY OUT.lua
"""
import csv
import json
import sys

source, key, out = sys.argv[1:]
bodies = []
# The file's columns as POST /v1/search names them (it refuses unknown fields); the account id
# and open date are not query fields.
FIELDS = {"first_name": "first_name", "middle_name": "middle_name", "last_name": "last_name",
          "name_suffix": "name_suffix", "dob": "dob", "ssn": "ssn",
          "address_line1": "address_line1", "address_line2": "address_line2", "city": "city",
          "state": "state", "zip": "zip", "phone": "phone", "phone2": "other_phones",
          "email": "email", "return_reason": "return_reason"}
for row in list(csv.DictReader(open(source)))[:1000]:
    body = {FIELDS[k]: v for k, v in row.items() if v and k in FIELDS}
    body["permissible_purpose"] = {"glba": "consumer_authorized", "dppa": "debt_recovery"}
    bodies.append("[==[%s]==]" % json.dumps(body))
lua = "local bodies = {\n" + ",\n".join(bodies) + "\n}\nlocal i = 0\n"
lua += """request = function()
  i = i + 1
  return wrk.format("POST", "/v1/search", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %s"}, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%.1f %%.2f %%.2f %%.2f %%d %%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.requests))
end
""" % key
open(out, "w").write(lua)
