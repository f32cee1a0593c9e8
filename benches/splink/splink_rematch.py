#!/usr/bin/env python3
"""Re-match a returned-mail file against person records with Splink (duckdb backend) and write
the answers in skiptrace's `rematch` output format, so both tools can be scored by the same code.

Usage:
    splink_rematch.py SYNTH_DIR --out OUT.csv
    splink_rematch.py --records records.csv --queries returned_mail.csv --out OUT.csv

Writes OUT.csv (every input column, then skiptrace's OUTPUT_COLUMNS, one row per query row in
input order) and OUT.csv.meta.json (system, wall time per phase, sizes). See README.md for the
model configuration and why it is configured this way.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
import unicodedata
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd
import phonetics
import splink
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

# skiptrace's appended columns (src/bulk.rs OUTPUT_COLUMNS), in order.
OUTPUT_COLUMNS = [
    "match_status",
    "match_score",
    "match_band",
    "match_record_id",
    "match_identity",
    "new_address_line1",
    "new_address_line2",
    "new_city",
    "new_state",
    "new_zip",
    "new_address_last_seen",
    "new_address_confidence",
    "new_phone",
    "new_phone_confidence",
    "new_email",
    "new_email_confidence",
    "explanation",
    "error",
]

# skiptrace's defaults (`skiptrace rematch --help`, src/score.rs).
DEFAULT_MATCH_THRESHOLD = 0.95
DEFAULT_REVIEW_THRESHOLD = 0.5
BANDS = [(0.95, "strong"), (0.80, "possible"), (0.50, "weak")]

# Header aliases (case-insensitive) for the fields the model reads; skiptrace's names first.
ALIASES = {
    "record_id": ["record_id", "id", "unique_id"],
    "first_name": ["first_name", "given_name", "forename", "fname"],
    "middle_name": ["middle_name", "middle", "mname"],
    "last_name": ["last_name", "surname", "family_name", "lname"],
    "name_suffix": ["name_suffix", "suffix"],
    "full_name": ["full_name", "name"],
    "dob": ["dob", "date_of_birth", "birth_date"],
    "ssn": ["ssn", "soc_sec_id", "social_security_number"],
    "address_line1": ["address_line1", "address1", "address", "street"],
    "address_line2": ["address_line2", "address2", "unit"],
    "city": ["city"],
    "state": ["state"],
    "zip": ["zip", "zip_code", "zipcode", "postcode", "postal_code"],
    "phone": ["phone", "phone_number", "telephone"],
    "email": ["email", "email_address"],
    "last_seen": ["last_seen", "last_seen_date"],
}

# ---------------------------------------------------------------------------------------------
# Cleaning (the Splink docs' advice: standardise before linking; lower-case, no punctuation,
# digits-only identifiers, derived columns for phonetic codes and concatenated names).
# ---------------------------------------------------------------------------------------------

SUFFIXES = {"jr": "jr", "sr": "sr", "ii": "ii", "iii": "iii", "iv": "iv", "2nd": "ii", "3rd": "iii"}

# USPS Publication 28, appendix C1 (street suffixes) and C1 directionals: the variants seen when
# profiling these files, each mapped to its standard abbreviation.
STREET_SUFFIX = {
    "street": "st", "str": "st", "strt": "st", "st": "st", "streets": "sts",
    "avenue": "ave", "av": "ave", "aven": "ave", "avenu": "ave", "avn": "ave", "avnue": "ave", "ave": "ave",
    "drive": "dr", "driv": "dr", "drv": "dr", "dr": "dr",
    "road": "rd", "rd": "rd", "lane": "ln", "lanes": "ln", "la": "ln", "ln": "ln",
    "court": "ct", "crt": "ct", "ct": "ct", "courts": "cts",
    "place": "pl", "pl": "pl", "way": "way", "wy": "way", "ways": "ways",
    "circle": "cir", "circ": "cir", "circl": "cir", "crcl": "cir", "crcle": "cir", "cir": "cir",
    "boulevard": "blvd", "boul": "blvd", "boulv": "blvd", "blvd": "blvd",
    "terrace": "ter", "terr": "ter", "ter": "ter",
    "parkway": "pkwy", "parkwy": "pkwy", "pkway": "pkwy", "pky": "pkwy", "pkwy": "pkwy",
    "parkways": "pkwy", "pkwys": "pkwy",
    "trail": "trl", "trails": "trl", "trls": "trl", "tr": "trl", "trl": "trl",
    "loop": "loop", "loops": "loop", "highway": "hwy", "hwy": "hwy", "square": "sq", "sq": "sq",
}
DIRECTIONALS = {
    "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}
UNIT_DESIGNATORS = {
    "apt", "apartment", "unit", "ste", "suite", "lot", "#", "rm", "room", "fl", "floor",
    "bldg", "building", "trlr", "trailer", "spc", "space", "no",
}


def _blank(value):
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


@lru_cache(maxsize=None)
def clean_name(value: str):
    """Lower-case ASCII letters and spaces only: accents, apostrophes and dots dropped, hyphens
    and other punctuation become spaces."""
    if _blank(value):
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = text.lower().replace("'", "").replace(".", "")
    text = re.sub(r"[^a-z]+", " ", text).strip()
    return text or None


@lru_cache(maxsize=None)
def clean_suffix(value: str):
    name = clean_name(value)
    return SUFFIXES.get(name.replace(" ", "")) if name else None


@lru_cache(maxsize=None)
def split_full_name(value: str):
    """(first, middle, last, suffix) from "LAST, FIRST M [JR]" or "FIRST M. LAST [JR]"."""
    if _blank(value):
        return (None, None, None, None)
    text = str(value)
    if "," in text:
        last, _, rest = text.partition(",")
        tokens = [clean_name(t) for t in rest.split()]
        last_tokens = [clean_name(last)]
    else:
        tokens = [clean_name(t) for t in text.split()]
        last_tokens = []
    tokens = [t for t in tokens if t]
    suffix = None
    if tokens and tokens[-1].replace(" ", "") in SUFFIXES:
        suffix = SUFFIXES[tokens.pop().replace(" ", "")]
    if not last_tokens:
        if len(tokens) < 2:
            return (tokens[0] if tokens else None, None, None, suffix)
        last_tokens = [tokens.pop()]
    first = tokens[0] if tokens else None
    middle = " ".join(tokens[1:]) or None
    return (first, middle, last_tokens[0], suffix)


@lru_cache(maxsize=None)
def dmetaphone(name: str):
    """Double metaphone codes as a list (empty codes dropped), for NameComparison's dmeta level."""
    if not name:
        return None
    codes = [c for c in phonetics.dmetaphone(name.replace(" ", "")) if c]
    return codes or None


