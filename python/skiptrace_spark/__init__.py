"""Bulk re-matching on Spark: `skiptrace rematch` as a `mapInArrow` job.

    python -m skiptrace_spark rematch --index /shared/index --input returned.csv --output out/

or, on a DataFrame you already have:

    from skiptrace_spark import rematch_dataframe, read_input
    result = rematch_dataframe(read_input(spark, "returned.csv"), index="/shared/index")

Each output row is one input row: `row_number` (1-based, input order) then the input's columns
and `skiptrace rematch`'s, with the same values the CLI writes for that row. Each Python worker
opens the index once (memory-mapped: the workers of one machine share its pages) from a path
every executor can read, or from a copy shipped with the job (`ship_index`). Row numbers are
fixed before matching, and matching a row depends on that row alone, so a task that fails and
re-runs writes the same rows again, and Spark's output commit keeps one copy.
"""

from __future__ import annotations

import csv
import os
from typing import Iterable, Iterator, Optional

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

__all__ = ["read_input", "number_rows", "rematch_dataframe", "write_output", "ROW_NUMBER", "PROBLEM"]

#: The column that numbers the input's rows from 1, in input order.
ROW_NUMBER = "row_number"

#: The column read_input adds to a CSV's rows: the raw line of a row Spark could not read as
#: the header says (another count of fields), else null.
PROBLEM = "_skiptrace_problem"

# Per Python worker process: the indexes it opened, by (path, model, threads).
_OPENED: dict = {}


