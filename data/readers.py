"""Read labelled tables (CSV, TSV, JSONL, Parquet) into `datasets.Dataset`.

Reading is two steps: a cheap pre-scan that catches what `datasets` would
report badly (undecodable bytes, broken JSON lines) with exact line numbers,
then `datasets.load_dataset` for the actual load.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import datasets
from framelens.data.errors import DataError, DataIssue

# Suffix -> (datasets builder name, builder kwargs).
_FORMATS: dict[str, tuple[str, dict]] = {
    # keep_default_na/na_filter off: an empty cell stays "" (reported as empty
    # text) instead of turning into NaN; skip_blank_lines off keeps row numbers
    # aligned with file lines and never drops a row silently.
    ".csv": ("csv", {"keep_default_na": False, "na_filter": False, "skip_blank_lines": False}),
    ".tsv": (
        "csv",
        {
            "delimiter": "\t",
            "keep_default_na": False,
            "na_filter": False,
            "skip_blank_lines": False,
        },
    ),
    ".jsonl": ("json", {}),
    ".json": ("json", {}),
    ".parquet": ("parquet", {}),
}

SUPPORTED_SUFFIXES = tuple(_FORMATS)


@dataclass
class Table:
    """A loaded table plus the file line number of each row (for error messages)."""

    path: Path
    dataset: datasets.Dataset
    row_numbers: list[int]

    def row_number(self, index: int) -> int:
        return self.row_numbers[index]


def check_utf8(path: Path) -> None:
    """Fail with the line number of the first undecodable byte."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                raise DataError.single(
                    path,
                    lineno,
                    "(encoding)",
                    f"invalid UTF-8 byte 0x{bad} at column {exc.start + 1}; "
                    "re-save the file as UTF-8",
                ) from None


def _scan_jsonl(path: Path) -> list[int]:
    """Validate each JSON line; return the line number of each record."""
    rows: list[int] = []
    issues: list[DataIssue] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue  # blank lines carry no record (trailing newlines are common)
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                issues.append(DataIssue(str(path), lineno, "(json)", f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(obj, dict):
                issues.append(DataIssue(str(path), lineno, "(json)", "each line must be an object"))
                continue
            rows.append(lineno)
    if issues:
        raise DataError(issues)
    return rows


def _format_of(path: Path) -> tuple[str, dict]:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise DataError.single(
            path,
            None,
            "(format)",
            f"unsupported file type {suffix or '(none)'}; use one of "
            + ", ".join(SUPPORTED_SUFFIXES),
        )
    return _FORMATS[suffix]


def read_table(path: str | Path) -> Table:
    """Load a CSV/TSV/JSONL/Parquet file with `datasets`, with file:row error reporting."""
    path = Path(path)
    if not path.is_file():
        raise DataError.single(path, None, "(file)", "no such file")
    builder, kwargs = _format_of(path)
    if builder != "parquet":
        check_utf8(path)
    jsonl_rows = _scan_jsonl(path) if builder == "json" else None

    # datasets logs cache chatter at WARNING on every load; users don't need it.
    datasets.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    try:
        ds = datasets.load_dataset(builder, data_files=str(path), split="train", **kwargs)
    except Exception as exc:  # datasets wraps parser errors in many types
        raise DataError.single(
            path, None, "(file)", f"could not be read: {_root_cause(exc)}"
        ) from None
    finally:
        datasets.enable_progress_bars()
    logging.getLogger("datasets").setLevel(logging.WARNING)

    if jsonl_rows is not None:
        rows = jsonl_rows
    elif builder == "csv":
        rows = [i + 2 for i in range(len(ds))]  # line 1 is the header
    else:
        rows = [i + 1 for i in range(len(ds))]
    return Table(path=path, dataset=ds, row_numbers=rows)


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