DOB_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), (3, 1, 2)),
]


@lru_cache(maxsize=None)
def clean_dob(value: str):
    """ISO yyyy-mm-dd from yyyy-mm-dd, yyyymmdd or mm/dd/yyyy (else null)."""
    if _blank(value):
        return None
    text = str(value).strip()
    for pattern, (y, m, d) in DOB_PATTERNS:
        found = pattern.match(text)
        if found:
            return f"{found.group(y)}-{int(found.group(m)):02d}-{int(found.group(d)):02d}"
    return None


@lru_cache(maxsize=None)
def clean_ssn(value: str):
    """(full 9-digit ssn or null, last 4 digits or null): a masked or last-4-only SSN keeps
    its last four digits in ssn_last4 and has no full ssn."""
    if _blank(value):
        return (None, None)
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 9:
        return (digits, digits[-4:])
    if len(digits) == 4:
        return (None, digits)
    return (None, None)


@lru_cache(maxsize=None)
def clean_phone(value: str):
    if _blank(value):
        return None
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


@lru_cache(maxsize=None)
def clean_email(value: str):
    if _blank(value):
        return None
    text = str(value).strip().lower()
    return text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else None


@lru_cache(maxsize=None)
def clean_zip5(value: str):
    if _blank(value):
        return None
    digits = re.sub(r"\D", "", str(value))
    return digits[:5] if len(digits) >= 5 else None


