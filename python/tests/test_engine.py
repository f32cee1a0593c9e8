"""The Python module against the CLI it wraps: same answers, same rows."""

from __future__ import annotations

import csv
import json
import threading
import time

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import skiptrace

from conftest import read_csv, run


def read_strings(path) -> pa.Table:
    """A CSV with every column a string and empty values empty (as the CLI reads it)."""
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False
        ),
    )


def test_opens_the_index_read_only(population):
    index = skiptrace.Index(population / "idx")
    records = sum(1 for _ in open(population / "records.csv")) - 1
    assert index.num_records == records
    assert len(index.commit_id) == 16 and len(index.model_digest) > 0
    index.reload()


def test_outcomes_recorded_by_the_cli_apply_after_reload(population, skiptrace_bin, tmp_path):
    """A do-not-call recorded while the module holds the index hides the phones after reload."""
    import shutil
    index_dir = tmp_path / "idx"
    shutil.copytree(population / "idx", index_dir)
    index = skiptrace.Index(index_dir)
    table = read_strings(population / "returned_mail.csv").combine_chunks()
    before = index.rematch(table).to_pylist()
    row = next(r for r in before if r["match_status"] == "matched" and r["best_phone"])
    (tmp_path / "outcomes.csv").write_text(
        "account_id,match_record_id,outcome,phone\n"
        f"{row['account_id']},{row['match_record_id']},do_not_call,{row['best_phone']}\n")
    run(skiptrace_bin, "outcomes", "--index", str(index_dir), str(tmp_path / "outcomes.csv"))
    position = before.index(row)
    assert index.rematch(table).to_pylist()[position]["best_phone"] == row["best_phone"]
    index.reload()
    assert index.rematch(table).to_pylist()[position]["best_phone"] == ""


def test_a_directory_without_an_index_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="no index here"):
        skiptrace.Index(tmp_path)


def test_search_answers_with_the_api_json_of_the_cli(population, skiptrace_bin):
    index = skiptrace.Index(population / "idx")
    debtor = read_csv(population / "returned_mail.csv")[1:4]
    for row in debtor:
        _, first, _, last, _, dob, ssn, line1, _, city, state, zip_code, phone = row[:13]
        query = {"first_name": first, "last_name": last, "dob": dob, "ssn": ssn,
                 "address_line1": line1, "city": city, "state": state, "zip": zip_code,
                 "phone": phone}
        answer = index.search(query)
        cli = json.loads(run(skiptrace_bin, "search", "--index", str(population / "idx"),
                             "--json", "--first", first, "--last", last, "--dob", dob,
                             "--ssn", ssn, "--address", line1, "--city", city, "--state",
                             state, "--zip", zip_code, "--phone", phone).stdout)
        for result in (answer, cli):
            result.pop("took_ms")
        assert answer == cli
        # Masked by default: the answer holds neither the full SSN nor the DOB.
        shown = json.dumps(answer)
        digits = "".join(c for c in ssn if c.isdigit())
        if len(digits) == 9:
            assert digits not in shown.replace("-", "")
        assert dob not in shown


def test_search_refuses_what_the_api_refuses(population):
    index = skiptrace.Index(population / "idx")
    with pytest.raises(ValueError, match="unknown field `first_nam`"):
        index.search({"first_nam": "Ann"})
    with pytest.raises(ValueError, match="limit"):
        index.search({"first_name": "Ann", "last_name": "Lee", "limit": 0})


@pytest.mark.parametrize("flags", [(), ("--unmasked", "--contacts", "2")])
def test_rematch_gives_the_rows_of_skiptrace_rematch(population, cli_rematch, flags):
    index = skiptrace.Index(population / "idx", threads=2)
    path = population / "returned_mail.csv"
    table = read_strings(path)
    unmasked = "--unmasked" in flags
    contacts = 2 if "--contacts" in flags else 0
    result = index.rematch(table.to_batches(max_chunksize=97)[0], unmasked=unmasked,
                           contacts=contacts)
    assert isinstance(result, pa.RecordBatch)
    whole = index.rematch(table.combine_chunks(), unmasked=unmasked, contacts=contacts)
    expected = cli_rematch(path, *flags)
    assert whole.column_names == expected[0]
    assert [list(r.values()) for r in whole.to_pylist()] == expected[1:]
    assert result.num_rows == 97
    assert [list(r.values()) for r in result.to_pylist()] == expected[1:98]


def test_rematch_reads_nulls_as_empty_and_casts_other_types(population):
    index = skiptrace.Index(population / "idx")
    strings = read_strings(population / "returned_mail.csv").slice(0, 40).combine_chunks()
    typed = strings.set_column(
        strings.schema.get_field_index("zip"), "zip",
        pa.array([int(z) if z.isdigit() else None for z in strings.column("zip").to_pylist()]),
    )
    with_nulls = strings.set_column(
        strings.schema.get_field_index("email"), "email",
        pa.array([None if e == "" else e for e in strings.column("email").to_pylist()]),
    )
    reference = index.rematch(strings).to_pylist()
    assert index.rematch(with_nulls).to_pylist() == reference
    # ZIP codes as integers lose their leading zeros, as they would in any tool.
    assert index.rematch(typed).num_rows == 40


def test_a_problem_column_makes_error_rows_and_is_not_returned(population):
    index = skiptrace.Index(population / "idx")
    batch = pa.RecordBatch.from_pydict({
        "account_id": ["A1", "A2"],
        "first_name": ["Ann", "Ann"],
        "last_name": ["Lee", "Lee"],
        "_bad": [None, "row has 2 columns, header has 3"],
    })
    rows = index.rematch(batch, problem_column="_bad").to_pylist()
    assert "_bad" not in rows[0]
    assert rows[0]["match_status"] != "error"
    assert (rows[1]["match_status"], rows[1]["error"]) == (
        "error", "row has 2 columns, header has 3")
    with pytest.raises(ValueError, match="no such column"):
        index.rematch(batch, problem_column="nope")


def test_rematch_refuses_bad_options(population):
    index = skiptrace.Index(population / "idx")
    batch = pa.RecordBatch.from_pydict({"first_name": ["Ann"], "last_name": ["Lee"]})
    with pytest.raises(ValueError, match="unknown field"):
        index.rematch(batch, map=["surname=last_name"])
    with pytest.raises(ValueError, match="no such column"):
        index.rematch(batch, map=["last_name=family"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        index.rematch(batch, match_threshold=2.0)
    with pytest.raises(ValueError, match="between 0 and 10"):
        index.rematch(batch, contacts=11)


def test_matching_releases_the_gil(population):
    """Another Python thread keeps running while a batch is matched."""
    index = skiptrace.Index(population / "idx", threads=1)
    table = read_strings(population / "returned_mail.csv").combine_chunks()
    big = pa.concat_batches([table.to_batches()[0]] * 8) if hasattr(pa, "concat_batches") \
        else pa.Table.from_batches(table.to_batches() * 8).combine_chunks().to_batches()[0]
    ticks = 0
    done = threading.Event()

    def match():
        index.rematch(big)
        done.set()

    worker = threading.Thread(target=match)
    started = time.monotonic()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    worker.join()
    seconds = time.monotonic() - started
    # Holding the GIL for the whole batch would leave this loop a handful of turns.
    assert ticks > 1000, f"{ticks} turns in {seconds:.2f}s"