def read_input(
    spark: SparkSession,
    path: str,
    *,
    format: Optional[str] = None,
    encoding: str = "UTF-8",
) -> DataFrame:
    """Reads a returned-mail file (CSV with a header, or Parquet) as a DataFrame of strings.

    `format` is "csv" or "parquet" (default: from the file name). A CSV's delimiter is the
    one of `,` tab `|` `;` its header holds most (as `skiptrace rematch` sniffs it), its
    `encoding` a Java charset name (windows-1252 for a file from Excel; the CLI detects it,
    Spark cannot). Every column is read as a string, and a row with fewer or more fields than
    the header gets its raw line in the PROBLEM column: it becomes an `error` row, as in
    `skiptrace rematch`, instead of being matched on values padded or cut to fit. Multi-line
    quoted values are not supported (each line is a row), which keeps the file splittable.
    """
    format = format or ("parquet" if path.rstrip("/").endswith(".parquet") else "csv")
    if format == "parquet":
        df = spark.read.parquet(path)
        return df.select([F.col(f"`{c}`").cast("string").alias(c) for c in df.columns])
    if format != "csv":
        raise ValueError(f"format {format!r}: csv or parquet")
    first = spark.read.option("encoding", encoding).text(path).first()
    if first is None:
        raise ValueError(f"{path}: the file is empty (no header)")
    sep = sniff_delimiter(first[0])
    header = next(csv.reader([first[0].lstrip("\ufeff")], delimiter=sep))
    schema = StructType([StructField(c, StringType()) for c in header + [PROBLEM]])
    return (
        spark.read.schema(schema)
        .option("header", True)
        .option("sep", sep)
        .option("encoding", encoding)
        .option("escape", '"')
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", PROBLEM)
        .csv(path)
    )


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the one of `,` tab `|` `;` it holds most (`,` on a tie),
    as `skiptrace rematch` decides."""
    return max([",", "\t", "|", ";"], key=header_line.count)


def number_rows(df: DataFrame) -> DataFrame:
    """Adds ROW_NUMBER: 1, 2, 3... in the DataFrame's order (partition by partition).

    Costs one pass that counts each partition's rows; the numbers are the same every time the
    input is read, so a re-run task numbers its rows as the first attempt did.
    """
    tagged = df.withColumn("_part", F.spark_partition_id()).withColumn(
        "_id", F.monotonically_increasing_id()
    )
    counts = dict(tagged.groupBy("_part").count().collect())
    offsets, total = {}, 0
    for part in sorted(counts):
        offsets[part] = total
        total += counts[part]
    if not offsets:
        return df.withColumn(ROW_NUMBER, F.lit(None).cast(LongType())).select(
            ROW_NUMBER, *[F.col(f"`{c}`") for c in df.columns])
    offset = F.create_map(*[x for part, start in offsets.items() for x in (F.lit(part), F.lit(start))])
    # monotonically_increasing_id is the partition id in the upper 31 bits, the row's position
    # in its partition in the lower 33.
    position = F.col("_id") - F.shiftleft(F.col("_part").cast("long"), 33)
    return tagged.select(
        (offset[F.col("_part")] + position + 1).cast(LongType()).alias(ROW_NUMBER),
        *[F.col(f"`{c}`") for c in df.columns],
    )


def rematch_dataframe(
    df: DataFrame,
    index: str,
    *,
    model: Optional[str] = None,
    map: Iterable[str] = (),
    unmasked: bool = False,
    contacts: int = 0,
    ship_index: bool = False,
    threads_per_task: Optional[int] = None,
    _fail_first_attempt: bool = False,
) -> DataFrame:
    """Re-matches every row of `df` against the index at `index`.

    Returns ROW_NUMBER, the input's columns and `skiptrace rematch`'s columns, all strings but
    ROW_NUMBER, one row per input row. `index` is a path every executor can read; with
    `ship_index` it is a driver-side directory that Spark copies to each executor instead.
    `threads_per_task` matching threads per task (default: spark.task.cpus). A PROBLEM column
    (read_input's) marks rows that could not be read.
    """
    spark = df.sparkSession
    if ship_index:
        spark.sparkContext.addFile(os.path.abspath(index), recursive=True)
        index_ref = ("shipped", os.path.basename(os.path.abspath(index)))
    else:
        index_ref = ("path", index)
    threads = threads_per_task or int(spark.conf.get("spark.task.cpus", "1"))
    if ROW_NUMBER in df.columns:
        # The caller's own numbering (say, a Parquet file written with it) is kept.
        numbered = df.withColumn(ROW_NUMBER, F.col(ROW_NUMBER).cast(LongType()))
    else:
        numbered = number_rows(df)
    inputs = [c for c in numbered.columns if c not in (ROW_NUMBER, PROBLEM)]
    problem_column = PROBLEM if PROBLEM in numbered.columns else None
    import skiptrace

    outputs = skiptrace.output_columns(contacts)
    schema = StructType(
        [StructField(ROW_NUMBER, LongType(), False)]
        + [StructField(c, StringType(), False) for c in inputs + outputs]
    )
    map_list, options = list(map), dict(unmasked=unmasked, contacts=contacts)

    def match_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        engine = _open(index_ref, model, threads)
        if _fail_first_attempt:
            from pyspark import TaskContext

            context = TaskContext.get()
            if context.partitionId() == 0 and context.attemptNumber() == 0:
                first = next(batches, None)
                if first is not None:
                    yield _match(engine, first, map_list, problem_column, options)
                raise RuntimeError("injected failure of the first attempt (test)")
        for batch in batches:
            yield _match(engine, batch, map_list, problem_column, options)

    return numbered.mapInArrow(match_partition, schema)


def _open(index_ref, model, threads):
    """The worker's index, opened on first use."""
    import skiptrace

    key = (index_ref, model, threads)
    if key not in _OPENED:
        kind, where = index_ref
        if kind == "shipped":
            from pyspark import SparkFiles

            where = SparkFiles.get(where)
        _OPENED[key] = skiptrace.Index(where, model=model, threads=threads)
    return _OPENED[key]


def _match(engine, batch: pa.RecordBatch, map_list, problem_column, options) -> pa.RecordBatch:
    """One Arrow batch through the engine, its row numbers carried across."""
    numbers = batch.column(ROW_NUMBER)
    rows = batch.drop_columns([ROW_NUMBER])
    if problem_column is not None:
        width = rows.num_columns - 1
        problems = [None if line is None else _count_problem(line, width)
                    for line in rows.column(problem_column).to_pylist()]
        at = rows.schema.get_field_index(problem_column)
        rows = rows.set_column(at, problem_column, pa.array(problems, pa.string()))
    matched = engine.rematch(rows, map=map_list, problem_column=problem_column, **options)
    return pa.RecordBatch.from_arrays(
        [numbers] + matched.columns, names=[ROW_NUMBER] + matched.schema.names
    )


def _count_problem(line: str, width: int) -> str:
    """`skiptrace rematch`'s reason for a row whose field count is not the header's."""
    fields = next(csv.reader([line], delimiter=sniff_delimiter(line)), [])
    return f"row has {len(fields)} columns, header has {width}"


def write_output(df: DataFrame, path: str, *, format: str = "csv") -> None:
    """Writes the result to the directory `path` (CSV with a header, or Parquet)."""
    writer = df.write.mode("overwrite")
    if format == "csv":
        writer.option("header", True).option("emptyValue", "").csv(path)
    elif format == "parquet":
        writer.parquet(path)
    else:
        raise ValueError(f"format {format!r}: csv or parquet")
