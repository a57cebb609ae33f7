"""Bootstrap confidence intervals for classification metrics.

Point estimates come from scikit-learn (through the local `framelens_classification`
metric module), so a report states the same numbers as every other framelens command.
The resamples are framelens's own code because speed demands it: each resample's
confusion matrix comes from one `bincount` over (resample, gold, predicted) codes, so
1,000+ resamples of a few thousand rows take well under a second, where calling
scikit-learn per resample would take seconds per metric. The tests check the resampled
scores against scikit-learn and the intervals against `scipy.stats.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from framelens.training.metrics import classification_metrics

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 13
AVERAGED = ("accuracy", "macro_precision", "macro_recall", "macro_f1",
            "weighted_precision", "weighted_recall", "weighted_f1")


def _prf(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support from (..., K, K) confusion matrices,
    with scikit-learn's zero_division=0 convention."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
    support = cm.sum(axis=-1).astype(float)
    predicted = cm.sum(axis=-2).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, support


def summaries(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Scalar metrics (one value per leading index) from a stack of confusion matrices.

    Keys: the names in AVERAGED, then precision_k / recall_k / f1_k per class id k.
    """
    precision, recall, f1, support = _prf(cm)
    n = support.sum(axis=-1)
    weights = support / np.maximum(n, 1)[..., None]
    out = {
        "accuracy": np.diagonal(cm, axis1=-2, axis2=-1).sum(axis=-1) / np.maximum(n, 1),
        "macro_precision": precision.mean(axis=-1),
        "macro_recall": recall.mean(axis=-1),
        "macro_f1": f1.mean(axis=-1),
        "weighted_precision": (precision * weights).sum(axis=-1),
        "weighted_recall": (recall * weights).sum(axis=-1),
        "weighted_f1": (f1 * weights).sum(axis=-1),
    }
    for k in range(cm.shape[-1]):
        out[f"precision_{k}"] = precision[..., k]
        out[f"recall_{k}"] = recall[..., k]
        out[f"f1_{k}"] = f1[..., k]
    return out


def resample_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) row indices drawn with replacement: the rows of every resample."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def resampled_confusions(
    gold: np.ndarray, pred: np.ndarray, k: int, resamples: int, seed: int
) -> np.ndarray:
    """(resamples, k, k) confusion matrices of bootstrap resamples of the rows.

    The same seed draws the same rows, so two systems scored with one seed are paired.
    """
    idx = resample_indices(len(gold), resamples, seed)
    codes = gold[idx] * k + pred[idx] + (np.arange(resamples) * k * k)[:, None]
    return np.bincount(codes.ravel(), minlength=resamples * k * k).reshape(resamples, k, k)


def resampled_metrics(
    gold: Sequence[int], pred: Sequence[int], k: int, resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, np.ndarray]:
    """Every metric of `summaries` on each bootstrap resample: name -> (resamples,)."""
    g = np.asarray(gold, dtype=int)
    p = np.asarray(pred, dtype=int)
    return summaries(resampled_confusions(g, p, k, resamples, seed))


def percentile_interval(samples: np.ndarray, level: float = 0.95) -> list[float]:
    """The percentile bootstrap interval: the (1-level)/2 and (1+level)/2 quantiles."""
    alpha = (1 - level) / 2
    lo, hi = np.quantile(samples, [alpha, 1 - alpha])
    return [float(lo), float(hi)]


def bootstrap_metrics(
    gold: Sequence[int],
    pred: Sequence[int],
    labels: Sequence[str],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> dict[str, Any]:
    """Point estimates with percentile bootstrap CIs: {"value": x, "ci": [lo, hi]}."""
    gold_a = np.asarray(gold, dtype=int)
    pred_a = np.asarray(pred, dtype=int)
    point = classification_metrics(pred_a, gold_a, labels)
    samples = resampled_metrics(gold_a, pred_a, len(labels), resamples, seed)

    def est(value: float, name: str) -> dict[str, Any]:
        return {"value": float(value), "ci": percentile_interval(samples[name], level)}

    result: dict[str, Any] = {name: est(point[name], name) for name in AVERAGED}
    result["per_class"] = {
        label: {
            **{stat: est(point["per_class"][label][stat], f"{stat}_{i}")
               for stat in ("precision", "recall", "f1")},
            "support": point["per_class"][label]["support"],
        }
        for i, label in enumerate(labels)
    }
    result["confusion_matrix"] = point["confusion_matrix"]
    return result


def paired_delta_ci(
    gold: Sequence[int],
    pred_a: Sequence[int],
    pred_b: Sequence[int],
    k: int,
    metric: str = "macro_f1",
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> list[float]:
    """CI of metric(a) - metric(b) on the same resampled rows (a paired bootstrap)."""
    a = resampled_metrics(gold, pred_a, k, resamples, seed)
    b = resampled_metrics(gold, pred_b, k, resamples, seed)
    return percentile_interval(a[metric] - b[metric], level)
