"""Probability quality: log-loss, Brier score, expected calibration error, and
temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural Networks").

Log-loss and Brier are scikit-learn's (multi-class Brier needs scikit-learn 1.7 or
newer); ECE and the reliability bins have no scikit-learn equivalent and live here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from framelens.models.predictor import probabilities
from scipy.optimize import minimize_scalar
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sklearn_log_loss

N_BINS = 10


def log_loss(probs: np.ndarray, gold: np.ndarray) -> float:
    """Mean negative log-likelihood of the gold class; every declared class is a column,
    even one that no gold row has."""
    return float(sklearn_log_loss(gold, probs, labels=np.arange(probs.shape[1])))


def brier(probs: np.ndarray, gold: np.ndarray) -> float:
    """Multi-class Brier score: mean over rows of the squared distance to the one-hot truth.

    Never halved (scale_by_half=False), not even for two labels, so the score has the
    same [0, 2] meaning whatever the number of classes.
    """
    return float(brier_score_loss(gold, probs, labels=np.arange(probs.shape[1]),
                                  scale_by_half=False))


def reliability_bins(probs: np.ndarray, gold: np.ndarray, n_bins: int = N_BINS) -> list[dict]:
    """Equal-width bins of top-label confidence with their mean confidence and accuracy."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == gold
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin i holds confidences in (edges[i], edges[i+1]]; 0.0 goes to the first bin.
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    bins = []
    for i in range(n_bins):
        mask = which == i
        count = int(mask.sum())
        bins.append({
            "lo": float(edges[i]), "hi": float(edges[i + 1]), "count": count,
            "confidence": float(conf[mask].mean()) if count else None,
            "accuracy": float(correct[mask].mean()) if count else None,
        })
    return bins


def expected_calibration_error(probs: np.ndarray, gold: np.ndarray, n_bins: int = N_BINS) -> float:
    n = len(gold)
    return float(sum(
        b["count"] / n * abs(b["accuracy"] - b["confidence"])
        for b in reliability_bins(probs, gold, n_bins) if b["count"]
    ))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Temperature-scaled softmax: the same function predict applies."""
    return probabilities(logits, temperature)


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising dev negative log-likelihood (searched on log T)."""
    def nll(log_t: float) -> float:
        return log_loss(softmax(logits, float(np.exp(log_t))), gold)

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def temperature_scaling(logits: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """(temperature, ECE before, ECE after) fitted on held-out logits and gold ids."""
    temperature = fit_temperature(logits, gold)
    before = expected_calibration_error(softmax(logits), gold)
    after = expected_calibration_error(softmax(logits, temperature), gold)
    return temperature, before, after


def calibration_summary(probs: np.ndarray, gold: np.ndarray) -> dict[str, Any]:
    return {
        "log_loss": log_loss(probs, gold),
        "brier": brier(probs, gold),
        "ece": expected_calibration_error(probs, gold),
        "bins": reliability_bins(probs, gold),
    }
