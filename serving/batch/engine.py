"""The batch engine: inputs → chunks → `Classifier.predict` → committed parts → final files.

A run reads top to bottom: check the options and the output (milliseconds), scan the
input once without the model (counts for the progress bar; with `--on-error fail`, every
unreadable row is reported before any model loads), load the model, then classify chunk
by chunk and commit each one, and finally join the parts. Prediction is only
`Classifier.predict`, so a sentence gets the same probabilities here as in the Python
API and the server.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from framelens.data.errors import ConfigError, DataError, DataIssue
from framelens.serving.batch import manifest as mf
from framelens.serving.batch.chunking import Chunk, chunks, slots_of
from framelens.serving.batch.inputs import Columns, Source, discover, iter_items, stdin_spooled
from framelens.serving.batch.options import BatchOptions, output_format
from framelens.serving.batch.output import Layout, check_output, commit_chunk, disk_errors, finish
from framelens.serving.batch.writers import arrow_schema, output_columns

if TYPE_CHECKING:
    from framelens.serving.classifier import Classifier

# Texts handed to `Classifier.predict` at once: whole batches (so batching is the same as
# one call over the chunk), few enough that the progress bar moves every few seconds.
BATCHES_PER_CALL = 8


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: what was committed is kept, and `hint` says how to continue."""

    def __init__(self, hint: str):
        super().__init__(hint)
        self.hint = hint


def data_error(issues: list[DataIssue], total: int) -> DataError:
    """The first problems, and how many more there are (the full list can be huge)."""
    error = DataError(issues)
    if total > len(issues):
        error.args = (f"{error.args[0]}\n... and {total - len(issues)} more problem(s)",)
    return error


@dataclass
class Scan:
    """What the input holds, counted once before classifying."""

    items: int = 0
    sentences: int = 0
    rejects: int = 0


def scan(sources: list[Source], options: BatchOptions, columns: Columns,
         fail: bool) -> Scan:
    """Count items and sentences; with `fail`, raise on the input's problems (the first 20
    listed) before the model is loaded."""
    found = Scan()
    shown: list[DataIssue] = []
    for item in iter_items(sources, options.unit, columns):
        found.items += 1
        if isinstance(item, DataIssue):
            found.rejects += 1
            if len(shown) < 20:
                shown.append(item)
        else:
            found.sentences += len(slots_of(item, options.unit))
    if fail and shown:
        raise data_error(shown, found.rejects)
    return found


