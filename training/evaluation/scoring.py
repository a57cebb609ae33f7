"""Score a trained classifier on a labelled file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from framelens.data.labelled import load_labelled
from framelens.data.tasks import Task
from framelens.models.predictor import BundleClassifier, Classifier, probabilities
from framelens.training.metrics import classification_metrics


@dataclass
class Scored:
    """Gold labels, model probabilities and metrics for one task on one file."""

    task: Task
    data_path: Path
    texts: list[str]
    gold: np.ndarray  # class ids
    probs: np.ndarray  # (n, num_labels), temperature-scaled if the model is calibrated
    logits: np.ndarray  # (n, num_labels), raw
    metrics: dict[str, Any]
    rows: list[dict[str, Any]]  # the original rows (for slices and error listings)

    @property
    def pred(self) -> np.ndarray:
        return self.probs.argmax(axis=1)


def pick_classifier(model: Classifier | BundleClassifier, task_name: str | None) -> Classifier:
    """The single-task classifier to evaluate (a bundle needs --task unless it has one task)."""
    if isinstance(model, Classifier):
        if task_name and task_name != model.task.name and model.task.name != "task":
            raise ValueError(
                f"the model was trained for task {model.task.name!r}, not {task_name!r}"
            )
        return model
    if task_name is None:
        if len(model.tasks) == 1:
            return model.classifiers[model.tasks[0]]
        raise ValueError(f"the model bundle holds tasks {model.tasks}; choose one with --task")
    if task_name not in model.classifiers:
        raise ValueError(f"the model bundle has no task {task_name!r} (it has {model.tasks})")
    return model.classifiers[task_name]


def score_file(
    clf: Classifier,
    data_path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> Scored:
    """Predict every row of a labelled file and compute the metrics."""
    task = clf.task.with_columns(text_column, label_column)
    ds, _ = load_labelled(data_path, task)
    texts = list(ds[task.text_column])
    logits = clf.logits(texts, batch_size=batch_size, progress=progress)
    probs = probabilities(logits, clf.metadata.temperature, task.multi_label)
    gold = np.asarray(ds["labels"], dtype=int)
    metrics = classification_metrics(probs.argmax(axis=1), gold, task.labels)
    rows = ds.remove_columns("labels").to_list()
    return Scored(task, Path(data_path), texts, gold, probs, logits, metrics, rows)
