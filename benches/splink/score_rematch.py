#!/usr/bin/env python3
"""Stopgap scorer for rematch-format files against a `skiptrace synth` truth folder, until
`skiptrace eval --score-output FILE` lands. Scores skiptrace's and Splink's outputs the same way.

Usage: score_rematch.py SYNTH_DIR OUT.csv [OUT2.csv ...] [--json]

Per file:
- precision / recall / F1 of the best match at the file's own decision (match_status = matched),
  and at every score threshold over rows that name a record (best F1 and its threshold);
  a debtor whose person has no record is correct only with no match; recall is over debtors
  with in_sources = true (truth/debtors.csv);
- right-party address rate: among present debtors whose true current address differs from the
  address on file, the share given a `matched` answer for the right person whose new address is
  the true current one. Addresses are compared as standardised delivery keys (street number and
  name with USPS suffix/directional abbreviations, unit, 5-digit zip: the same key
  splink_rematch.py uses) and, stricter, as upper-cased, whitespace-collapsed line1+line2+zip5.
"""

import csv
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from splink_rematch import address_key  # noqa: E402


def strict_key(line1, line2, zip_code):
    text = " ".join(f"{line1} {line2}".upper().split())
    digits = re.sub(r"\D", "", zip_code or "")[:5]
    return f"{text}|{digits}" if text else None


def prf(tp, fp, present):
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / present if present else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(synth: Path, out: Path):
    owner = {r["record_id"]: r["person_id"] for r in csv.DictReader(open(synth / "truth" / "records.csv"))}
    debtors = {r["account_id"]: r for r in csv.DictReader(open(synth / "truth" / "debtors.csv"))}
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    present = sum(1 for d in debtors.values() if d["in_sources"] == "true")
    scored = []  # (score, right?) for rows naming a record
    tp = fp = 0
    addr_total = addr_right = addr_right_strict = addr_any = 0
    statuses = {}
    for row in rows:
        truth = debtors[row["account_id"]]
        statuses[row["match_status"]] = statuses.get(row["match_status"], 0) + 1
        rid = row["match_record_id"]
        right = bool(rid) and owner.get(rid) == truth["person_id"]
        if rid:
            scored.append((float(row["match_score"] or 0), right))
        if row["match_status"] == "matched":
            tp += right
            fp += not right
        if truth["in_sources"] != "true":
            continue
        current = address_key(truth["current_address_line1"], truth["current_address_line2"],
                              truth["current_city"], truth["current_state"], truth["current_zip"])
        own = address_key(row["address_line1"], row["address_line2"], row["city"], row["state"], row["zip"])
        if current is None or current == own:
            continue
        addr_total += 1
        offered = address_key(row["new_address_line1"], row["new_address_line2"], row["new_city"],
                              row["new_state"], row["new_zip"])
        if right and offered == current:
            addr_any += 1
            if row["match_status"] == "matched":
                addr_right += 1
                addr_right_strict += strict_key(
                    row["new_address_line1"], row["new_address_line2"], row["new_zip"]
                ) == strict_key(truth["current_address_line1"], truth["current_address_line2"],
                                truth["current_zip"])
    p, r, f = prf(tp, fp, present)
    # Sweep thresholds from the top: every distinct score is a candidate cut.
    scored.sort(key=lambda x: -x[0])
    best = (0.0, None, 0.0, 0.0)
    ctp = cfp = 0
    for i, (s, right) in enumerate(scored):
        ctp += right
        cfp += not right
        if i + 1 < len(scored) and scored[i + 1][0] == s:
            continue
        bp, br, bf = prf(ctp, cfp, present)
        if bf > best[0]:
            best = (bf, s, bp, br)
    return {
        "file": str(out),
        "rows": len(rows),
        "debtors": len(debtors),
        "present": present,
        "statuses": statuses,
        "default": {"tp": tp, "fp": fp, "precision": p, "recall": r, "f1": f},
        "best": {"f1": best[0], "threshold": best[1], "precision": best[2], "recall": best[3]},
        "right_party_address": {
            "eligible": addr_total,
            "rate": addr_right / addr_total if addr_total else 0.0,
            "rate_strict_text": addr_right_strict / addr_total if addr_total else 0.0,
            "rate_any_status": addr_any / addr_total if addr_total else 0.0,
        },
    }


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    synth, outs = Path(args[0]), [Path(a) for a in args[1:]]
    results = [score(synth, o) for o in outs]
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
        return
    print(f"{'file':40} {'P':>6} {'R':>6} {'F1':>6} | {'bestF1':>6} {'@thr':>6} {'P':>6} {'R':>6} | "
          f"{'addr':>6} {'strict':>6} {'anyst':>6} (n)")
    for x in results:
        d, b, a = x["default"], x["best"], x["right_party_address"]
        print(f"{Path(x['file']).name:40} {d['precision']:6.4f} {d['recall']:6.4f} {d['f1']:6.4f} | "
              f"{b['f1']:6.4f} {b['threshold'] if b['threshold'] is not None else float('nan'):6.4f} "
              f"{b['precision']:6.4f} {b['recall']:6.4f} | {a['rate']:6.4f} {a['rate_strict_text']:6.4f} "
              f"{a['rate_any_status']:6.4f} ({a['eligible']})  {x['statuses']}")


if __name__ == "__main__":
    main()
