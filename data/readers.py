"""Read labelled tables (CSV, TSV, JSONL, JSON, Parquet) into a `Table`.

framelens parses text formats itself instead of handing them to `datasets.load_dataset`:
the library reports a header-only CSV as 'Instruction "train" corresponds to no data!', a
ragged row twice without naming it, a JSON array in a .jsonl file as one error per line,
and counts the line of a CSV row wrongly when a quoted field holds a newline. Here every
problem becomes a `DataError` line `file:row: field: problem`, where `row` is the line
the record *starts* on, and nothing a library says reaches the user raw.

A `Table` keeps the values exactly as the file gave them (a JSON `0` stays the number 0),
so validation can say "unknown label 0" instead of a type clash; the `datasets.Dataset`
that training needs is built only when asked for.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import re
import stat
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
from framelens.data.errors import DataError, DataIssue

# Suffix -> format. .json takes an array of objects or one object per line.
_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}
SUPPORTED_SUFFIXES = tuple(_FORMATS)

UTF8_BOM = b"\xef\xbb\xbf"
# Only these end a line. str.splitlines() also splits on form feeds and U+2028, which may
# sit inside a field (and unescaped inside a JSON string), and would shift every line number.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")

# The first bytes of files people name .csv by mistake, and what they are.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "a Parquet file (rename it to .parquet)"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook? export it as CSV)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls/.doc; export it as CSV)"),
    (b"\x1f\x8b", "gzip-compressed (decompress it first)"),
    (b"BZh", "bzip2-compressed (decompress it first)"),
    (b"\xfd7zXZ", "xz-compressed (decompress it first)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "a program (ELF binary)"),
)


@dataclass
class Table:
    """A file's records as the file gave them, plus the line each record starts on.

    `columns` holds raw Python values per column (None where a JSON record lacks the key);
    `row_numbers[i]` is the 1-based line of record i (the CSV header is line 1), or the
    record number for Parquet.
    """

    path: Path
    columns: dict[str, list[Any]]
    row_numbers: list[int]
    _arrow: Any = field(default=None, repr=False)  # Parquet: the Arrow table as read
    _dataset: datasets.Dataset | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.row_numbers)

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def column(self, name: str) -> list[Any]:
        return self.columns[name]

    def row_number(self, index: int) -> int:
        return self.row_numbers[index]

    def records(self) -> Iterator[dict[str, Any]]:
        """Each record as a dict of raw values, in file order."""
        names = self.column_names
        for i in range(len(self)):
            yield {name: self.columns[name][i] for name in names}

    @property
    def dataset(self) -> datasets.Dataset:
        """The table as a `datasets.Dataset` (built once, on first use)."""
        if self._dataset is None:
            self._dataset = _to_dataset(self)
        return self._dataset


# -- the path ---------------------------------------------------------------------------------
def check_path(path: Path) -> None:
    """Name what is wrong with a path before reading it: missing, a directory, a dangling
    symlink, a symlink loop, unreadable. `Path.is_file()` answers False to all of them and
    the user would only see 'no such file'."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problem = "symbolic link loop (the link points back at itself); fix or remove the link"
        elif path.is_symlink():
            problem = f"broken symbolic link (it points to {_readlink(path)}, which does not exist)"
        elif exc.errno == errno.ENOENT:
            problem = "no such file"
        elif exc.errno == errno.EACCES:
            problem = "permission denied"
        elif exc.errno == errno.ENOTDIR:
            problem = "no such file (a folder in the path is a file)"
        else:
            problem = f"cannot be opened ({exc.strerror or exc})"
        raise DataError.single(path, None, "(file)", problem) from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError.single(path, None, "(file)",
                               "is a directory, not a file; pass a data file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise DataError.single(path, None, "(file)", "is not a regular file (a pipe or device?)")


def _readlink(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return "?"


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise DataError.single(
            path, None, "(format)",
            f"unsupported file type {suffix or '(none)'}; use one of " + ", ".join(SUPPORTED_SUFFIXES),
        )
    return _FORMATS[suffix]


# -- bytes to text ----------------------------------------------------------------------------
def _line_and_column(data: bytes, pos: int) -> tuple[int, int]:
    """1-based line and byte column of `pos`, counting \\r\\n, \\r and \\n as line ends."""
    breaks = list(_LINE_BREAK_BYTES.finditer(data, 0, pos))
    line_start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, pos - line_start + 1


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: ASCII text then has a NUL in every other byte."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    if odd > 0.6 * pairs and even < 0.1 * pairs:
        return "UTF-16 (little-endian)"
    if even > 0.6 * pairs and odd < 0.1 * pairs:
        return "UTF-16 (big-endian)"
    return None


def _looks_binary(head: bytes) -> bool:
    """More than a few control bytes or undecodable sequences: not text in any encoding
    we could name (a stray NUL or one Latin-1 byte in a text file is not that)."""
    if not head:
        return False
    control = sum(1 for b in head if (b < 0x20 and b not in (9, 10, 12, 13)) or b == 0x7F)
    decoded = head.decode("utf-8", errors="replace")
    invalid = decoded.count("\ufffd")
    return control > 0.05 * len(head) or invalid > 0.05 * max(len(decoded), 1)


def _magic_confirmed(magic: bytes, data: bytes) -> bool:
    """Rule out a text file that merely starts with the same letters ("PAR1,text" or
    "BZh..."): Parquet also ends with PAR1, bzip2 has a block-size digit after BZh."""
    if magic == b"PAR1":
        return data.endswith(b"PAR1")
    if magic == b"BZh":
        return data[3:4].isdigit()
    return True


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text of a data file, or a DataError that names the encoding problem: UTF-16 or
    UTF-32 (named, with the fix), a binary file, a NUL byte, or the line and column of the
    first invalid UTF-8 byte. A UTF-8 byte-order mark is dropped (Excel writes one); it
    would otherwise end up inside the first column's name or the first text."""
    for bom, name in (
        (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
        (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
        (b"\xff\xfe", "UTF-16 (little-endian)"),
        (b"\xfe\xff", "UTF-16 (big-endian)"),
    ):
        if data.startswith(bom):
            raise DataError.single(path, None, "(encoding)",
                                   f"the file is {name} encoded; re-save it as UTF-8")
    head = data[:4096]
    guess = _utf16_guess(head)
    if guess:
        raise DataError.single(path, None, "(encoding)",
                               f"the file looks {guess} encoded; re-save it as UTF-8")
    for magic, what in _MAGIC:
        if data.startswith(magic) and _magic_confirmed(magic, data):
            raise DataError.single(path, None, "(file)", f"is not text: it is {what}")
    data = data.removeprefix(UTF8_BOM)
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_and_column(data, nul)
        if _looks_binary(head):
            raise DataError.single(path, None, "(file)",
                                   f"is not text (binary data; a NUL byte on line {line}); check "
                                   "the file and its suffix")
        raise DataError.single(path, line, "(encoding)",
                               f"a NUL byte at column {col}; a text file holds none (remove it)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _looks_binary(head):
            raise DataError.single(path, None, "(file)",
                                   "is not text (binary data); check the file and its suffix") from None
        line, col = _line_and_column(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        raise DataError.single(
            path, line, "(encoding)",
            f"invalid UTF-8 byte 0x{bad} at column {col}; re-save the file as UTF-8",
        ) from None


def check_utf8(path: Path) -> None:
    """Fail with the line of the first undecodable byte (or the encoding, if not UTF-8)."""
    path = Path(path)
    check_path(path)
    decode_text(path, _read_bytes(path))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError.single(path, None, "(file)",
                               f"cannot be read ({exc.strerror or exc})") from None


# -- CSV / TSV --------------------------------------------------------------------------------
def _header_names(path: Path, header: list[str]) -> list[str]:
    names = [h.strip() or f"unnamed_{i + 1}" for i, h in enumerate(header)]
    dupes = [n for n, c in Counter(names).items() if c > 1]
    if dupes:
        raise DataError([DataIssue(str(path), 1, n, "the header names this column more than once")
                         for n in dupes])
    return names


def _csv_error(message: str) -> str:
    if "unexpected end of data" in message:
        return "a quote opened in this row is never closed"
    if "expected after" in message:
        return "text follows a closing quote; quote the whole field and double inner quotes (\"\")"
    return f"malformed CSV ({message})"


def _read_csv(path: Path, text: str, delimiter: str) -> Table:
    """Records of a CSV/TSV text; a record's row number is the line it starts on, so a
    quoted field holding newlines does not shift the numbers of the rows after it."""
    # A 1 MB sentence is data, not an attack on a parser: lift the 128 KiB field limit.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    name = "TSV" if delimiter == "\t" else "CSV"
    issues: list[DataIssue] = []
    records: list[list[str]] = []
    starts: list[int] = []
    header: list[str] | None = None
    last_line = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(DataIssue(str(path), start, "(row)", _csv_error(str(exc))))
            break
        last_line = reader.line_num
        if header is None:
            if not row or not any(cell.strip() for cell in row):
                raise DataError.single(path, start, "(header)",
                                       f"the first line must be the header naming the columns "
                                       f"of this {name} file")
            header = _header_names(path, row)
            continue
        records.append(row)
        starts.append(start)
    if header is None:
        raise DataError.single(path, None, "(file)", "the file is empty")
    # Blank lines at the end are formatting; a blank line between rows is a row (with empty
    # text), reported by validation rather than dropped.
    while records and not records[-1]:
        records.pop()
        starts.pop()
    width = len(header)
    columns: dict[str, list[Any]] = {h: [] for h in header}
    for row, line in zip(records, starts, strict=True):
        if row and len(row) != width:
            fewer = len(row) < width
            hint = ("a missing field or an unclosed quote?" if fewer else
                    f"an unquoted {'tab' if delimiter == chr(9) else 'comma'} inside a field? "
                    "quote the field")
            issues.append(DataIssue(
                str(path), line, "(row)",
                f"has {len(row)} field(s) but the header has {width} "
                f"({', '.join(header)}); {hint}",
            ))
            continue
        cells = row or [""] * width
        for h, cell in zip(header, cells, strict=True):
            columns[h].append(cell)
    if issues:
        raise DataError(issues)
    return Table(path, columns, starts)


# -- JSON Lines / JSON ------------------------------------------------------------------------
def _json_problem(exc: json.JSONDecodeError | RecursionError) -> tuple[int, str]:
    if isinstance(exc, RecursionError):
        return 1, "not valid JSON: nested too deeply"
    return exc.colno, f"not valid JSON at column {exc.colno}: {exc.msg}"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _from_records(path: Path, records: list[dict[str, Any]], rows: list[int]) -> Table:
    """Columns in order of first appearance; a key missing from a record reads as None."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    columns = {name: [r.get(name) for r in records] for name in names}
    return Table(path, columns, rows)


def _read_jsonl(path: Path, text: str) -> Table:
    """One JSON object per line; blank lines are skipped (trailing newlines are common)."""
    if text.lstrip().startswith("["):
        raise DataError.single(
            path, 1, "(json)",
            "the file holds one JSON array, not JSON Lines (one object per line); rename it "
            "to .json, or convert it with `jq -c '.[]' in.json > out.jsonl`",
        )
    issues: list[DataIssue] = []
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    for lineno, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            issues.append(DataIssue(str(path), lineno, "(json)", _json_problem(exc)[1]))
            continue
        if not isinstance(obj, dict):
            issues.append(DataIssue(str(path), lineno, "(json)",
                                    f"each line must be a JSON object, got {_kind(obj)}"))
            continue
        records.append(obj)
        rows.append(lineno)
    if issues:
        raise DataError(issues)
    return _from_records(path, records, rows)


def _read_json_array(path: Path, text: str) -> Table:
    """A JSON array of objects; each record's row is the line its object starts on."""
    decoder = json.JSONDecoder()
    issues: list[DataIssue] = []
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    pos = text.index("[") + 1
    ws = re.compile(r"[ \t\n\r]*")
    try:
        pos = ws.match(text, pos).end()
        if text.startswith("]", pos):
            pos += 1
        else:
            while True:
                obj, end = decoder.raw_decode(text, pos)
                line = len(_LINE_BREAK.findall(text, 0, pos)) + 1
                if isinstance(obj, dict):
                    records.append(obj)
                    rows.append(line)
                else:
                    issues.append(DataIssue(str(path), line, "(json)",
                                            f"each array item must be an object, got {_kind(obj)}"))
                pos = ws.match(text, end).end()
                if text.startswith(",", pos):
                    pos = ws.match(text, pos + 1).end()
                    continue
                if text.startswith("]", pos):
                    pos += 1
                    break
                raise json.JSONDecodeError("Expecting ',' or ']'", text, pos)
        if text[pos:].strip():
            raise json.JSONDecodeError("Extra data after the array", text, pos)
    except json.JSONDecodeError as exc:
        raise DataError.single(path, exc.lineno, "(json)", _json_problem(exc)[1]) from None
    except RecursionError:
        raise DataError.single(path, None, "(json)", "not valid JSON: nested too deeply") from None
    if issues:
        raise DataError(issues)
    return _from_records(path, records, rows)


def _read_json(path: Path, text: str) -> Table:
    """A .json file: an array of objects, or (as `datasets` accepts) one object per line."""
    if text.lstrip().startswith("["):
        return _read_json_array(path, text)
    try:
        whole = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return _read_jsonl(path, text)  # several lines: JSON Lines, checked line by line
    if isinstance(whole, dict) and len(_LINE_BREAK.split(text.strip())) > 1:
        raise DataError.single(
            path, 1, "(json)",
            "the file holds one JSON object; a data file is an array of objects, one per row, "
            "or JSON Lines (one object per line)",
        )
    return _read_jsonl(path, text)


# -- Parquet ----------------------------------------------------------------------------------
def _read_parquet(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PAR1":
        raise DataError.single(path, None, "(file)",
                               "is not a Parquet file (it does not start with PAR1); check the "
                               "file and its suffix")
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise DataError.single(path, None, "(file)",
                               f"is not a readable Parquet file (damaged or truncated: {first})"
                               ) from None
    columns: dict[str, list[Any]] = {}
    for name in arrow.column_names:
        try:
            columns[name] = arrow.column(name).to_pylist()
        except (pa.ArrowException, ValueError, OverflowError) as exc:
            raise DataError.single(path, None, name,
                                   f"column of type {arrow.schema.field(name).type} cannot be read "
                                   f"({type(exc).__name__})") from None
    return Table(path, columns, list(range(1, arrow.num_rows + 1)), _arrow=arrow)


# -- Dataset ----------------------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    """None or a float NaN (what pandas writes for an empty cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _to_dataset(table: Table) -> datasets.Dataset:
    """A `datasets.Dataset` of the table. A column that mixes scalars (a JSON `0` among
    label names) is stored as text; one that mixes scalars with lists or objects cannot
    be stored and is reported row by row."""
    if table._arrow is not None:
        try:
            return datasets.Dataset(table._arrow)
        except (TypeError, ValueError) as exc:
            raise DataError.single(table.path, None, "(file)",
                                   f"a column type is not supported ({type(exc).__name__})") from None
    columns: dict[str, list[Any]] = {}
    issues: list[DataIssue] = []
    for name, values in table.columns.items():
        kinds = Counter(_kind(v) for v in values if v is not None)
        if len(kinds) > 1:
            scalar = {"text", "a number", "true/false"}
            if set(kinds) <= scalar:
                values = [None if v is None else str(v) for v in values]
            else:
                common = kinds.most_common(1)[0][0]
                issues += [
                    DataIssue(str(table.path), table.row_number(i), name,
                              f"{_kind(v)} where the other rows have {common}")
                    for i, v in enumerate(values) if v is not None and _kind(v) != common
                ]
                continue
        columns[name] = values
    if issues:
        raise DataError(issues)
    try:
        return datasets.Dataset.from_dict(columns)
    except Exception as exc:  # pyarrow raises many types for values it cannot store
        raise DataError.single(table.path, None, "(file)",
                               f"the values cannot be stored as a table ({type(exc).__name__}); "
                               "check that each column holds one kind of value") from None


# -- entry point ------------------------------------------------------------------------------
def read_table(path: str | Path) -> Table:
    """Read a CSV/TSV/JSONL/JSON/Parquet file; every problem is a DataError naming
    file:row: field."""
    path = Path(path)
    check_path(path)
    fmt = _format_of(path)
    if fmt == "parquet":
        return _read_parquet(path)
    text = decode_text(path, _read_bytes(path))
    if not text.strip():
        raise DataError.single(path, None, "(file)", "the file is empty")
    if fmt in ("csv", "tsv"):
        return _read_csv(path, text, "\t" if fmt == "tsv" else ",")
    if fmt == "jsonl":
        return _read_jsonl(path, text)
    return _read_json(path, text)
