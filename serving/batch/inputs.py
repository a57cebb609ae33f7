"""What users bring, turned into one stream of records: text files, folders, globs, tables
and stdin.

Every input becomes a `Source`; every source yields, in a fixed order, `Record`s (a text
to classify and where it came from) and `DataIssue`s (a row or document that cannot be
read, named `file:row: field: problem`). The engine counts both as input items, so a
resumed run can skip exactly the items an interrupted one committed. Folders and globs
are sorted, so the same input always gives the same stream.

A folder holds one article per `.txt` file, named by its path relative to the folder (or
to the fixed part of a glob); a text file given by name is named by its file name. Tables
are read by `framelens.serving.batch.tabular`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from framelens.data.errors import DataError, DataIssue
from framelens.serving.batch.lines import numbered_lines

TEXT_SUFFIXES = (".txt",)
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")
STDIN = "-"
EMPTY_TEXT_FILE = "no sentences found (the file is empty)"


@dataclass(frozen=True)
class Source:
    """One input file. `name` is what messages show; `label` names its documents."""

    name: str
    path: Path
    label: str
    kind: str  # "text" or "table"

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower() if self.kind == "table" else ".txt"


@dataclass(frozen=True)
class Record:
    """A text to classify: a whole document, or (unit sentence) one sentence.

    `start` is where `text` begins in its document and `index` its sentence number there
    (both only differ from 0 for the lines of a text file read one sentence per line).
    """

    source: str
    row: int | None
    doc_id: str
    text: str
    kept: dict[str, Any] = field(default_factory=dict)
    start: int = 0
    index: int = 0
    line: int | None = None


Item = Record | DataIssue


# -- finding the files ----------------------------------------------------------------------
def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


def _glob_root(pattern: str) -> Path:
    """The directory part of a glob before its first wildcard: names are relative to it."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _kind(path: Path, name: str) -> str:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in TABLE_SUFFIXES:
        return "table"
    raise DataError.single(name, None, "(format)",
                           f"unsupported file type {suffix or '(none)'}; use one of "
                           + ", ".join(TEXT_SUFFIXES + TABLE_SUFFIXES) + ", a folder or -")


def _folder_files(root: Path) -> list[Path]:
    """`.txt` files under `root`, sorted by relative path; hidden files and folders (ours
    included: temporary and work files start with a dot) are left out, links to folders
    are not followed (no loops)."""
    found = []
    for here, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and name.lower().endswith(TEXT_SUFFIXES):
                found.append(Path(here) / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _missing(given: str) -> DataError:
    path = Path(given)
    if path.is_symlink():
        return DataError.single(given, None, "(file)", "a broken link or a link loop")
    return DataError.single(given, None, "(file)", "no such file")


def discover(inputs: Sequence[str], stdin_copy: Path | None = None) -> list[Source]:
    """Sources for the command-line inputs, in order, each file once."""
    sources: list[Source] = []
    for given in inputs:
        if given == STDIN:
            if stdin_copy is None:
                raise DataError.single("<stdin>", None, "(file)", "stdin was not read")
            sources.append(Source("<stdin>", stdin_copy, "stdin", "text"))
            continue
        path = Path(given)
        if path.is_dir():
            files = _folder_files(path)
            if not files:
                raise DataError.single(given, None, "(file)", "the folder holds no .txt files")
            sources += [Source(str(f), f, f.relative_to(path).as_posix(), "text") for f in files]
        elif path.is_file():
            sources.append(Source(given, path, path.name, _kind(path, given)))
        elif _has_magic(given):
            root = _glob_root(given)
            matches = sorted(Path(m) for m in glob.glob(given, recursive=True) if Path(m).is_file())
            if not matches:
                raise DataError.single(given, None, "(file)", "no file matches this pattern")
            sources += [Source(str(m), m, os.path.relpath(m, root).replace(os.sep, "/"),
                               _kind(m, str(m))) for m in matches]
        else:
            raise _missing(given)
    seen: set[Path] = set()
    unique = []
    for source in sources:
        key = source.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return unique


@contextlib.contextmanager
def stdin_spooled(inputs: Sequence[str], stream: BinaryIO | None = None) -> Iterator[Path | None]:
    """Copy stdin to a temporary file (in blocks, bounded memory) when `-` is an input, so
    it can be checked first and classified second like any file; removed afterwards."""
    if STDIN not in inputs:
        yield None
        return
    stream = stream if stream is not None else sys.stdin.buffer
    with tempfile.TemporaryDirectory(prefix="framelens-stdin-") as tmp:
        copy = Path(tmp) / "stdin.txt"
        with copy.open("wb") as fh:
            shutil.copyfileobj(stream, fh, 1 << 20)
        yield copy


# -- reading text files ---------------------------------------------------------------------
def text_document(source: Source) -> Iterator[Item]:
    """A whole text file as one document (articles fit in memory; archives need not)."""
    parts, first_problem = [], None
    for number, line, problem in numbered_lines(source.path):
        if problem and first_problem is None:
            first_problem = DataIssue(source.name, number, "(encoding)", problem)
        parts.append(line)
    text = "".join(parts)
    if first_problem is not None:
        yield first_problem
    elif not text.strip():
        yield DataIssue(source.name, None, "(text)", EMPTY_TEXT_FILE)
    else:
        yield Record(source.name, None, source.label, text)


def text_lines(source: Source) -> Iterator[Item]:
    """One sentence per non-blank line, streamed; offsets and line numbers as
    `framelens.serving.lines.line_spans` gives them, so results join back to the file."""
    offset, index, any_line = 0, 0, False
    for number, line, problem in numbered_lines(source.path):
        body = line.rstrip("\r\n")
        if problem:
            any_line = True
            yield DataIssue(source.name, number, "(encoding)", problem)
        elif body.strip():
            any_line = True
            start = offset + len(body) - len(body.lstrip())
            yield Record(source.name, number, source.label, body.strip(), start=start,
                         index=index, line=number)
            index += 1
        offset += len(line)
    if not any_line:
        yield DataIssue(source.name, None, "(text)", EMPTY_TEXT_FILE)


# -- all inputs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Columns:
    """Which table columns hold the text, the document id and the carried values."""

    text: str = "text"
    id: str | None = None
    keep: tuple[str, ...] = ()


def iter_items(sources: Sequence[Source], unit: str, columns: Columns) -> Iterator[Item]:
    """Every record and every unreadable row of every source, in input order."""
    from framelens.serving.batch.tabular import iter_table

    tables = sum(s.kind == "table" for s in sources)
    for source in sources:
        if source.kind == "text":
            yield from (text_lines(source) if unit == "sentence" else text_document(source))
        else:
            # Row numbers name documents; with several tables, the file name keeps them apart.
            prefix = f"{source.label}:" if tables > 1 else ""
            yield from iter_table(source, columns, prefix)
