"""Splink on a FEBRL set, configured as Splink's own FEBRL4 example documents it (duckdb
backend): name comparisons with term-frequency adjustment, a date-of-birth comparison,
Damerau-Levenshtein on `soc_sec_id` and `postcode`, exact `street_number`; the example's
blocking rules, deterministic rules at recall 0.8, u by random sampling, m by EM blocked on
date of birth and on postcode.

The records file is one side, the queries file the other (`link_only`). Each query's best pair
is written in skiptrace's rematch output format (`match_status`: matched at p >= 0.95, review at
p >= 0.5, else no_match; `match_score`; `match_record_id`), one row per query in input order, so
`skiptrace eval --score-output splink=OUT.csv` scores it with the code that scores skiptrace.

Usage: python benches/febrl/splink_febrl.py RECORDS.csv QUERIES.csv OUT.csv
(files as scripts/febrl_export.py writes them; the venv of benches/splink/requirements.txt)
"""

import csv
import sys
import time

import duckdb
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

MATCH_THRESHOLD = 0.95
REVIEW_THRESHOLD = 0.5


def read(path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["person_id"])
    return frame.replace({"": None})


def settings():
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=False,
    )


def main():
    records_path, queries_path, out_path = sys.argv[1:4]
    started = time.time()
    records, queries = read(records_path), read(queries_path)
    db_api = DuckDBAPI()
    linker = Linker([records, queries], settings(), db_api=db_api)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    pairs = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    # link_only: a pair's sides are the two files; keep the query's side on the right.
    query_ids = set(queries["rec_id"])
    best = {}
    for row in pairs.itertuples(index=False):
        left, right = row.rec_id_l, row.rec_id_r
        query, record = (right, left) if right in query_ids else (left, right)
        if query not in query_ids or record in query_ids:
            continue
        if query not in best or row.match_probability > best[query][0]:
            best[query] = (row.match_probability, record)
    with open(queries_path, newline="") as source, open(out_path, "w", newline="") as out:
        reader = csv.DictReader(source)
        writer = csv.writer(out)
        writer.writerow(reader.fieldnames + ["match_status", "match_score", "match_record_id"])
        for row in reader:
            probability, record = best.get(row["rec_id"], (None, ""))
            if probability is None:
                status, score, named = "no_match", "", ""
            elif probability >= MATCH_THRESHOLD:
                status, score, named = "matched", f"{probability:.4f}", record
            elif probability >= REVIEW_THRESHOLD:
                status, score, named = "review", f"{probability:.4f}", record
            else:
                status, score, named = "no_match", f"{probability:.4f}", ""
            writer.writerow([row[c] for c in reader.fieldnames] + [status, score, named])
    print(f"splink: {len(queries)} queries, {len(pairs)} pairs, {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
