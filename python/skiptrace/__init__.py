"""The skiptrace engine in Python: search one debtor, re-match a batch of rows as Arrow.

    import skiptrace
    index = skiptrace.Index("index/")
    answer = index.search({"first_name": "Maria", "last_name": "Garcia", "dob": "1980-04-02"})
    rematched = index.rematch(pyarrow_batch)      # skiptrace rematch's columns, row for row

The index is opened read-only: any number of processes may open it while one `skiptrace
index` or `skiptrace serve` writes it (`reload()` picks up new commits). Matching runs in Rust
with the GIL released; the rows of a batch are matched in parallel on `threads` threads.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.compute as pc

from . import _engine

__all__ = ["Index", "OUTPUT_COLUMNS", "output_columns", "__version__"]

#: The columns `rematch` appends after the input's, in order (as `skiptrace rematch` writes).
OUTPUT_COLUMNS: Sequence[str] = tuple(_engine.OUTPUT_COLUMNS)


def output_columns(contacts: int = 0) -> list:
    """The columns `rematch` appends after the input's: OUTPUT_COLUMNS, then with `contacts`
    > 0 the ranked addresses' and phones' (address_1, address_1_status, ..., phone_1, ...)."""
    return list(_engine.output_columns(contacts))

__version__: str = _engine.VERSION


class Index:
    """A skiptrace index opened read-only, with the model that scores it."""

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        model: Optional[Union[str, "os.PathLike[str]"]] = None,
        threads: Optional[int] = None,
    ) -> None:
        """Opens the index in `path`.

        `model` is a model file from `skiptrace train` (default: the shipped model); `threads`
        is how many threads match a batch (default: one per core; a Spark task passes the
        cores it was given). Raises OSError when `path` holds no index.
        """
        self._engine = _engine.Index(str(path), None if model is None else str(model), threads)

    @property
    def num_records(self) -> int:
        """Records in the index, as of the last reload."""
        return self._engine.num_records

    @property
    def model_digest(self) -> str:
        """Digest of the model in use (audit lines carry it)."""
        return self._engine.model_digest

    @property
    def commit_id(self) -> str:
        """Id of the index commit searched (audit lines carry it)."""
        return self._engine.commit_id

    def reload(self) -> None:
        """Picks up the index's last commit and any outcomes recorded since it was opened."""
        self._engine.reload()

    def search(self, query: Mapping[str, Any], *, unmasked: bool = False) -> dict:
        """Searches one debtor.

        `query` holds the fields of `POST /v1/search` (first_name, last_name, dob, ssn,
        address_line1, city, state, zip, phone, email, limit...); the answer is that route's
        JSON as a dict. SSNs and DOBs are masked unless `unmasked`. Raises ValueError for a
        query the API would refuse (an unknown field, a query too thin to search).
        """
        return json.loads(self._engine.search_json(json.dumps(dict(query)), unmasked))

    def rematch(
        self,
        data: Union[pa.RecordBatch, pa.Table],
        *,
        map: Iterable[str] = (),
        unmasked: bool = False,
        contacts: int = 0,
        match_threshold: Optional[float] = None,
        review_threshold: Optional[float] = None,
        problem_column: Optional[str] = None,
    ) -> Union[pa.RecordBatch, pa.Table]:
        """Re-matches rows as `skiptrace rematch` does.

        Returns the input's columns (as strings) followed by OUTPUT_COLUMNS (and the ranked
        contact columns when `contacts` > 0), one row per input row, in order, with the values
        `skiptrace rematch` writes for the same rows. Columns are recognised by name as the CLI
        recognises them; `map` takes its `field=COLUMN` overrides. A column that is not a
        string is cast to one, and a null reads as an empty value. A non-empty value in
        `problem_column` marks its row unreadable (an `error` row, not searched); that column
        is not returned.
        """
        options = dict(map=list(map), unmasked=unmasked, contacts=contacts,
                       problem_column=problem_column)
        if match_threshold is not None:
            options["match_threshold"] = match_threshold
        if review_threshold is not None:
            options["review_threshold"] = review_threshold
        if isinstance(data, pa.Table):
            batches = data.to_batches() or [pa.RecordBatch.from_pylist([], schema=data.schema)]
            return pa.Table.from_batches(
                [self._engine.rematch(_as_strings(b), **options) for b in batches])
        return self._engine.rematch(_as_strings(data), **options)


def _as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with every column a string column (Parquet files carry numbers and dates)."""
    string_types = (pa.string(), pa.large_string(), pa.string_view())
    if all(field.type in string_types for field in batch.schema):
        return batch
    columns = [
        column if column.type in string_types else pc.cast(column, pa.string())
        for column in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
