"""Batch classification on Ray: the same `Classifier` inside Ray Data `map_batches`.

For archives larger than one machine: Ray Data reads Parquet in blocks, a fixed pool of
actors each loads the model ONCE and classifies the blocks it is handed, and the rows are
written back as Parquet (a folder of part files). The answer for a row is the local
Classifier's answer, column for column (`Result.flat`, the one output schema), because it is
the same object doing the work.

Where it runs: with `RAY_ADDRESS` set (or `address=`), on that cluster, where the model path
and the input and output paths must be readable by every node (shared storage); otherwise on
a local Ray started for the call and shut down after it. Each actor asks for
`cpus_per_actor` CPUs; leave Ray some CPU for reading and writing (on 2 cores, an actor pool
of two actors with 1 CPU each never gets the CPU the read needs, and the job waits forever).

Problems with the data (a missing text column, empty or missing texts) are found by a pass
over the text column before Ray starts, and listed `file:row: column: problem`.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framelens.data.errors import MAX_SHOWN, ConfigError, DataError, DataIssue, EnvironmentProblem
from framelens.data.outputs import atomic_directory, guard_output_dir

UNITS = ("sentence", "document")


def require_ray() -> None:
    """One line of advice instead of an ImportError when the optional extra is missing."""
    if importlib.util.find_spec("ray") is None:
        raise EnvironmentProblem("the Ray engine needs ray, which is not installed: "
                                 "pip install 'framelens[ray]'")


class ClassifyBatch:
    """The `map_batches` callable: one Classifier per actor, loaded once, used for every batch.

    unit "sentence": each row's text is one unit; the row comes back with the task columns
    added. unit "document": each row's text is split into sentences, and each sentence
    becomes a row (doc_id, sentence_index, start, end, text, task columns).
    """

    def __init__(self, model: str, text_column: str, unit: str = "sentence",
                 id_column: str | None = None, keep_columns: Sequence[str] = (),
                 backend: str = "auto", device: str | None = None, batch_size: int = 32):
        from framelens.serving.classifier import Classifier

        self.classifier = Classifier.load(model, device=device, backend=backend,
                                          batch_size=batch_size)
        self.text_column = text_column
        self.unit = unit
        self.id_column = id_column
        self.keep_columns = list(keep_columns)

    def __call__(self, batch):
        import pandas as pd

        texts = [str(t) for t in batch[self.text_column]]
        if self.unit == "sentence":
            flat = [r.flat() for r in self.classifier.predict(texts)]
            return pd.concat([batch[self.keep_columns].reset_index(drop=True),
                              pd.DataFrame(flat)], axis=1)
        from framelens.serving.results import row_columns

        ids = [str(i) for i in batch[self.id_column]]
        rows: list[dict[str, Any]] = []
        for k, analysis in enumerate(self.classifier.analyze_many(texts, ids)):
            kept = {c: batch[c].iloc[k] for c in self.keep_columns}
            rows += [kept | row for row in analysis.rows()]
        return pd.DataFrame(rows, columns=self.keep_columns
                            + row_columns(self.classifier.label_sets))


@dataclass(frozen=True)
class RayRun:
    """What one run did: where the rows went, how many, how long."""

    output: Path
    rows: int
    seconds: float
    address: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def classify_parquet_with_ray(
    model: str | Path,
    input: str | Path,
    output: str | Path,
    text_column: str = "text",
    *,
    unit: str = "sentence",
    id_column: str | None = None,
    keep_columns: Sequence[str] | None = None,
    backend: str = "auto",
    device: str | None = None,
    batch_size: int = 32,
    rows_per_batch: int = 1024,
    actors: int = 1,
    cpus_per_actor: float = 1.0,
    address: str | None = None,
    overwrite: bool = False,
) -> RayRun:
    """Classify the `text_column` of a Parquet file (or folder of them) on Ray.

    `keep_columns`: input columns carried into the output. Default: every input column
    whose name the output does not already use (a gold `frame` column in a labelled file
    would clash with the predicted one, so it is left out; name it to get an error instead),
    and for unit "document" not the document text (each sentence row has its own).
    `rows_per_batch` rows go to an actor at a time; `batch_size` sentences go through the
    model at a time. The output folder is written beside its final path and moved into
    place when every part is written.
    """
    require_ray()
    if unit not in UNITS:
        raise ConfigError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    if unit == "document" and not id_column:
        raise ConfigError("unit 'document' needs id_column: the column that names each document")
    for name, value in (("actors", actors), ("rows_per_batch", rows_per_batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a whole number ≥ 1, got {value!r}")
    if not cpus_per_actor > 0:
        raise ConfigError(f"cpus_per_actor must be > 0, got {cpus_per_actor!r}")
    model, input, output = str(Path(model).resolve()), Path(input), Path(output)
    keep = _check_input(input, text_column, id_column, keep_columns,
                        _output_columns(Path(model), unit), unit)
    guard_output_dir(output, overwrite, is_ours=_is_ray_output, kind="Ray output folder")

    import ray

    started = not ray.is_initialized()
    if started:
        address = address or os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address)
        else:
            ray.init(include_dashboard=False)
    try:
        t0 = time.perf_counter()
        context = ray.data.DataContext.get_current()
        before = context.execution_options.preserve_order
        context.execution_options.preserve_order = True  # rows come out in input order
        try:
            with atomic_directory(output) as tmp:
                ds = ray.data.read_parquet(str(input), columns=_unique([text_column, id_column, *keep]))
                ds = ds.map_batches(
                    ClassifyBatch, batch_format="pandas", batch_size=rows_per_batch,
                    compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
                    fn_constructor_kwargs=dict(model=model, text_column=text_column, unit=unit,
                                               id_column=id_column, keep_columns=keep,
                                               backend=backend, device=device,
                                               batch_size=batch_size))
                _write_in_order(ds, tmp / "part-00000.parquet")
        finally:
            context.execution_options.preserve_order = before
        seconds = time.perf_counter() - t0
        where = ray.get_runtime_context().gcs_address
    finally:
        if started:
            ray.shutdown()
    return RayRun(output, _count_rows(output), seconds, str(where))


def _write_in_order(ds, path: Path) -> None:
    """Stream the result to one Parquet file in input order.

    `Dataset.write_parquet` names its files by block, and a folder read back sorts them by
    name, not by block order; streaming the batches through the driver keeps the order (they
    arrive in order because preserve_order is on) at the cost of one writer.
    """
    import pyarrow.parquet as pq

    writer = None
    try:
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema)
            writer.write_table(batch)
    finally:
        if writer is not None:
            writer.close()


def _unique(names: Sequence[str | None]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))


def _is_ray_output(path: Path) -> bool:
    return any(path.glob("*.parquet"))


def _output_columns(model: Path, unit: str) -> set[str]:
    """The columns the classifier adds, read from the model's metadata (no weights loaded)."""
    from framelens.data.errors import ModelError
    from framelens.models import model_dir
    from framelens.serving.results import ROW_PREFIX, row_columns

    if not model.exists():
        raise ModelError(f"{model}: no such model directory or bundle")
    dirs = ({name: model / sub for name, sub in model_dir.read_bundle(model).items()}
            if model_dir.is_bundle(model) else {None: model})
    labels: dict[str, tuple[str, ...]] = {}
    for name, directory in dirs.items():
        meta = model_dir.read_metadata(directory)
        if meta is not None:  # a plain Hugging Face directory: its task columns are unknown
            labels[name or meta.task.name] = meta.task.labels
    columns = set(row_columns(labels)) - set(ROW_PREFIX)
    return columns | (set(ROW_PREFIX) if unit == "document" else set())


