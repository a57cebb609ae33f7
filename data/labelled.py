"""Turn a raw table into a validated, labelled dataset for one task."""

from __future__ import annotations

from pathlib import Path

import datasets
from framelens.data.errors import DataError, DataIssue
from framelens.data.readers import Table, read_table
from framelens.data.tasks import Task


def check_columns(table: Table, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.dataset.column_names]
    if missing:
        have = ", ".join(table.dataset.column_names) or "(none)"
        raise DataError(
            [
                DataIssue(str(table.path), None, col, f"missing column (columns found: {have})")
                for col in missing
            ]
        )


def validate_rows(table: Table, task: Task, require_labels: bool = True) -> list[DataIssue]:
    """Every problem in the table for this task: empty texts, missing or unknown labels."""
    issues: list[DataIssue] = []
    path = str(table.path)
    allowed = set(task.labels)
    texts = table.dataset[task.text_column]
    labels = table.dataset[task.label_column] if require_labels else [None] * len(texts)
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        row = table.row_number(i)
        if not isinstance(text, str):
            problem = "missing text" if text is None else f"text must be a string, got {text!r}"
            issues.append(DataIssue(path, row, task.text_column, problem))
        elif not text.strip():
            issues.append(DataIssue(path, row, task.text_column, "empty text"))
        if not require_labels:
            continue
        names = [str(label).strip()]
        if label is None or not any(names):
            issues.append(DataIssue(path, row, task.label_column, "missing label"))
            continue
        unknown = [n for n in names if n not in allowed]
        if unknown:
            issues.append(
                DataIssue(
                    path,
                    row,
                    task.label_column,
                    f"unknown label {unknown[0]!r} for task {task.name!r} "
                    f"(allowed: {', '.join(task.labels)})",
                )
            )
    return issues


def _encode_labels(ds: datasets.Dataset, task: Task) -> datasets.Dataset:
    """Add the integer `labels` column the model trains on."""
    label2id = task.label2id
    encoded = [label2id[str(v).strip()] for v in ds[task.label_column]]
    if "labels" in ds.column_names:
        ds = ds.remove_columns("labels")
    ds = ds.add_column("labels", encoded)
    # The label names travel with the data (ds.features["labels"].names), in the task's
    # declared order, so an id means the same class in the dataset and in the model.
    return ds.cast_column("labels", datasets.ClassLabel(names=list(task.labels)))


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
    if len(table.dataset) == 0:
        raise DataError.single(path, None, "(file)", "contains no rows")
    ds = _encode_labels(table.dataset, task) if require_labels else table.dataset
    return ds, table
