"""Turn a raw table into a validated, labelled dataset for one task."""

from __future__ import annotations

from pathlib import Path

import datasets
from framelens.data.errors import DataError, DataIssue
from framelens.data.readers import Table, read_table
from framelens.data.tasks import Task

# Separators accepted between labels of a multi-label cell given as a string.
_MULTI_SEPARATORS = (";", "|", ",")


def _split_multi(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    text = str(value)
    for sep in _MULTI_SEPARATORS:
        if sep in text:
            return [part.strip() for part in text.split(sep) if part.strip()]
    return [text.strip()] if text.strip() else []


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
        names = _split_multi(label) if task.multi_label else [str(label).strip()]
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
    """Add the integer (or multi-hot) `labels` column the model trains on."""
    label2id = task.label2id
    if task.multi_label:

        def encode(value: object) -> list[float]:
            hot = [0.0] * len(task.labels)
            for name in _split_multi(value):
                hot[label2id[name]] = 1.0
            return hot
    else:

        def encode(value: object) -> int:  # type: ignore[misc]
            return label2id[str(value).strip()]

    encoded = [encode(v) for v in ds[task.label_column]]
    if "labels" in ds.column_names:
        ds = ds.remove_columns("labels")
    return ds.add_column("labels", encoded)


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
