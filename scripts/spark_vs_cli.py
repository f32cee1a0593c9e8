"""The Spark job in local mode against `skiptrace rematch` on the same file and index, and the
cost of the Arrow hand-off between Python and the engine.

    target/python-env/bin/python scripts/spark_vs_cli.py SYNTH_DIR INDEX_DIR [--rows 100000]
        [--runs 3] [--master local[2]]

The file is SYNTH_DIR/returned_mail.csv repeated under fresh account ids up to --rows rows
(scripts/repeat_rows.py). Each run times, back to back:
  - cli:    `skiptrace rematch` (wall clock, both cores);
  - module: the Python module re-matching the file as Arrow batches of 10,000 rows (Spark's
            batch size), in one process, on both cores;
  - handoff: the same batches with every row marked unreadable, so nothing is searched: what
            is left is the hand-off alone (Arrow in, rows built, Arrow out);
  - spark:  `python -m skiptrace_spark rematch --master MASTER` (wall clock with the JVM's
            start, and the job's own seconds from reading to the last part written), with one
            matching thread per task (spark.task.cpus, the default) and with two
            (spark_job_2_threads: each task's Python worker waits on the JVM for its batches,
            so a second thread keeps the cores busy meanwhile).
Then checks the Spark output equals the CLI's row for row, and prints medians.
Needs the package installed (scripts/test.sh builds it into target/python-env) and Java 17.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.csv as pacsv

import skiptrace

REPO = pathlib.Path(__file__).resolve().parents[1]
BATCH_ROWS = 10_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("synth")
    parser.add_argument("index")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--bin", default=os.environ.get("SKIPTRACE_BIN",
                                                         str(REPO / "target/release/skiptrace")))
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="spark-vs-cli-"))
    file = work / "file.csv"
    subprocess.run([sys.executable, str(REPO / "scripts/repeat_rows.py"),
                    f"{args.synth}/returned_mail.csv", str(args.rows), str(file)], check=True)
    table = read_strings(file)
    batches = table.to_batches(max_chunksize=BATCH_ROWS)
    flagged = [b.append_column("_problem", pa.array(["x"] * b.num_rows)) for b in batches]
    index = skiptrace.Index(args.index)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "RUST_LOG": "warn"}

    figures = {name: [] for name in
               ("cli", "module", "handoff", "spark_wall", "spark_job", "spark_job_2_threads")}
    for run in range(args.runs):
        started = time.monotonic()
        subprocess.run([args.bin, "-q", "rematch", "--index", args.index, "--out",
                        str(work / "cli.csv"), str(file)], check=True, env=env)
        figures["cli"].append(time.monotonic() - started)

        started = time.monotonic()
        for batch in batches:
            index.rematch(batch)
        figures["module"].append(time.monotonic() - started)

        started = time.monotonic()
        for batch in flagged:
            index.rematch(batch, problem_column="_problem")
        figures["handoff"].append(time.monotonic() - started)

        out = work / "spark"
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "skiptrace_spark", "rematch", "--master",
                               args.master, "--index", args.index, "--input", str(file),
                               "--output", str(out), "--json"],
                              check=True, env=env, capture_output=True, text=True)
        figures["spark_wall"].append(time.monotonic() - started)
        figures["spark_job"].append(json.loads(done.stdout)["seconds"])
        same = spark_rows(out) == cli_rows(work / "cli.csv")
        done = subprocess.run([sys.executable, "-m", "skiptrace_spark", "rematch", "--master",
                               args.master, "--index", args.index, "--input", str(file),
                               "--output", str(work / "spark2"), "--json",
                               "--threads-per-task", "2"],
                              check=True, env=env, capture_output=True, text=True)
        figures["spark_job_2_threads"].append(json.loads(done.stdout)["seconds"])
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in figures.items()),
              file=sys.stderr)

    same = same and spark_rows(work / "spark2") == cli_rows(work / "cli.csv")
    rows = args.rows
    report = {
        "rows": rows,
        "index_records": index.num_records,
        "master": args.master,
        "runs": args.runs,
        "spark_output_equals_cli": same,
    }
    for name, seconds in figures.items():
        report[name] = {
            "median_seconds": round(statistics.median(seconds), 2),
            "seconds": [round(s, 2) for s in seconds],
            "median_rows_per_second": round(rows / statistics.median(seconds)),
        }
    report["handoff_share_of_module"] = round(
        statistics.median(figures["handoff"]) / statistics.median(figures["module"]), 4)
    report["handoff_microseconds_per_row"] = round(
        statistics.median(figures["handoff"]) / rows * 1e6, 2)
    print(json.dumps(report, indent=2))
    return 0 if same else 1


def read_strings(path) -> pa.Table:
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header}, strings_can_be_null=False))


def cli_rows(path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def spark_rows(directory) -> list:
    rows = []
    for part in sorted(glob.glob(str(directory / "part-*.csv"))):
        with open(part, newline="", encoding="utf-8") as f:
            rows += list(csv.reader(f))[1:]
    rows.sort(key=lambda r: int(r[0]))
    return [r[1:] for r in rows]


if __name__ == "__main__":
    sys.exit(main())
