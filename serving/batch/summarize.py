"""Frame and stance shares per group (outlet, country, month) of a finished batch output,
each with a bootstrap confidence interval.

The output file is read in bounded chunks, keeping only label counts per (group,
document); nothing per sentence is held. Sentences of one article share a topic and a
writer, so they are not independent: the interval resamples *documents* within a group
(a cluster bootstrap), which is honest where a per-sentence bootstrap would be too narrow.
Each resample's label counts come from one `bincount` of drawn document indices and one
matrix product, so a thousand resamples of thousands of documents take milliseconds.
Groups with fewer than `min_sentences` sentences are flagged, not hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from framelens.data.errors import ConfigError, DataError

FREQUENCIES = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 13
MIN_SENTENCES = 30
READ_ROWS = 65_536
# Resamples drawn at once are capped so that resamples × documents stays this small.
BOOTSTRAP_CELLS = 2_000_000
MISSING_GROUP = "(missing)"
_GROUP, _PERIOD, _DOC = "__group", "__period", "__doc"


@dataclass
class GroupShares:
    """Shares of every label of every task, per group (and period), with their intervals."""

    by: str
    over: str | None
    freq: str | None
    labels: dict[str, list[str]]
    table: pd.DataFrame
    level: float = 0.95
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    min_sentences: int = MIN_SENTENCES
    notes: list[str] = field(default_factory=list)

    @property
    def group_columns(self) -> list[str]:
        return [self.by] + ([self.over] if self.over else [])

    def to_dict(self) -> dict[str, Any]:
        records = json.loads(self.table.to_json(orient="records"))
        return {"framelens": "summarize", "by": self.by, "over": self.over, "freq": self.freq,
                "labels": self.labels, "level": self.level, "resamples": self.resamples,
                "seed": self.seed, "min_sentences": self.min_sentences, "notes": self.notes,
                "rows": records}


# -- reading ----------------------------------------------------------------------------------
def file_columns(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    if suffix == ".csv":
        return list(pd.read_csv(path, nrows=0).columns)
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), "{}")
        return list(json.loads(first))
    raise DataError.single(path, None, "(format)", "summarize reads .parquet, .csv or .jsonl "
                           "files written by framelens classify")


def task_labels(columns: list[str]) -> dict[str, list[str]]:
    """Tasks and their labels in declared order, from the `T`, `T_confidence`, `T_p_<label>`
    columns of a sentence row."""
    out = {}
    for name in columns:
        if f"{name}_confidence" in columns:
            prefix = f"{name}_p_"
            out[name] = [c[len(prefix):] for c in columns if c.startswith(prefix)]
    return out


def read_chunks(path: Path, columns: list[str]) -> Iterator[pd.DataFrame]:
    """Only the needed columns, READ_ROWS rows at a time, all as text."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=READ_ROWS, columns=columns):
            yield batch.to_pandas()
    elif suffix == ".csv":
        yield from pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False,
                               chunksize=READ_ROWS)
    else:
        for frame in pd.read_json(path, lines=True, dtype=False, chunksize=READ_ROWS):
            yield frame.reindex(columns=columns)


# -- counting ---------------------------------------------------------------------------------
def _keys(frame: pd.DataFrame, by: str, over: str | None, freq: str | None,
          has_doc: bool, offset: int) -> tuple[pd.DataFrame, int]:
    """Group, period and document keys of a chunk; rows without a valid date dropped
    (returned count)."""
    keys = pd.DataFrame(index=frame.index)
    group = frame[by].astype("string").fillna(MISSING_GROUP)
    keys[_GROUP] = group.where(group.str.len() > 0, MISSING_GROUP)
    if has_doc:
        keys[_DOC] = frame["doc_id"].astype("string").fillna("")
    else:  # no document ids: every sentence is its own cluster
        keys[_DOC] = pd.RangeIndex(offset, offset + len(frame)).astype(str)
    dropped = 0
    if over is not None:
        dates = pd.to_datetime(frame[over], errors="coerce", utc=True, format="mixed")
        valid = dates.notna()
        dropped = int((~valid).sum())
        keys[_PERIOD] = dates.dt.tz_localize(None).dt.to_period(FREQUENCIES[freq]).astype(str)
        keys = keys[valid]
    return keys, dropped


def count_labels(path: Path, by: str, over: str | None, freq: str | None,
                 labels: dict[str, list[str]], has_doc: bool) -> tuple[dict[str, pd.Series], dict]:
    """Per task: sentence counts indexed by (group[, period], document, label)."""
    keys_cols = [_GROUP] + ([_PERIOD] if over else []) + [_DOC]
    wanted = list(dict.fromkeys([by, *([over] if over else []), *(["doc_id"] if has_doc else []),
                                 *labels]))
    counts: dict[str, pd.Series] = {}
    info = {"rows": 0, "undated": 0}
    for frame in read_chunks(path, wanted):
        keys, dropped = _keys(frame, by, over, freq, has_doc, info["rows"])
        info["rows"] += len(frame)
        info["undated"] += dropped
        for task in labels:
            part = keys.assign(__label=frame.loc[keys.index, task].astype("string"))
            size = part.groupby(keys_cols + ["__label"], sort=False).size()
            counts[task] = size if task not in counts else counts[task].add(size, fill_value=0)
    return counts, info


