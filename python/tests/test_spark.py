"""The Spark job in local mode against `skiptrace rematch` on the same file."""

from __future__ import annotations

import csv
import glob
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import read_csv

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import SparkSession  # noqa: E402

import skiptrace_spark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Two threads, and a task may fail once (local mode retries only when told: [2,2]).
    session = (
        SparkSession.builder.master("local[2,2]")
        .appName("skiptrace-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        # Small splits, so a few hundred rows still span several partitions and tasks.
        .config("spark.sql.files.maxPartitionBytes", "16384")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def rows_by_number(df) -> list:
    """The job's rows in input order, without row_number, after checking the numbering."""
    rows = [list(r) for r in df.collect()]
    numbers = sorted(r[0] for r in rows)
    assert numbers == list(range(1, len(rows) + 1)), "every row exactly once, numbered 1..N"
    rows.sort(key=lambda r: r[0])
    return [[str(v) for v in r[1:]] for r in rows]


def test_the_job_equals_the_cli_row_for_row(spark, population, cli_rematch):
    path = population / "returned_mail.csv"
    df = skiptrace_spark.read_input(spark, str(path))
    assert df.rdd.getNumPartitions() > 1
    result = skiptrace_spark.rematch_dataframe(df, str(population / "idx"))
    expected = cli_rematch(path)
    assert result.columns == ["row_number"] + expected[0]
    assert rows_by_number(result) == expected[1:]


def test_malformed_rows_are_error_rows_as_in_the_cli(spark, population, cli_rematch, tmp_path):
    lines = (population / "returned_mail.csv").read_text(encoding="utf-8").splitlines()
    lines[5] = ",".join(lines[5].split(",")[:4])            # too few fields
    lines[9] = lines[9] + ",EXTRA,FIELDS"                    # too many
    lines[12] = lines[12].replace(",", ";", 1)              # one field lost to a typo
    path = tmp_path / "malformed.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = skiptrace_spark.rematch_dataframe(
        skiptrace_spark.read_input(spark, str(path)), str(population / "idx"))
    expected = cli_rematch(path)
    got = rows_by_number(result)
    assert len(got) == len(lines) - 1
    status = expected[0].index("match_status")
    assert [r[status] for r in got].count("error") == 3
    assert got == expected[1:]


def test_parquet_input_gives_the_same_rows(spark, population, tmp_path):
    path = population / "returned_mail.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        columns = list(zip(*reader))
    parquet = tmp_path / "returned.parquet"
    pq.write_table(pa.table({h: list(c) for h, c in zip(header, columns)}), parquet)
    from_csv = skiptrace_spark.rematch_dataframe(
        skiptrace_spark.read_input(spark, str(path)), str(population / "idx"))
    from_parquet = skiptrace_spark.rematch_dataframe(
        skiptrace_spark.read_input(spark, str(parquet)), str(population / "idx"))
    assert rows_by_number(from_parquet) == rows_by_number(from_csv)


def test_a_row_number_the_input_carries_is_kept(spark, population, cli_rematch, tmp_path):
    """A file numbered by the caller, its rows stored in another order: the numbers decide."""
    path = population / "returned_mail.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    numbered = list(zip(range(1, len(rows) + 1), rows))[::-1]
    table = pa.table({"row_number": pa.array([n for n, _ in numbered], pa.int64()),
                      **{h: [r[i] for _, r in numbered] for i, h in enumerate(header)}})
    parquet = tmp_path / "numbered.parquet"
    pq.write_table(table, parquet)
    result = skiptrace_spark.rematch_dataframe(
        skiptrace_spark.read_input(spark, str(parquet)), str(population / "idx"))
    assert rows_by_number(result) == cli_rematch(path)[1:]


def test_a_failed_task_reruns_without_duplicating_rows(spark, population, tmp_path):
    path = population / "returned_mail.csv"
    expected = rows_by_number(skiptrace_spark.rematch_dataframe(
        skiptrace_spark.read_input(spark, str(path)), str(population / "idx")))
    result = skiptrace_spark.rematch_dataframe(
        skiptrace_spark.read_input(spark, str(path)), str(population / "idx"),
        _fail_first_attempt=True)
    out = tmp_path / "out"
    skiptrace_spark.write_output(result, str(out), format="parquet")
    written = spark.read.parquet(str(out))
    assert rows_by_number(written) == expected


def test_a_shipped_index_gives_the_same_rows(spark, population):
    path = population / "returned_mail.csv"
    df = skiptrace_spark.read_input(spark, str(path))
    shared = skiptrace_spark.rematch_dataframe(df, str(population / "idx"))
    shipped = skiptrace_spark.rematch_dataframe(df, str(population / "idx"), ship_index=True)
    assert rows_by_number(shipped) == rows_by_number(shared)


def test_the_command_writes_every_row_once(population, cli_rematch, tmp_path):
    """`python -m skiptrace_spark rematch` end to end, in its own Spark (local[2])."""
    path = population / "returned_mail.csv"
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "skiptrace_spark", "rematch", "--master", "local[2]",
         "--index", str(population / "idx"), "--input", str(path), "--output", str(out),
         "--json"],
        capture_output=True, text=True, env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected = cli_rematch(path)
    rows = []
    for part in sorted(glob.glob(str(out / "part-*.csv"))):
        part_rows = read_csv(part)
        assert part_rows[0] == ["row_number"] + expected[0]
        rows += part_rows[1:]
    rows.sort(key=lambda r: int(r[0]))
    assert [int(r[0]) for r in rows] == list(range(1, len(expected)))
    assert [r[1:] for r in rows] == expected[1:]
    assert f'"rows_out": {len(expected) - 1}' in done.stdout
