"""Where a batch run writes, checked before any prediction, and how it finishes.

An output that cannot be written is found in milliseconds (a probe file beside it), not
after an hour of classifying. An existing output is never replaced without `--overwrite`,
and an interrupted run's work folder is never silently thrown away. On completion the
parts become the final files, each in one atomic rename, the output last (its presence
means the run finished), and the work folder goes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framelens.data.errors import DataIssue, OutputError
from framelens.serving.batch import manifest as mf
from framelens.serving.batch.options import BatchOptions, output_format
from framelens.serving.batch.summary import DocTally, merged, summary_columns
from framelens.serving.batch.writers import arrow_schema, concat_parts, row_file, write_part

SUMMARY_ROWS_PER_WRITE = 1000


def rejects_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".rejects.jsonl")


@contextlib.contextmanager
def disk_errors(what: Path) -> Iterator[None]:
    """A full disk or a vanished folder is the user's to fix: one line, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{what}: cannot write ({exc.strerror or exc}); fix that and run "
                          "again with --resume") from None


def _probe(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".framelens-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write the output here "
                          f"({exc.strerror or exc.__class__.__name__})") from None


def check_output(options: BatchOptions) -> str:
    """Refuse what would destroy work or cannot be written; returns what to do:
    'fresh' (start), 'resume' (continue the work folder)."""
    out = options.out
    assert out is not None
    work = mf.work_dir_for(out)
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name ending in .jsonl, .csv or .parquet")
    for target in filter(None, (out, options.summary)):
        _probe(target.parent)
        mf.remove_stale_temporaries(target.parent, f".{target.name}")
    if options.resume:
        if work.is_dir():
            return "resume"
        if out.exists():
            raise OutputError(f"{out}: the run is already complete (nothing to resume); "
                              "pass --overwrite to classify again")
        return "fresh"
    if options.overwrite:
        return "fresh"
    if work.is_dir():
        raise OutputError(f"{out}: an interrupted run left its work in {work}; pass --resume "
                          "to continue it or --overwrite to start again")
    for target in filter(None, (out, options.summary)):
        if target.exists():
            raise OutputError(f"{target}: exists; pass --overwrite to replace it")
    return "fresh"


@dataclass
class Layout:
    """The final files of a run and the schema of their rows."""

    out: Path
    fmt: str
    columns: list[str]
    labels: dict[str, list[str]]
    schema: Any = None

    @property
    def work(self) -> Path:
        return mf.work_dir_for(self.out)


def commit_chunk(layout: Layout, manifest: mf.Manifest, number: int, items: int,
                 rows: Sequence[Mapping[str, Any]], rejects: Sequence[DataIssue]) -> None:
    """Parts first, the manifest that counts them last (see `manifest`)."""
    work = layout.work
    with disk_errors(work):
        write_part(mf.part_path(work, number, layout.fmt), layout.fmt, rows, layout.columns,
                   layout.schema)
        if rejects:
            write_part(mf.rejects_part(work, number), "jsonl", [reject_row(r) for r in rejects],
                       REJECT_COLUMNS)
        tallies = _tally_rows(rows, list(layout.labels))
        write_part(mf.tally_part(work, number), "jsonl", tallies, ["tally"])
        manifest.chunks_done = number + 1
        manifest.items_done += items
        manifest.sentences_done += len(rows)
        manifest.rejects_done += len(rejects)
        manifest.save(work)


REJECT_COLUMNS = ["source", "row", "field", "problem"]


def reject_row(issue: DataIssue) -> dict[str, Any]:
    return {"source": issue.path, "row": issue.row, "field": issue.field, "problem": issue.problem}


def _tally_rows(rows: Sequence[Mapping[str, Any]], tasks: list[str]) -> list[dict[str, Any]]:
    from framelens.serving.batch.summary import tally

    return [{"tally": t.to_dict()} for t in tally(rows, tasks)]


def _tallies(work: Path, chunks: int) -> Iterator[DocTally]:
    for number in range(chunks):
        with mf.tally_part(work, number).open(encoding="utf-8") as fh:
            for line in fh:
                yield DocTally.from_dict(json.loads(line)["tally"])


def finish(layout: Layout, manifest: mf.Manifest, summary: Path | None) -> Path | None:
    """Final files from the parts; returns the rejects file when there is one."""
    work, out = layout.work, layout.out
    manifest.complete = True
    with disk_errors(work):
        manifest.save(work)
    rejects = rejects_path_for(out)
    with disk_errors(out.parent):
        if manifest.rejects_done:
            parts = [p for n in range(manifest.chunks_done)
                     if (p := mf.rejects_part(work, n)).exists()]
            concat_parts(parts, rejects, "jsonl", REJECT_COLUMNS)
        else:
            rejects.unlink(missing_ok=True)  # a previous run's, for the output now replaced
        if summary is not None:
            write_summary(summary, layout.labels, _tallies(work, manifest.chunks_done))
        parts = [mf.part_path(work, n, layout.fmt) for n in range(manifest.chunks_done)]
        concat_parts(parts, out, layout.fmt, layout.columns, layout.schema)
    mf.remove_work_dir(work)
    return rejects if manifest.rejects_done else None


def write_summary(path: Path, labels: dict[str, list[str]], tallies: Iterator[DocTally]) -> None:
    fmt = output_format(path)
    columns = summary_columns(labels)
    schema = arrow_schema(columns, labels) if fmt == "parquet" else None
    with row_file(path, fmt, columns, schema) as writer:
        batch: list[dict[str, Any]] = []
        for t in merged(tallies):
            batch.append(t.row(labels))
            if len(batch) >= SUMMARY_ROWS_PER_WRITE:
                writer.write(batch)
                batch = []
        writer.write(batch)
