"""Turn a raw table into a validated, labelled dataset for one task.

Validation reads the values as the file gave them (`Table.column`), so a JSON label `0`
is reported as the unknown label it is, and a NaN from pandas as a missing label, instead
of being coerced into something that looks valid.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
from framelens.data.errors import DataError, DataIssue
from framelens.data.readers import Table, is_missing, read_table
from framelens.data.tasks import Task

log = logging.getLogger(__name__)
# How many duplicate-id lines one warning lists before "... and N more".
_SHOWN_WARNINGS = 5


def check_columns(table: Table, columns: list[str]) -> None:
    """Every needed column is there, or one DataError naming each missing one."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        have = ", ".join(table.column_names) or "(none)"
        raise DataError(
            [
                DataIssue(str(table.path), None, col, f"missing column (columns found: {have})")
                for col in missing
            ]
        )


def _label_problem(label: Any, task: Task) -> str | None:
    """Why `label` is not one of the task's labels (None when it is)."""
    if is_missing(label):
        return "missing label" + (" (NaN)" if label is not None else "")
    if isinstance(label, list | dict):
        return (f"a label must be one name, got {type(label).__name__} {label!r:.60}; "
                "multi-label data is not supported")
    name = str(label).strip()
    if not name:
        return "missing label"
    if name in task.label2id and not isinstance(label, bool):
        return None
    hint = ""
    if isinstance(label, int | float) or name.lstrip("-").isdigit():
        hint = "; labels are names, not class numbers"
    return (f"unknown label {label!r} for task {task.name!r} "
            f"(allowed: {', '.join(task.labels)}){hint}")


def validate_rows(table: Table, task: Task, require_labels: bool = True) -> list[DataIssue]:
    """Every problem in the table for this task: empty texts, missing or unknown labels."""
    issues: list[DataIssue] = []
    path = str(table.path)
    texts = table.column(task.text_column)
    labels = table.column(task.label_column) if require_labels else [None] * len(texts)
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        row = table.row_number(i)
        if not isinstance(text, str):
            problem = ("missing text" if is_missing(text)
                       else f"text must be a string, got {type(text).__name__} {text!r:.60}")
            issues.append(DataIssue(path, row, task.text_column, problem))
        elif not text.strip():
            issues.append(DataIssue(path, row, task.text_column, "empty text"))
        if not require_labels:
            continue
        problem = _label_problem(label, task)
        if problem:
            issues.append(DataIssue(path, row, task.label_column, problem))
    return issues


def duplicate_id_warnings(table: Table, id_column: str = "id") -> list[DataIssue]:
    """Rows whose id repeats an earlier row's: results cannot be joined back by id."""
    if id_column not in table.column_names:
        return []
    first: dict[str, int] = {}
    out: list[DataIssue] = []
    for i, value in enumerate(table.column(id_column)):
        if is_missing(value) or not str(value).strip():
            continue
        key = str(value).strip()
        if key in first:
            out.append(DataIssue(str(table.path), table.row_number(i), id_column,
                                 f"duplicate id {key!r} (first at line {first[key]})"))
        else:
            first[key] = table.row_number(i)
    return out


def _normalise(text: str) -> str:
    # The same key as data.dedup.normalise, without importing scikit-learn for it.
    return " ".join(re.findall(r"\w+", text.lower()))


def overlap_warning(train_texts: Sequence[Any], dev_texts: Sequence[Any], train_name: str,
                    dev_name: str, text_column: str = "text") -> DataIssue | None:
    """Dev rows whose text (whitespace and case normalised) is also in train: dev scores,
    early stopping and calibration then measure memory, not generalisation."""
    seen = {_normalise(t) for t in train_texts if isinstance(t, str)} - {""}
    shared = [t for t in dev_texts if isinstance(t, str) and _normalise(t) in seen]
    if not shared:
        return None
    return DataIssue(dev_name, None, text_column,
                     f"{len(shared)} of {len(dev_texts)} dev rows also appear in {train_name} "
                     f"(e.g. {shared[0][:60]!r}); dev scores will be optimistic")


def log_warnings(issues: Sequence[DataIssue]) -> None:
    """Warn (stderr) about data that trains but deserves a look, a few lines at most."""
    if not issues:
        return
    shown = [str(i) for i in issues[:_SHOWN_WARNINGS]]
    if len(issues) > _SHOWN_WARNINGS:
        shown.append(f"... and {len(issues) - _SHOWN_WARNINGS} more")
    log.warning("warning: %s", "\nwarning: ".join(shown))


def _encode_labels(ds: datasets.Dataset, task: Task) -> datasets.Dataset:
    """Add the integer `labels` column the model trains on."""
    label2id = task.label2id
    encoded = [label2id[str(v).strip()] for v in ds[task.label_column]]
    if "labels" in ds.column_names:
        ds = ds.remove_columns("labels")
    ds = ds.add_column("labels", encoded)
    # The label names travel with the data (ds.features["labels"].names), in the task's
    # declared order, so an id means the same class in the dataset and in the model.
    # A cast of a few thousand rows in memory is instant: no progress bar for it.
    was_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        return ds.cast_column("labels", datasets.ClassLabel(names=list(task.labels)))
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()


def load_labelled(
    path: str | Path, task: Task, require_labels: bool = True
) -> tuple[datasets.Dataset, Table]:
    """Read, validate and encode a labelled file for `task`.

    Raises DataError listing every bad row (file:row: field: problem) before
    anything is trained on it.
    """
    table = read_table(path)
    columns = [task.text_column] + ([task.label_column] if require_labels else [])
    check_columns(table, columns)
    issues = validate_rows(table, task, require_labels=require_labels)
    if issues:
        raise DataError(issues)
    if len(table) == 0:
        raise DataError.single(path, None, "(file)", "contains no rows (only a header?)")
    log_warnings(duplicate_id_warnings(table))
    ds = _encode_labels(table.dataset, task) if require_labels else table.dataset
    return ds, table