def classify_chunk(clf: Classifier, chunk: Chunk, batch_size: int,
                   on_progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Rows of a chunk in input order. Each distinct sentence is classified once, and the
    distinct sentences go to the model shortest first, so batches hold similar lengths
    (padding is most of a naive batch's cost on a CPU)."""
    from framelens.serving.results import SentenceResult, sentence_row

    multiplicity = Counter(s.text for s in chunk.slots)
    unique = sorted(multiplicity, key=len)
    results = {}
    step = batch_size * BATCHES_PER_CALL
    for start in range(0, len(unique), step):
        texts = unique[start : start + step]
        results.update(zip(texts, clf.predict(texts, batch_size), strict=True))
        if on_progress is not None:
            on_progress(sum(multiplicity[t] for t in texts))
    rows = []
    for s in chunk.slots:
        r = results[s.text]
        row = sentence_row(s.doc_id, SentenceResult(s.text, r.tasks, index=s.index,
                                                    start=s.start, end=s.end))
        if s.line is not None:
            row["line"] = s.line
        rows.append(row | dict(s.kept))
    return rows


def _load(options: BatchOptions, classifier: Classifier | None) -> Classifier:
    if classifier is not None:
        return classifier
    if options.model is None:
        raise ConfigError("no model given: pass --model MODEL_OR_BUNDLE")
    from framelens.serving.classifier import Classifier

    return Classifier.load(options.model, device=options.device, batch_size=options.batch_size,
                           backend=options.backend)


def _layout(options: BatchOptions, sources: list[Source], columns: Columns,
            clf: Classifier) -> Layout:
    from framelens.serving.batch.tabular import kept_types

    assert options.out is not None
    fmt = output_format(options.out)
    labels = {t: list(clf.labels(t)) for t in clf.tasks}
    line = options.unit == "sentence" and any(s.kind == "text" for s in sources)
    schema_columns = output_columns(labels, line, ())
    clash = [c for c in options.keep_columns if c in schema_columns]
    if clash:
        raise ConfigError(f"--keep-columns {', '.join(clash)}: the output already has a column "
                          "of that name; rename it in the input")
    out_columns = output_columns(labels, line, options.keep_columns)
    schema = (arrow_schema(out_columns, labels, kept_types(sources, columns))
              if fmt == "parquet" else None)
    return Layout(options.out, fmt, out_columns, labels, schema)


@dataclass
class BatchReport:
    """What a run did, for the one summary line and for callers."""

    out: Path
    unit: str
    items: int
    sentences: int
    rejects: int
    classified_now: int
    seconds: float
    resumed_chunks: int = 0
    rejects_path: Path | None = None
    summary: Path | None = None

    @property
    def rate(self) -> float:
        return self.classified_now / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        noun = "document" if self.unit == "document" else "input row"
        text = (f"{self.sentences:,} sentences from {self.items - self.rejects:,} {noun}(s) "
                f"→ {self.out}; {self.classified_now:,} classified in {self.seconds:.1f} s "
                f"({self.rate:,.0f} sentences/s)")
        if self.resumed_chunks:
            text += f"; resumed after {self.resumed_chunks} committed chunk(s)"
        if self.rejects:
            text += f"; {self.rejects:,} rejected → {self.rejects_path}"
        if self.summary is not None:
            text += f"; summary → {self.summary}"
        return text


def _progress_bar(options: BatchOptions, total: int, done: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, unit=" sentences", desc="classifying",
                file=sys.stderr, dynamic_ncols=True, disable=not options.progress)


def run_batch(options: BatchOptions, classifier: Classifier | None = None,
              stdin: BinaryIO | None = None) -> BatchReport:
    """Classify every input into `options.out` (see the module docstring for the order)."""
    if options.out is None:
        raise ConfigError("a batch run needs --out FILE")
    with stdin_spooled(options.inputs, stdin) as stdin_copy:
        sources = discover(options.inputs, stdin_copy)
        columns = Columns(options.text_column, options.id_column, options.keep_columns)
        start = check_output(options)
        found = scan(sources, options, columns, fail=options.on_error == "fail")
        clf = _load(options, classifier)
        layout = _layout(options, sources, columns, clf)
        wanted = mf.Manifest(mf.fingerprint(sources), options.identity() | {"format": layout.fmt},
                             layout.labels)
        manifest = _open_work(layout, wanted, start)
        resumed = manifest.chunks_done
        began = time.perf_counter()
        classified = _classify(options, sources, columns, clf, layout, manifest, found)
        seconds = time.perf_counter() - began
        rejects_path = finish(layout, manifest, options.summary)
    return BatchReport(options.out, options.unit, manifest.items_done, manifest.sentences_done,
                       manifest.rejects_done, classified, seconds, resumed, rejects_path,
                       options.summary)


def _open_work(layout: Layout, wanted: mf.Manifest, start: str) -> mf.Manifest:
    work = layout.work
    if start == "resume":
        manifest = mf.Manifest.load(work)
        manifest.check_same_run(wanted, work)
        mf.remove_stale_temporaries(work)
        return manifest
    mf.remove_work_dir(work)
    with disk_errors(work):
        work.mkdir(parents=True)
        wanted.save(work)
    return wanted


def _classify(options: BatchOptions, sources: list[Source], columns: Columns, clf: Classifier,
              layout: Layout, manifest: mf.Manifest, found: Scan) -> int:
    """Classify and commit the chunks not yet committed; returns sentences classified."""
    if manifest.complete:
        return 0
    classified = 0
    bar = _progress_bar(options, found.sentences, manifest.sentences_done)
    items: Iterable = iter_items(sources, options.unit, columns)
    try:
        for chunk in chunks(items, options.unit, options.chunk_size, manifest.items_done,
                            manifest.chunks_done):
            if chunk.rejects and options.on_error == "fail":
                mf.remove_work_dir(layout.work)  # the input changed under us: nothing partial
                raise data_error(chunk.rejects[:20], len(chunk.rejects))
            rows = classify_chunk(clf, chunk, options.batch_size, bar.update)
            commit_chunk(layout, manifest, chunk.number, chunk.items, rows, chunk.rejects)
            classified += len(rows)
    except KeyboardInterrupt:
        raise Interrupted(
            f"{manifest.chunks_done} chunk(s), {manifest.sentences_done:,} sentences are saved "
            f"in {layout.work}; run the same command with --resume to continue") from None
    finally:
        bar.close()
    return classified


def classify_rows(options: BatchOptions, classifier: Classifier | None = None,
                  stdin: BinaryIO | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for a terminal table (no output file): one article or stdin, held in memory."""
    with stdin_spooled(options.inputs, stdin) as stdin_copy:
        sources = discover(options.inputs, stdin_copy)
        if len(sources) != 1 or sources[0].kind != "text":
            raise ConfigError("--out FILE is needed for tables, folders and several files "
                              "(without it, one article is printed as a table)")
        columns = Columns(options.text_column, options.id_column, options.keep_columns)
        scan(sources, options, columns, fail=True)
        clf = _load(options, classifier)
        rows: list[dict[str, Any]] = []
        for chunk in chunks(iter_items(sources, options.unit, columns), options.unit,
                            options.chunk_size):
            rows += classify_chunk(clf, chunk, options.batch_size)
    if not rows:
        raise DataError.single(options.inputs[0], None, "(text)", "no sentences found")
    return rows, list(clf.tasks)
