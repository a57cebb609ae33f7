"""Score a trained task model on a labelled file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from framelens.data.labelled import load_labelled
from framelens.data.tasks import Task
from framelens.models.predictor import Predictor, TaskModel, probabilities
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


def as_task_model(model: TaskModel | Predictor) -> TaskModel:
    """The one task model to evaluate: a TaskModel as is, or the task of a one-task
    Predictor (a bundle must be narrowed first with `Predictor.only` / `.model(name)`;
    otherwise this raises ConfigError naming its tasks)."""
    return model.model() if isinstance(model, Predictor) else model


def score_file(
    model: TaskModel | Predictor,
    data_path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> Scored:
    """Predict every row of a labelled file and compute the metrics."""
    task_model = as_task_model(model)
    task = task_model.task.with_columns(text_column, label_column)
    ds, _ = load_labelled(data_path, task)
    texts = list(ds[task.text_column])
    logits = task_model.logits(texts, batch_size=batch_size, progress=progress)
    probs = probabilities(logits, task_model.metadata.temperature)
    gold = np.asarray(ds["labels"], dtype=int)
    metrics = classification_metrics(probs.argmax(axis=1), gold, task.labels)
    rows = ds.remove_columns("labels").to_list()
    return Scored(task, Path(data_path), texts, gold, probs, logits, metrics, rows)
