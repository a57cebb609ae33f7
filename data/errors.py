"""User-facing data errors: every problem names file, row and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Show at most this many problems in one message: enough to fix a batch of
# mistakes in one go, short enough to read.
MAX_SHOWN = 20


@dataclass(frozen=True)
class DataIssue:
    """One problem in one row of one file.

    `row` is the 1-based line number for CSV/TSV/JSONL (the CSV header is line
    1) and the 1-based record number for Parquet; None for file-level issues.
    """

    path: str
    row: int | None
    field: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.row}" if self.row is not None else self.path
        return f"{where}: {self.field}: {self.problem}"


class FramelensError(Exception):
    """A problem the user can act on: the CLI prints the message on one line and exits
    non-zero without a traceback. Anything else that escapes is a bug and keeps its trace."""


class ConfigError(FramelensError, ValueError):
    """A recipe or option is invalid (type, range, choice or unknown key)."""


class ModelError(FramelensError):
    """A model directory or base model cannot be used; the message says what to do."""


class EnvironmentProblem(FramelensError):
    """The machine cannot do what was asked (no GPU, no space, an optional extra missing)."""


class OutputError(FramelensError):
    """An output path cannot be written, or would replace something that is not ours."""


class DataError(FramelensError, ValueError):
    """Raised for bad user data; the message lists `file:row: field: problem` lines."""

    def __init__(self, issues: list[DataIssue] | DataIssue):
        self.issues = [issues] if isinstance(issues, DataIssue) else list(issues)
        shown = [str(i) for i in self.issues[:MAX_SHOWN]]
        more = len(self.issues) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problem(s)")
        super().__init__("\n".join(shown))

    @classmethod
    def single(cls, path: str | Path, row: int | None, field: str, problem: str) -> DataError:
        return cls(DataIssue(str(path), row, field, problem))
