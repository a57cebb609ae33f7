"""Load the bundled `framelens_classification` evaluate module and compute with it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import evaluate

METRIC_DIR = Path(__file__).resolve().parent / "framelens_classification"


@lru_cache(maxsize=1)
def load_metric() -> evaluate.EvaluationModule:
    """The local metric module. Loaded by path: `evaluate.load("accuracy")` would
    fetch from the hub and fail offline."""
    evaluate.logging.set_verbosity_error()
    return evaluate.load(str(METRIC_DIR))


def classification_metrics(
    predictions: Sequence[int], references: Sequence[int], label_names: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro/weighted/per-class P/R/F1 and the confusion matrix."""
    return load_metric().compute(
        predictions=list(map(int, predictions)),
        references=list(map(int, references)),
        num_labels=len(label_names),
        label_names=list(label_names),
    )
