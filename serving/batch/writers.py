"""Write batch rows as JSONL, CSV or Parquet: chunk by chunk, each file atomically.

Every file goes through `framelens.data.outputs.atomic_file` (a temporary sibling
renamed into place), so a killed run leaves whole files or none, never a partial row.
Parquet gets one explicit schema for every part, so parts can be concatenated whatever
each chunk happened to hold (a kept column that is empty in one chunk is still a string
column there). CSV is written as `csv.DictWriter` writes it and JSONL as
`framelens.data.writers.write_rows` does, so batch files and single-article files match
byte for byte.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from framelens.data.outputs import atomic_file
from framelens.serving.results import row_columns

_INTEGERS = {"sentence_index", "line", "start", "end", "sentences"}
_TEXTS = {"doc_id", "text"}


def output_columns(labels: Mapping[str, Sequence[str]], line: bool,
                   keep: Sequence[str]) -> list[str]:
    """`serving.results.row_columns`, with `line` after `sentence_index` for line input,
    then the kept columns."""
    columns = row_columns(labels)
    if line:
        columns.insert(columns.index("sentence_index") + 1, "line")
    return columns + list(keep)


def arrow_schema(columns: Sequence[str], labels: Mapping[str, Sequence[str]],
                 kept_types: Mapping[str, Any] | None = None):
    """Arrow types by column name: sentence rows, summary rows and kept columns."""
    import pyarrow as pa

    kept_types = kept_types or {}
    label_columns = {t for t in labels} | {f"{t}_dominant" for t in labels}
    fields = []
    for name in columns:
        if name in kept_types:
            kind = kept_types[name]
        elif name in _INTEGERS:
            kind = pa.int64()
        elif name in _TEXTS or name in label_columns:
            kind = pa.string()
        elif any(name.startswith(f"{t}_") for t in labels):
            kind = pa.float64()  # confidences, probabilities, shares
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class RowWriter:
    """Rows appended to one file in `fmt`; the file appears, whole, when the block ends."""

    def __init__(self, fh: Any, fmt: str, columns: Sequence[str], schema: Any = None,
                 header: bool = True):
        self.fmt, self.columns, self.schema = fmt, list(columns), schema
        self.fh = fh
        self._parquet = None
        self._csv = None
        if fmt == "parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(fh, schema)
        elif fmt == "csv":
            self._csv = csv.DictWriter(fh, fieldnames=self.columns)
            if header:
                self._csv.writeheader()

    def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if self.fmt == "jsonl":
            for row in rows:
                record = {c: row.get(c) for c in self.columns}
                self.fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        elif self._csv is not None:
            self._csv.writerows({c: row.get(c) for c in self.columns} for row in rows)
        elif rows:
            self._parquet.write_table(self._table(rows))

    def _table(self, rows: Sequence[Mapping[str, Any]]):
        import pyarrow as pa

        data = {}
        for f in self.schema:
            values = [row.get(f.name) for row in rows]
            data[f.name] = [_as_text(v) for v in values] if pa.types.is_string(f.type) else values
        return pa.Table.from_pydict(data, schema=self.schema)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


@contextlib.contextmanager
def row_file(path: Path, fmt: str, columns: Sequence[str], schema: Any = None,
             header: bool = True) -> Iterator[RowWriter]:
    """A `RowWriter` on an atomic file: on an exception the target is left as it was."""
    with atomic_file(path, "wb" if fmt == "parquet" else "w") as fh:
        writer = RowWriter(fh, fmt, columns, schema, header)
        yield writer
        writer.close()


def write_part(path: Path, fmt: str, rows: Sequence[Mapping[str, Any]],
               columns: Sequence[str], schema: Any = None) -> None:
    """One chunk's rows (CSV parts have no header: the final file gets one)."""
    with row_file(path, fmt, columns, schema, header=False) as writer:
        writer.write(rows)


def concat_parts(parts: Sequence[Path], target: Path, fmt: str, columns: Sequence[str],
                 schema: Any = None) -> None:
    """The final file from the committed parts, in order, one part in memory at a time."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with atomic_file(target, "wb") as fh:
            writer = pq.ParquetWriter(fh, schema)
            for part in parts:
                writer.write_table(pq.read_table(part, schema=schema))
            writer.close()
        return
    with atomic_file(target, "wb") as fh:
        if fmt == "csv":
            header = io.StringIO()
            csv.writer(header).writerow(columns)
            fh.write(header.getvalue().encode("utf-8"))
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, fh, 1 << 20)