@lru_cache(maxsize=None)
def clean_address(line1: str, line2: str):
    """(street, unit): street = house number + standardised street name (USPS abbreviations for
    suffixes and directionals), unit = what follows a unit designator in line 1 or line 2."""
    text = f"{'' if _blank(line1) else line1} {'' if _blank(line2) else line2}".lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.replace("#", " # ")
    tokens = re.sub(r"[^a-z0-9# ]+", " ", text).split()
    street, unit = [], []
    for i, token in enumerate(tokens):
        if token in UNIT_DESIGNATORS and i > 0:
            unit = [t for t in tokens[i + 1 :] if t not in UNIT_DESIGNATORS]
            break
        if i > 0:
            token = DIRECTIONALS.get(token, STREET_SUFFIX.get(token, token))
        street.append(token)
    street_text = " ".join(street) or None
    unit_text = " ".join(unit) or None
    return (street_text, unit_text)


def address_key(line1, line2, city, state, zip_code):
    """Comparable delivery key: standardised street + unit + 5-digit zip (city/state are implied
    by the zip). Used to leave out a query's own address and by the scoring helper."""
    street, unit = clean_address(line1 or "", line2 or "")
    if not street:
        return None
    return f"{street}|{unit or ''}|{clean_zip5(zip_code) or ''}"


def read_table(path: Path) -> pd.DataFrame:
    """A delimited file as strings (empty cells stay ""); the delimiter is sniffed from the
    header line among comma, tab, pipe and semicolon."""
    with open(path, encoding="utf-8", newline="") as handle:
        header = handle.readline()
    sep = max([",", "\t", "|", ";"], key=header.count)
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8")


def pick_columns(frame: pd.DataFrame) -> dict:
    """Canonical field name -> column of `frame`, by ALIASES (case-insensitive)."""
    lower = {c.strip().lower(): c for c in frame.columns}
    found = {}
    for field, names in ALIASES.items():
        for name in names:
            if name in lower:
                found[field] = lower[name]
                break
    return found


def clean_frame(raw: pd.DataFrame, ids: list) -> pd.DataFrame:
    """The model's columns for one input table (all strings or null)."""
    cols = pick_columns(raw)
    get = lambda f: raw[cols[f]] if f in cols else pd.Series([""] * len(raw), index=raw.index)  # noqa: E731
    out = pd.DataFrame({"unique_id": ids})
    first = [clean_name(v) for v in get("first_name")]
    middle = [clean_name(v) for v in get("middle_name")]
    last = [clean_name(v) for v in get("last_name")]
    suffix = [clean_suffix(v) for v in get("name_suffix")]
    for i, full in enumerate(get("full_name")):
        if first[i] is None and last[i] is None and not _blank(full):
            f, m, l_, s = split_full_name(full)
            first[i], middle[i], last[i] = f, m, l_
            suffix[i] = suffix[i] or s
    # Compare names without spaces: "Woods-Bixby", "Woods Bixby" and "WoodsBixby" agree.
    first = [f.replace(" ", "") if f else None for f in first]
    last = [s.replace(" ", "") if s else None for s in last]
    out["first_name"] = first
    out["surname"] = last
    out["middle_initial"] = [m[0] if m else None for m in middle]
    out["name_suffix"] = suffix
    out["first_name_surname_concat"] = [
        f"{f} {s}" if f and s else None for f, s in zip(first, last)
    ]
    out["first_name_dm"] = [dmetaphone(f) for f in first]
    out["surname_dm"] = [dmetaphone(s) for s in last]
    # Primary double-metaphone codes, for a phonetic blocking rule.
    out["first_name_dm1"] = [d[0] if d else None for d in out["first_name_dm"]]
    out["surname_dm1"] = [d[0] if d else None for d in out["surname_dm"]]
    out["dob"] = [clean_dob(v) for v in get("dob")]
    ssn = [clean_ssn(v) for v in get("ssn")]
    out["ssn"] = [s[0] for s in ssn]
    out["ssn_last4"] = [s[1] for s in ssn]
    address = [clean_address(a, b) for a, b in zip(get("address_line1"), get("address_line2"))]
    out["street"] = [a[0] for a in address]
    out["zip5"] = [clean_zip5(v) for v in get("zip")]
    out["zip3"] = [z[:3] if z else None for z in out["zip5"]]
    out["address"] = [
        f"{a[0]} {a[1] or ''} {z or ''}".strip() if a[0] else None
        for a, z in zip(address, out["zip5"])
    ]
    out["phone"] = [clean_phone(v) for v in get("phone")]
    out["email"] = [clean_email(v) for v in get("email")]
    return out


# ---------------------------------------------------------------------------------------------
# The Splink model
# ---------------------------------------------------------------------------------------------


