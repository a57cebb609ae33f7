"""Metrics per value of a metadata column (conflict, register, source type ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from framelens.data.errors import ConfigError
from framelens.training.evaluation.bootstrap import bootstrap_metrics

# Below this many rows a slice's numbers are too noisy to compare; flag them.
SMALL_SLICE = 30


def slice_metrics(
    rows: Sequence[dict[str, Any]],
    column: str,
    gold: np.ndarray,
    pred: np.ndarray,
    resamples: int = 1000,
    seed: int = 13,
    baseline_pred: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """One entry per value of `column`, largest slice first.

    Macro-F1 in a slice averages over the classes that occur in that slice's
    gold or predicted labels (scikit-learn's default), so a slice without any
    neutral sentences is not penalised for it. With `baseline_pred` (the TF-IDF
    baseline's predictions on the same rows) each entry also gets the baseline's
    macro-F1 in that slice: an overall lead can hide slices where a lexical model
    does as well.
    """
    if not rows or column not in rows[0]:
        raise ConfigError(f"cannot slice by {column!r}: the data has no such column")
    values = np.asarray([str(r.get(column)) for r in rows])
    out = []
    for value in sorted(set(values), key=lambda v: (-int((values == v).sum()), v)):
        mask = values == value
        g, p = gold[mask], pred[mask]
        present = sorted(set(g.tolist()) | set(p.tolist()))
        remap = {c: i for i, c in enumerate(present)}
        m = bootstrap_metrics([remap[x] for x in g], [remap[x] for x in p],
                              [str(c) for c in present], resamples=resamples, seed=seed)
        entry = {
            "value": value, "n": int(mask.sum()), "small": bool(mask.sum() < SMALL_SLICE),
            "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
        }
        if baseline_pred is not None:
            entry["baseline_macro_f1"] = _macro_f1(g, baseline_pred[mask])
        out.append(entry)
    return out


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Point macro-F1 over the classes present in gold or pred (as the model's slice score)."""
    from sklearn.metrics import f1_score

    present = sorted(set(gold.tolist()) | set(pred.tolist()))
    return float(f1_score(gold, pred, labels=present, average="macro", zero_division=0))
