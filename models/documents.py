"""Classify whole documents: split into sentences, predict, flatten to rows.

Shared by the CLI, the Python API, batch jobs and the HTTP server, so every
entry point gives the same rows for the same input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from framelens.data.sentences import read_lines, split_sentences
from framelens.models.predictor import BundleClassifier, Classifier


def sentences_of(text: str, one_per_line: bool = False) -> list[str]:
    """Sentences of an article, or the lines of a pre-split file."""
    return read_lines(text) if one_per_line else split_sentences(text)


def predict_rows(
    model: Classifier | BundleClassifier,
    sentences: Sequence[str],
    batch_size: int = 32,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """One flat row per sentence: index, text, and per task its label and probabilities.

    Columns for a task T: `T` (label) and `T_p_<label>` for each label, so rows
    write straight to CSV and read back into pandas.
    """
    sentences = list(sentences)
    if isinstance(model, Classifier):
        per_task = {model.task.name: model.predict(sentences, batch_size, progress)}
    else:
        per_task = {
            name: clf.predict(sentences, batch_size, progress)
            for name, clf in model.classifiers.items()
        }
    rows: list[dict[str, Any]] = []
    for i, text in enumerate(sentences):
        row: dict[str, Any] = {"index": i, "text": text}
        for name, preds in per_task.items():
            pred = preds[i]
            row[name] = pred.label
            row[f"{name}_confidence"] = round(max(pred.scores.values()), 4)
            for label, p in pred.scores.items():
                row[f"{name}_p_{label}"] = round(p, 4)
        rows.append(row)
    return rows


def task_names(model: Classifier | BundleClassifier) -> list[str]:
    return [model.task.name] if isinstance(model, Classifier) else model.tasks