# -- the bootstrap ----------------------------------------------------------------------------
def cluster_bootstrap(doc_counts: np.ndarray, resamples: int, rng: np.random.Generator
                      ) -> np.ndarray:
    """(resamples, labels) shares from resampling the rows (documents) of a
    (documents, labels) count matrix with replacement."""
    docs, k = doc_counts.shape
    out = np.empty((resamples, k))
    step = max(1, BOOTSTRAP_CELLS // max(docs, 1))
    for start in range(0, resamples, step):
        r = min(step, resamples - start)
        drawn = rng.integers(0, docs, size=(r, docs))
        codes = (drawn + (np.arange(r) * docs)[:, None]).ravel()
        weights = np.bincount(codes, minlength=r * docs).reshape(r, docs)  # times each doc drawn
        totals = weights @ doc_counts
        out[start : start + r] = totals / np.maximum(totals.sum(axis=1, keepdims=True), 1)
    return out


def _group_rows(group: tuple, task: str, names: list[str], doc_counts: np.ndarray,
                rng: np.random.Generator, resamples: int, level: float,
                min_sentences: int) -> list[dict[str, Any]]:
    totals = doc_counts.sum(axis=0)
    n = int(totals.sum())
    samples = cluster_bootstrap(doc_counts, resamples, rng)
    alpha = (1 - level) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha], axis=0)
    return [{"group": group, "task": task, "label": label, "count": int(totals[j]),
             "sentences": n, "documents": int(doc_counts.shape[0]),
             "share": float(totals[j] / n) if n else 0.0,
             "ci_low": float(low[j]), "ci_high": float(high[j]), "small": n < min_sentences}
            for j, label in enumerate(names)]


def summarize(path: str | Path, by: str, over: str | None = None, freq: str = "month",
              resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = 0.95,
              min_sentences: int = MIN_SENTENCES) -> GroupShares:
    """Label shares per `by` group (and per `freq` period of the `over` date column)."""
    path = Path(path)
    if not path.is_file():
        raise DataError.single(path, None, "(file)", "no such file")
    if freq not in FREQUENCIES:
        raise ConfigError(f"freq must be one of {', '.join(FREQUENCIES)}, got {freq!r}")
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 100:
        raise ConfigError(f"resamples must be a whole number ≥ 100, got {resamples!r}")
    if not isinstance(min_sentences, int) or isinstance(min_sentences, bool) or min_sentences < 1:
        raise ConfigError(f"min-sentences must be a whole number ≥ 1, got {min_sentences!r}")
    if not 0.5 <= level < 1:
        raise ConfigError(f"level must be between 0.5 and 1, got {level!r}")
    columns = file_columns(path)
    labels = task_labels(columns)
    if not labels:
        raise DataError.single(path, None, "(columns)", "no task columns (T, T_confidence, "
                               "T_p_<label>): is this a framelens classify output?")
    for name, flag in ((by, "--by"), (over, "--over")):
        if name is not None and name not in columns:
            raise DataError.single(path, None, "(columns)", f"no column {name!r} for {flag} "
                                   f"(columns: {', '.join(columns)})")
    has_doc = "doc_id" in columns
    counts, info = count_labels(path, by, over, freq if over else None, labels, has_doc)
    rows: list[dict[str, Any]] = []
    found: dict[str, list[str]] = {}
    rng = np.random.default_rng(seed)
    for task, names in labels.items():
        if task not in counts:  # an empty file
            found[task] = names
            continue
        matrix = counts[task].unstack("__label", fill_value=0)
        # Labels the model did not declare cannot come from framelens, but are kept, not lost.
        found[task] = names + [str(c) for c in matrix.columns if c not in names]
        matrix = matrix.reindex(columns=found[task], fill_value=0)
        for group, block in matrix.groupby(level=list(range(matrix.index.nlevels - 1)), sort=True):
            rows += _group_rows(tuple(group), task, found[task], block.to_numpy(dtype=float), rng,
                                resamples, level, min_sentences)
    notes = []
    if info["undated"]:
        notes.append(f"{info['undated']:,} of {info['rows']:,} sentences have no valid date in "
                     f"{over!r} and are left out")
    if not has_doc:
        notes.append("no doc_id column: intervals resample sentences, not documents")
    group_cols = [by] + ([over] if over else [])
    table = pd.DataFrame(rows, columns=["group", "task", "label", "count", "sentences",
                                        "documents", "share", "ci_low", "ci_high", "small"])
    for i, name in enumerate(group_cols):
        table.insert(i, name, [g[i] for g in table["group"]])
    table = table.drop(columns="group")
    return GroupShares(by, over, freq if over else None, found, table, level, resamples, seed,
                       min_sentences, notes)
