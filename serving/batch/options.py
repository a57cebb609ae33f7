"""What one batch run is asked to do: every option, its default and its check, in one place.

`framelens classify` builds a `BatchOptions` from its flags, and tests and scripts build
the same object, so a default lives here only. Values are checked when the object is
built, before any file is read or any model loads: `--chunk-size 0` fails in
milliseconds. This module imports only the standard library, so the CLI stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framelens.data.errors import ConfigError, OutputError

UNITS = ("document", "sentence")
ON_ERROR = ("fail", "skip")
OUTPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_BATCH_SIZE = 32


def output_format(path: Path) -> str:
    """'jsonl', 'csv' or 'parquet' from a file name, or an OutputError naming the choices."""
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise OutputError(f"{path}: unsupported output type {suffix or '(none)'}; use "
                          + ", ".join(OUTPUT_SUFFIXES))
    return suffix[1:]


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


@dataclass
class BatchOptions:
    """Inputs, output and knobs of one `framelens classify` run."""

    inputs: tuple[str, ...]
    model: str | Path | None = None
    out: Path | None = None
    # document: split each text into sentences (with offsets); sentence: each row or line
    # is one sentence.
    unit: str = "document"
    text_column: str = "text"
    # None: the row number names the document.
    id_column: str | None = None
    keep_columns: tuple[str, ...] = ()
    summary: Path | None = None
    resume: bool = False
    overwrite: bool = False
    # Sentences (plus rejected rows) per committed chunk: the unit of memory, of
    # de-duplication and of what an interruption can cost.
    chunk_size: int = DEFAULT_CHUNK_SIZE
    batch_size: int = DEFAULT_BATCH_SIZE
    on_error: str = "fail"
    progress: bool = False
    device: str | None = None
    # torch, onnx, or auto (ONNX int8 when an export passed its parity check).
    backend: str = "auto"

    def __post_init__(self) -> None:
        self.inputs = tuple(str(i) for i in self.inputs)
        if not self.inputs:
            raise ConfigError("no input given: pass files, folders, globs or - for stdin")
        if self.inputs.count("-") > 1:
            raise ConfigError("stdin (-) can be given only once")
        if self.unit not in UNITS:
            raise ConfigError(f"unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if self.on_error not in ON_ERROR:
            raise ConfigError(f"on-error must be one of {', '.join(ON_ERROR)}, got {self.on_error!r}")
        _whole("chunk size", self.chunk_size, 1, 10_000_000)
        _whole("batch size", self.batch_size, 1, 100_000)
        if not isinstance(self.text_column, str) or not self.text_column.strip():
            raise ConfigError("text column must be a column name")
        if self.id_column is not None and not str(self.id_column).strip():
            raise ConfigError("id column must be a column name")
        self.keep_columns = tuple(c.strip() for c in self.keep_columns if c.strip())
        if len(set(self.keep_columns)) != len(self.keep_columns):
            raise ConfigError(f"--keep-columns names a column twice: {', '.join(self.keep_columns)}")
        if self.text_column in self.keep_columns:
            raise ConfigError(f"the text column {self.text_column!r} is already in every row "
                              "(as text); remove it from --keep-columns")
        self.out = Path(self.out) if self.out is not None else None
        self.summary = Path(self.summary) if self.summary is not None else None
        if self.out is not None:
            output_format(self.out)
        if self.summary is not None:
            output_format(self.summary)
            if self.out is not None and self.summary.resolve() == self.out.resolve():
                raise ConfigError("--summary must be another file than --out")
        if self.out is None and (self.resume or self.summary is not None):
            raise ConfigError("--resume and --summary need --out FILE")
        if self.resume and self.overwrite:
            raise ConfigError("--resume continues a run and --overwrite starts again; pass one")
        if self.resume and "-" in self.inputs:
            raise ConfigError("--resume needs files: stdin (-) cannot be read a second time")

    def identity(self) -> dict[str, Any]:
        """The options a resumed run must share with the interrupted one (they decide what
        each chunk holds and what its rows say); batch size and on-error do not."""
        return {"unit": self.unit, "text_column": self.text_column, "id_column": self.id_column,
                "keep_columns": list(self.keep_columns), "chunk_size": self.chunk_size,
                "model": str(Path(self.model).resolve()) if self.model is not None else None}
