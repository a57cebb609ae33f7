"""Stream the rows of CSV, TSV, JSONL and Parquet files in bounded memory.

`framelens.data.readers` loads a whole labelled table through `datasets`; an archive to
classify can be far larger than memory, so these readers never hold more than one row
(CSV, TSV, JSONL) or one record batch (Parquet). CSV goes through Python's `csv` module
rather than pyarrow's streaming reader because it reports where each record starts, and a
quoted newline must not shift the line that a rejected row is reported at.

A problem with one row (empty text, a missing id, an undecodable byte, a ragged row, a
broken JSON line) is a `DataIssue` in the stream; the engine skips or fails on it. A
problem with the whole file (no such column, not a Parquet file, a JSON array instead of
JSON Lines) raises a `DataError` at once: no row of that file could be read right.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import Any

from framelens.data.errors import DataError, DataIssue
from framelens.serving.batch.inputs import Columns, Item, Record, Source
from framelens.serving.batch.lines import numbered_lines

# A news article can exceed the csv module's default field limit (128 KiB).
csv.field_size_limit(max(csv.field_size_limit(), 1 << 28))
PARQUET_BATCH_ROWS = 2048
_MISSING = object()
NO_ROWS = "no rows: the file is empty or holds only a header"


def iter_table(source: Source, columns: Columns, id_prefix: str = "") -> Iterator[Item]:
    readers: dict[str, Callable[[Source, Columns, str], Iterator[Item]]] = {
        ".csv": _csv, ".tsv": _csv, ".jsonl": _jsonl, ".parquet": _parquet}
    return readers[source.suffix](source, columns, id_prefix)


def _record(source: Source, row: int, number: int, get: Callable[[str], Any],
            columns: Columns, id_prefix: str) -> Item:
    """A record from one row, or the first thing wrong with it.

    `row` is where messages point (file line, or record number for Parquet); `number` is
    the 1-based data row, which names the document when there is no id column.
    """
    text = get(columns.text)
    if text is _MISSING or text is None:
        return DataIssue(source.name, row, columns.text, "missing value")
    if not isinstance(text, str):
        return DataIssue(source.name, row, columns.text, f"not text ({type(text).__name__})")
    if not text.strip():
        return DataIssue(source.name, row, columns.text, "empty text")
    if columns.id is None:
        doc_id = f"{id_prefix}{number}"
    else:
        value = get(columns.id)
        if value is _MISSING or value is None or (isinstance(value, str) and not value.strip()):
            return DataIssue(source.name, row, columns.id, "missing value")
        doc_id = str(value)
    kept = {}
    for name in columns.keep:
        value = get(name)
        kept[name] = None if value is _MISSING else value
    return Record(source.name, row, doc_id, text, kept)


def _require(source: Source, present: list[str], columns: Columns) -> None:
    wanted = [columns.text, *([columns.id] if columns.id else []), *columns.keep]
    missing = [c for c in wanted if c not in present]
    if missing:
        raise DataError.single(
            source.name, None, "(columns)",
            f"no column {', '.join(repr(c) for c in missing)} (columns: {', '.join(present)}); "
            "choose with --text-column / --id-column / --keep-columns")


# -- CSV / TSV ------------------------------------------------------------------------------
def _csv(source: Source, columns: Columns, id_prefix: str) -> Iterator[Item]:
    problems: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for number, line, problem in numbered_lines(source.path):
            if problem:
                problems[number] = problem
            yield line

    reader = csv.reader(lines(), delimiter="\t" if source.suffix == ".tsv" else ",")
    header: list[str] | None = None
    last, number = 0, 0
    try:
        for fields in reader:
            first, last = last + 1, reader.line_num
            bad = next((f"{problems[n]}" for n in range(first, last + 1) if n in problems), None)
            for n in range(first, last + 1):
                problems.pop(n, None)
            if not fields:
                continue  # a blank line holds no row
            if header is None:
                if bad:
                    raise DataError.single(source.name, first, "(encoding)", bad)
                header = fields
                _require(source, header, columns)
                continue
            number += 1
            if bad:
                yield DataIssue(source.name, first, "(encoding)", bad)
            elif len(fields) != len(header):
                yield DataIssue(source.name, first, "(row)",
                                f"has {len(fields)} fields; the header has {len(header)}")
            else:
                values = dict(zip(header, fields, strict=True))
                yield _record(source, first, number, lambda c, v=values: v.get(c, _MISSING),
                              columns, id_prefix)
    except csv.Error as exc:
        raise DataError.single(source.name, reader.line_num, "(csv)",
                               f"cannot be parsed: {exc}") from None
    if number == 0:
        yield DataIssue(source.name, None, "(file)", NO_ROWS)


# -- JSON Lines -----------------------------------------------------------------------------
def _jsonl(source: Source, columns: Columns, id_prefix: str) -> Iterator[Item]:
    number = 0
    for lineno, line, problem in numbered_lines(source.path):
        if problem:
            number += 1
            yield DataIssue(source.name, lineno, "(encoding)", problem)
            continue
        if not line.strip():
            continue  # blank lines carry no record
        if number == 0 and line.lstrip().startswith("["):
            raise DataError.single(source.name, lineno, "(json)",
                                   "the file holds a JSON array, not JSON Lines (one object per "
                                   "line); convert it, e.g. with: jq -c '.[]'")
        number += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield DataIssue(source.name, lineno, "(json)",
                            f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield DataIssue(source.name, lineno, "(json)", "each line must be a JSON object")
            continue
        if columns.text not in obj:
            yield DataIssue(source.name, lineno, columns.text,
                            f"no such field (fields: {', '.join(obj)}); choose with --text-column")
            continue
        yield _record(source, lineno, number, lambda c, o=obj: o.get(c, _MISSING), columns,
                      id_prefix)
    if number == 0:
        yield DataIssue(source.name, None, "(file)", NO_ROWS)


# -- Parquet --------------------------------------------------------------------------------
def parquet_file(source: Source):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(source.path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError.single(source.name, None, "(file)",
                               f"not a readable Parquet file ({exc})") from None


def parquet_types(source: Source, columns: Columns) -> dict[str, Any]:
    """The Arrow type of every column read, after checking they exist and that the text
    column holds text (a file-level problem: every row would fail)."""
    import pyarrow as pa

    schema = parquet_file(source).schema_arrow
    _require(source, list(schema.names), columns)
    text_type = schema.field(columns.text).type
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)
            or pa.types.is_string_view(text_type) or pa.types.is_null(text_type)):
        raise DataError.single(source.name, None, columns.text,
                               f"the column holds {text_type}, not text")
    return {name: schema.field(name).type for name in columns.keep}


def _parquet(source: Source, columns: Columns, id_prefix: str) -> Iterator[Item]:
    import pyarrow as pa

    parquet_types(source, columns)
    wanted = list(dict.fromkeys([columns.text, *([columns.id] if columns.id else []),
                                 *columns.keep]))
    number = 0
    try:
        for batch in parquet_file(source).iter_batches(batch_size=PARQUET_BATCH_ROWS,
                                                        columns=wanted):
            for values in batch.to_pylist():
                number += 1
                yield _record(source, number, number, lambda c, v=values: v.get(c, _MISSING),
                              columns, id_prefix)
    except (pa.ArrowException, OSError) as exc:
        raise DataError.single(source.name, number + 1, "(file)",
                               f"cannot be read past this record ({exc})") from None
    if number == 0:
        yield DataIssue(source.name, None, "(file)", NO_ROWS)


def kept_types(sources: list[Source], columns: Columns) -> dict[str, Any]:
    """Arrow types for the kept columns of a Parquet output: the input's own types when
    every input is Parquet and they agree; text otherwise (CSV and JSONL values are)."""
    import pyarrow as pa

    found: dict[str, set] = {name: set() for name in columns.keep}
    for source in sources:
        types = parquet_types(source, columns) if source.suffix == ".parquet" else {}
        for name in columns.keep:
            found[name].add(types.get(name, pa.string()))
    return {name: next(iter(t)) if len(t) == 1 else pa.string() for name, t in found.items()}