def _check_input(path: Path, text_column: str, id_column: str | None,
                 keep_columns: Sequence[str] | None, produced: set[str],
                 unit: str) -> list[str]:
    """The columns to carry through; every problem with the text column first, listed."""
    import pyarrow as pa
    import pyarrow.dataset as pds

    if not path.exists():
        raise DataError.single(path, None, "(file)", "no such file or folder")
    try:
        dataset = pds.dataset(str(path), format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError.single(path, None, "(file)", f"not readable as Parquet ({exc})") from None
    have = dataset.schema.names
    wanted = [text_column, *([id_column] if id_column else []), *(keep_columns or [])]
    missing = [DataIssue(str(path), None, c, f"missing column (columns found: {', '.join(have)})")
               for c in wanted if c not in have]
    if missing:
        raise DataError(missing)
    if not pa.types.is_string(dataset.schema.field(text_column).type) and \
            not pa.types.is_large_string(dataset.schema.field(text_column).type):
        raise DataError.single(path, None, text_column,
                               f"must hold text, not {dataset.schema.field(text_column).type}")
    issues: list[DataIssue] = []
    for fragment in dataset.get_fragments():
        row = 0
        for batch in fragment.to_batches(columns=[text_column]):
            for text in batch.column(0).to_pylist():
                row += 1
                if text is None or not text.strip():
                    problem = "missing text" if text is None else "empty text"
                    issues.append(DataIssue(fragment.path, row, text_column, problem))
            if len(issues) > MAX_SHOWN:
                break
    if issues:
        raise DataError(issues)
    if keep_columns is None:
        return [c for c in have if c not in produced
                and (unit == "sentence" or c != text_column)]
    clash = [c for c in keep_columns if c in produced]
    if clash:
        raise ConfigError(f"keep_columns {', '.join(clash)} would clash with the output's own "
                          "columns; rename them in the input or leave them out")
    return _unique(keep_columns)


def _count_rows(output: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(output.glob("*.parquet")))
