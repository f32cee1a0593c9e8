"""`python -m skiptrace_spark rematch`: re-matches a returned-mail file on Spark.

    python -m skiptrace_spark rematch --index /shared/index --input returned.csv --output out/

Writes OUT as a directory of CSV (or Parquet) parts holding every input row once, with
row_number (input order) first, then the input's columns and `skiptrace rematch`'s. Prints the
counts by match status and the rows per second. Under spark-submit the master comes from
spark-submit; run directly, --master (default local[*]) picks it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from pyspark.sql import SparkSession

from . import read_input, rematch_dataframe, write_output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skiptrace_spark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rematch = commands.add_parser("rematch", help="re-match a returned-mail file")
    rematch.add_argument("--index", required=True, help="index directory every executor can read")
    rematch.add_argument("--input", required=True, help="CSV with a header, or Parquet")
    rematch.add_argument("--output", required=True, help="output directory (replaced)")
    rematch.add_argument("--input-format", choices=["csv", "parquet"],
                         help="default: from the file name")
    rematch.add_argument("--format", choices=["csv", "parquet"], default="csv",
                         help="output format (default csv)")
    rematch.add_argument("--model", help="model file (default: the shipped model)")
    rematch.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                         help="explicit column mapping, as skiptrace rematch --map")
    rematch.add_argument("--unmasked", action="store_true",
                         help="explain SSN and DOB agreement level by level")
    rematch.add_argument("--contacts", type=int, default=0, metavar="N",
                         help="append the top N addresses and phones of each matched row")
    rematch.add_argument("--ship-index", action="store_true",
                         help="copy the index from the driver to each executor")
    rematch.add_argument("--threads-per-task", type=int,
                         help="matching threads per task (default spark.task.cpus)")
    rematch.add_argument("--partitions", type=int,
                         help="repartition the input first (default: as read)")
    rematch.add_argument("--master", default=None, help="Spark master when not under spark-submit")
    rematch.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)

    builder = SparkSession.builder.appName("skiptrace-rematch")
    if args.master and args.master.startswith("local"):
        # Local workers run this interpreter, which has skiptrace installed; on a cluster the
        # executors' Python is the cluster's setting.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    started = time.monotonic()
    df = read_input(spark, args.input, format=args.input_format)
    if args.partitions:
        from . import number_rows
        df = number_rows(df).repartition(args.partitions)
    result = rematch_dataframe(df, args.index, model=args.model, map=args.map,
                               unmasked=args.unmasked, contacts=args.contacts,
                               ship_index=args.ship_index,
                               threads_per_task=args.threads_per_task)
    write_output(result, args.output, format=args.format)
    seconds = time.monotonic() - started
    written = spark.read.parquet(args.output) if args.format == "parquet" else \
        spark.read.option("header", True).csv(args.output)
    counts = {r["match_status"]: r["count"] for r in written.groupBy("match_status").count().collect()}
    rows = sum(counts.values())
    summary = {"rows_out": rows, "by_status": counts, "seconds": round(seconds, 3),
               "rows_per_second": round(rows / seconds, 1) if seconds else None}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
              f"; {rows} rows in {seconds:.1f}s ({summary['rows_per_second']} rows/s) -> {args.output}",
              file=sys.stderr)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