def ssn_comparison():
    """Full SSN with Damerau-Levenshtein levels as in the febrl4 example, plus a level for a
    last-4 agreement when one side only has the last four digits (one comparison, so a full
    match is not counted twice)."""
    return cl.CustomComparison(
        output_column_name="ssn",
        comparison_description="SSN (full, or last 4 when one side is partial)",
        comparison_levels=[
            cll.NullLevel("ssn_last4"),
            cll.ExactMatchLevel("ssn").configure(label_for_charts="exact"),
            cll.DamerauLevenshteinLevel("ssn", 1).configure(label_for_charts="dl1"),
            cll.CustomLevel(
                '("ssn_l" IS NULL OR "ssn_r" IS NULL) AND "ssn_last4_l" = "ssn_last4_r"',
                label_for_charts="last4",
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def address_comparison():
    """US address: street (number + standardised name) and unit with the 5-digit zip in one
    comparison (the febrl4 example's advice: location columns are correlated, so model them
    together). Term frequencies on the exact level, as the pseudopeople example does."""
    return cl.CustomComparison(
        output_column_name="address",
        comparison_description="Street, unit and zip",
        comparison_levels=[
            cll.And(cll.NullLevel("street"), cll.NullLevel("zip5")),
            cll.ExactMatchLevel("address", term_frequency_adjustments=True).configure(
                label_for_charts="exact"
            ),
            cll.And(cll.ExactMatchLevel("street"), cll.ExactMatchLevel("zip5")).configure(
                label_for_charts="street_zip"
            ),
            cll.ExactMatchLevel("zip5").configure(label_for_charts="zip"),
            cll.ExactMatchLevel("zip3").configure(label_for_charts="zip3"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )


def comparisons(name_model: str):
    if name_model == "forename_surname":
        names = [
            cl.ForenameSurnameComparison(
                "first_name",
                "surname",
                forename_surname_concat_col_name="first_name_surname_concat",
            )
        ]
    else:
        names = [
            cl.NameComparison("first_name", dmeta_col_name="first_name_dm").configure(
                term_frequency_adjustments=True
            ),
            cl.NameComparison("surname", dmeta_col_name="surname_dm").configure(
                term_frequency_adjustments=True
            ),
        ]
    return names + [
        cl.ExactMatch("middle_initial").configure(term_frequency_adjustments=True),
        cl.ExactMatch("name_suffix"),
        cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
        ssn_comparison(),
        address_comparison(),
        cl.ExactMatch("phone"),
        cl.EmailComparison("email"),
    ]


def prediction_blocking_rules():
    """Union of rules chosen so every true pair shares at least one key, each rule's count
    checked with splink.blocking_analysis (see --analyse-blocking)."""
    return [
        block_on("dob"),
        block_on("ssn"),
        block_on("first_name", "surname"),
        block_on("surname", "zip5"),
        block_on("first_name", "zip5"),
        block_on("street", "zip5"),
        block_on("phone"),
        block_on("email"),
        block_on("ssn_last4", "surname"),
        block_on("first_name_dm1", "surname_dm1", "zip3"),
        block_on("substr(first_name,1,1)", "surname", "substr(dob,1,4)"),
        # From the docs' examples: swapped names (febrl4), name prefixes (historical_50k).
        "l.first_name = r.surname and l.surname = r.first_name",
        block_on("substr(first_name,1,3)", "substr(surname,1,4)"),
    ]


DETERMINISTIC_RULES = [
    block_on("ssn"),
    block_on("first_name", "surname", "dob"),
    block_on("email"),
]


def em_training_rules():
    return [
        block_on("dob"),
        block_on("first_name", "surname"),
        block_on("ssn"),
    ]


# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------


def short_label(label: str) -> str:
    """Compact level name for the explanation column ("Exact match on surname" -> "exact")."""
    text = label.lower()
    for pattern, repl in [
        (r"^exact match on (date of birth|first_name|surname|middle_initial|name_suffix|phone|email)$", "exact"),
        (r"^exact match on username$", "username"),
        (r"^jaro-winkler distance of \w+ >= ([0-9.]+)$", r"jw\1"),
        (r"^jaro-winkler >([0-9.]+) on username$", r"username_jw\1"),
        (r"^array intersection size >= 1$", "phonetic"),
        (r"^dameraulevenshtein distance <= 1$", "dl1"),
        (r"^abs date difference <= (\d+) (\w+)$", r"within_\1_\2"),
        (r"^all other comparisons$", "different"),
    ]:
        text = re.sub(pattern, repl, text)
    return re.sub(r"[^a-z0-9.]+", "_", text).strip("_")


def band_of(p):
    for threshold, name in BANDS:
        if p >= threshold:
            return name
    return "unlikely"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("synth", nargs="?", help="a `skiptrace synth` folder (records.csv, returned_mail.csv)")
    parser.add_argument("--records", help="records file (CSV)")
    parser.add_argument("--queries", help="queries / returned-mail file (CSV)")
    parser.add_argument("--out", required=True, help="output CSV in skiptrace's rematch format")
    parser.add_argument("--match-threshold", type=float, default=DEFAULT_MATCH_THRESHOLD)
    parser.add_argument("--review-threshold", type=float, default=DEFAULT_REVIEW_THRESHOLD)
    parser.add_argument("--max-pairs", type=float, default=1e7, help="u sampling pairs (docs: 1e7+)")
    parser.add_argument("--recall", type=float, default=0.6,
                        help="guessed recall of the deterministic rules for the prior")
    parser.add_argument("--names", choices=["name_comparison", "forename_surname"], default="name_comparison")
    parser.add_argument("--address-from", choices=["linked", "best"], default="linked",
                        help="new address from the most recent record Splink links to the query "
                             "(default), or from the best-scoring record only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, help="duckdb threads (default: all cores)")
    parser.add_argument("--analyse-blocking", action="store_true",
                        help="print comparisons per prediction blocking rule and stop")
    parser.add_argument("--debug-pairs", help="also write every scored pair (query row, record, probability, levels) here (CSV)")
    parser.add_argument("--save-model", help="also save the trained model JSON here")
    parser.add_argument("--model", help="use this saved model JSON (from --save-model) instead of training")
    args = parser.parse_args(argv)

    if args.synth:
        records_path = Path(args.synth) / "records.csv"
        queries_path = Path(args.synth) / "returned_mail.csv"
    elif args.records and args.queries:
        records_path, queries_path = Path(args.records), Path(args.queries)
    else:
        parser.error("give a synth folder or both --records and --queries")
    out_path = Path(args.out)

    started = time.perf_counter()
    phases = {}
    cpu_phases = {}  # process CPU seconds per phase (stderr only; the sidecar keeps wall times)

    # ---- load: read both files as strings and clean them --------------------------------
    t = time.perf_counter()
    raw_queries = read_table(queries_path)
    raw_records = read_table(records_path)
    record_cols = pick_columns(raw_records)
    record_ids = (
        raw_records[record_cols["record_id"]].tolist()
        if "record_id" in record_cols
        else [f"{records_path.name}:{i + 2}" for i in range(len(raw_records))]
    )
    queries = clean_frame(raw_queries, [f"q{i}" for i in range(len(raw_queries))])
    records = clean_frame(raw_records, record_ids)
    query_cols = pick_columns(raw_queries)
    query_address = [
        raw_queries[query_cols[f]].tolist() if f in query_cols else [""] * len(raw_queries)
        for f in ("address_line1", "address_line2", "city", "state", "zip")
    ]
    queries["own_address"] = [address_key(*parts) for parts in zip(*query_address)]
    phases["load"] = time.perf_counter() - t
    cpu_phases["load"] = time.process_time() - sum(cpu_phases.values())
    print(f"load: {len(records)} records, {len(queries)} queries in {phases['load']:.1f}s", file=sys.stderr)

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    db_api = DuckDBAPI(connection=con)
    model_cols = [c for c in queries.columns if c not in ("own_address",)]
    q_in = queries[model_cols]
    r_in = records[model_cols]

    if args.analyse_blocking:
        from splink.blocking_analysis import count_comparisons_from_blocking_rule

        total = 0
        for rule in prediction_blocking_rules():
            counts = count_comparisons_from_blocking_rule(
                table_or_tables=[q_in, r_in], blocking_rule=rule, link_type="link_only",
                db_api=db_api, compute_post_filter_count=True,
            )
            n = counts["number_of_comparisons_to_be_scored_post_filter_conditions"]
            total += n
            print(f"{counts['number_of_comparisons_generated_pre_filter_conditions']:>12} "
                  f"{n:>12}  {rule if isinstance(rule, str) else rule.get_blocking_rule('duckdb').blocking_rule_sql}")
        print(f"sum over rules (before removing pairs found by earlier rules): {total}")
        return 0

    # ---- train -------------------------------------------------------------------------
    t = time.perf_counter()
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        comparisons=comparisons(args.names),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,  # keeps gamma_* for the explanation column
    )
    if args.model:
        # A saved model carries its own settings (comparisons, blocking rules, parameters).
        settings = json.loads(Path(args.model).read_text(encoding="utf-8"))
    linker = Linker([q_in, r_in], settings, db_api=db_api, input_table_aliases=["queries", "records"])
    step = time.perf_counter()

    def lap(what):
        nonlocal step
        now = time.perf_counter()
        print(f"train: {what} in {now - step:.1f}s", file=sys.stderr)
        step = now

    if not args.model:
        linker.training.estimate_probability_two_random_records_match(DETERMINISTIC_RULES, recall=args.recall)
        lap("probability_two_random_records_match")
        linker.training.estimate_u_using_random_sampling(max_pairs=args.max_pairs, seed=args.seed)
        lap("u by random sampling")
        for rule in em_training_rules():
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
            lap(f"EM blocked on {rule if isinstance(rule, str) else rule.get_blocking_rule('duckdb').blocking_rule_sql}")
    phases["train"] = time.perf_counter() - t
    cpu_phases["train"] = time.process_time() - sum(cpu_phases.values())
    if args.save_model:
        linker.misc.save_model_to_json(args.save_model, overwrite=True)

    # ---- predict -----------------------------------------------------------------------
    t = time.perf_counter()
    predictions = linker.inference.predict()
    pred = predictions.physical_name
    comparisons_scored = con.execute(f"SELECT count(*) FROM {pred}").fetchone()[0]
    gamma_cols = [
        r[0] for r in con.execute(f"DESCRIBE {pred}").fetchall() if r[0].startswith("gamma_")
    ]
    # Orient every pair as (query, record): link_only pairs carry their source dataset names.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE qr AS
        SELECT
            CASE WHEN source_dataset_l = 'queries' THEN unique_id_l ELSE unique_id_r END AS qid,
            CASE WHEN source_dataset_l = 'queries' THEN unique_id_r ELSE unique_id_l END AS rid,
            match_probability, match_weight, {", ".join(gamma_cols)}
        FROM {pred}
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ranked AS
        SELECT *, row_number() OVER (PARTITION BY qid ORDER BY match_probability DESC, match_weight DESC, rid) AS rank
        FROM qr
    """)
    best = con.execute(f"SELECT qid, rid, match_probability, {', '.join(gamma_cols)} FROM ranked WHERE rank = 1").df()
    phases["predict"] = time.perf_counter() - t
    cpu_phases["predict"] = time.process_time() - sum(cpu_phases.values())
    print(f"predict: {comparisons_scored} comparisons scored in {phases['predict']:.1f}s", file=sys.stderr)

    # ---- write -------------------------------------------------------------------------
    t = time.perf_counter()
    # Comparison-level labels per gamma value, for the explanation column.
    labels = {}
    for comparison in linker._settings_obj.comparisons:
        labels[f"gamma_{comparison.output_column_name}"] = {
            level.comparison_vector_value: (None if level.is_null_level else short_label(level.label_for_charts))
            for level in comparison.comparison_levels
        }

    # Records linked to each query at its status threshold: the pool new contact points come from.
    linked = con.execute(
        """
        SELECT r.qid, r.rid, r.match_probability, r.rank
        FROM ranked r
        JOIN (SELECT qid, match_probability AS top FROM ranked WHERE rank = 1) b USING (qid)
        WHERE b.top >= ? AND r.match_probability >= CASE WHEN b.top >= ? THEN ? ELSE ? END
        """,
        [args.review_threshold, args.match_threshold, args.match_threshold, args.review_threshold],
    ).df()
    rec_cols = pick_columns(raw_records)
    rec_index = {rid: i for i, rid in enumerate(record_ids)}
    raw_col = lambda f: raw_records[rec_cols[f]].tolist() if f in rec_cols else [""] * len(raw_records)  # noqa: E731
    r_line1, r_line2, r_city, r_state, r_zip = (raw_col(f) for f in ("address_line1", "address_line2", "city", "state", "zip"))
    r_phone, r_email, r_seen = raw_col("phone"), raw_col("email"), raw_col("last_seen")

    pool = {}
    for qid, rid, p, rank in linked.itertuples(index=False):
        pool.setdefault(qid, []).append((rid, p, rank))
    best_by_q = {row.qid: row for row in best.itertuples(index=False)}

    def newest(qid, value_of, own):
        """(value, record row, probability) of the most recently seen linked record whose value
        is present and differs from the query's own; ties broken by probability."""
        options = []
        for rid, p, rank in pool.get(qid, []):
            i = rec_index[rid]
            value = value_of(i)
            if value and value != own:
                if args.address_from == "best" and rank != 1:
                    continue
                options.append((r_seen[i] or "", p, -rank, value, i))
        if not options:
            return None
        seen, p, _, value, i = max(options)
        return value, i, p

    q_phone = queries["phone"].tolist()
    q_email = queries["email"].tolist()
    q_own = queries["own_address"].tolist()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(raw_queries.columns) + OUTPUT_COLUMNS)
        for i, values in enumerate(raw_queries.itertuples(index=False, name=None)):
            qid = f"q{i}"
            top = best_by_q.get(qid)
            extra = {c: "" for c in OUTPUT_COLUMNS}
            if top is None:
                extra["match_status"] = "no_match"
            else:
                p = float(top.match_probability)
                status = (
                    "matched" if p >= args.match_threshold
                    else "review" if p >= args.review_threshold
                    else "no_match"
                )
                extra["match_status"] = status
                extra["match_score"] = f"{p:.4f}"
                extra["match_band"] = band_of(p)
                extra["explanation"] = ";".join(
                    f"{g[len('gamma_'):]}={labels[g][int(getattr(top, g))]}"
                    for g in gamma_cols
                    if labels[g].get(int(getattr(top, g)))
                )
                if status != "no_match":
                    extra["match_record_id"] = top.rid
                    address = newest(
                        qid,
                        lambda j: address_key(r_line1[j], r_line2[j], r_city[j], r_state[j], r_zip[j]),
                        q_own[i],
                    )
                    if address:
                        _, j, ap = address
                        extra.update(
                            new_address_line1=r_line1[j], new_address_line2=r_line2[j],
                            new_city=r_city[j], new_state=r_state[j], new_zip=r_zip[j],
                            new_address_last_seen=r_seen[j], new_address_confidence=f"{ap:.4f}",
                        )
                    phone = newest(qid, lambda j: clean_phone(r_phone[j]), q_phone[i])
                    if phone:
                        extra.update(new_phone=r_phone[phone[1]], new_phone_confidence=f"{phone[2]:.4f}")
                    email = newest(qid, lambda j: clean_email(r_email[j]), q_email[i])
                    if email:
                        extra.update(new_email=r_email[email[1]], new_email_confidence=f"{email[2]:.4f}")
            writer.writerow(list(values) + [extra[c] for c in OUTPUT_COLUMNS])

    if args.debug_pairs:
        con.execute(
            f"COPY (SELECT * FROM ranked ORDER BY qid, rank) TO '{args.debug_pairs}' (HEADER)"
        )
    phases["write"] = time.perf_counter() - t
    cpu_phases["write"] = time.process_time() - sum(cpu_phases.values())

    meta = {
        "system": f"splink {splink.__version__} (duckdb {duckdb.__version__})",
        "wall_seconds": round(time.perf_counter() - started, 3),
        "phases": {k: round(v, 3) for k, v in phases.items()},
        "records": len(records),
        "queries": len(queries),
        "comparisons_scored": int(comparisons_scored),
    }
    with open(f"{out_path}.meta.json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
        handle.write("\n")
    print(json.dumps(meta), file=sys.stderr)
    cpu = time.process_time()
    print(f"cpu: {cpu:.1f}s user+sys over all threads ({cpu / meta['wall_seconds']:.0%} of wall); "
          f"per phase: {', '.join(f'{k} {v:.1f}s' for k, v in cpu_phases.items())}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
