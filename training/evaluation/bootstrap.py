"""Bootstrap confidence intervals for classification metrics.

All resamples are scored at once: each resample's confusion matrix comes from
one `bincount` over (resample, gold, predicted) codes, so 1,000+ resamples of
a few thousand rows take well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 13


def _prf(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support from (..., K, K) confusion matrices."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
    support = cm.sum(axis=-1).astype(float)
    predicted = cm.sum(axis=-2).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, support


def _summaries(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Scalar metrics (one value per leading index) from confusion matrices."""
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


def confusion(gold: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)


def resampled_confusions(
    gold: np.ndarray, pred: np.ndarray, k: int, resamples: int, seed: int
) -> np.ndarray:
    """(resamples, k, k) confusion matrices of bootstrap resamples of the rows."""
    rng = np.random.default_rng(seed)
    n = len(gold)
    idx = rng.integers(0, n, size=(resamples, n))
    codes = gold[idx] * k + pred[idx] + (np.arange(resamples) * k * k)[:, None]
    return np.bincount(codes.ravel(), minlength=resamples * k * k).reshape(resamples, k, k)


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
    k = len(labels)
    point = _summaries(confusion(gold_a, pred_a, k))
    samples = _summaries(resampled_confusions(gold_a, pred_a, k, resamples, seed))
    alpha = (1 - level) / 2

    def est(name: str) -> dict[str, Any]:
        lo, hi = np.quantile(samples[name], [alpha, 1 - alpha]) if len(gold_a) else (np.nan,) * 2
        return {"value": float(point[name]), "ci": [float(lo), float(hi)]}

    _, _, _, support = _prf(confusion(gold_a, pred_a, k))
    result: dict[str, Any] = {
        name: est(name)
        for name in ("accuracy", "macro_precision", "macro_recall", "macro_f1",
                     "weighted_precision", "weighted_recall", "weighted_f1")
    }
    result["per_class"] = {
        label: {
            "precision": est(f"precision_{i}"),
            "recall": est(f"recall_{i}"),
            "f1": est(f"f1_{i}"),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    result["confusion_matrix"] = confusion(gold_a, pred_a, k).tolist()
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
    g = np.asarray(gold, dtype=int)
    a = _summaries(resampled_confusions(g, np.asarray(pred_a, dtype=int), k, resamples, seed))
    b = _summaries(resampled_confusions(g, np.asarray(pred_b, dtype=int), k, resamples, seed))
    alpha = (1 - level) / 2
    lo, hi = np.quantile(a[metric] - b[metric], [alpha, 1 - alpha])
    return [float(lo), float(hi)]
