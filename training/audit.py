"""Find likely mislabelled corpus rows from out-of-fold probabilities.

Out-of-fold probabilities come from logistic regression on the base encoder's
sentence embeddings (5-fold, so no row is scored by a model that saw it).
Label issues are then found with confident learning (Northcutt et al., 2021):
cleanlab when installed, otherwise the same per-class-threshold rule
implemented here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from framelens.data.errors import DataError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict


def out_of_fold_probs(embeddings: np.ndarray, labels: np.ndarray, folds: int = 5,
                      seed: int = 13) -> np.ndarray:
    """(n, classes) probabilities, each row from the fold model that did not see it."""
    counts = np.bincount(np.asarray(labels, dtype=int))
    rare = [int(c) for c in np.flatnonzero((counts > 0) & (counts < folds))]
    if rare:
        # Stratified folds need every class in every fold; sklearn would fail with a trace.
        raise DataError.single("(corpus)", None, "labels",
                               f"class id(s) {rare} have fewer than {folds} rows; "
                               f"{folds}-fold auditing needs at least {folds} per label")
    clf = LogisticRegression(C=4.0, max_iter=3000, random_state=seed)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_predict(clf, embeddings, labels, cv=cv, method="predict_proba")


def confident_learning_issues(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Indices whose given label is probably wrong, most suspicious first.

    Per class j the threshold t_j is the mean predicted probability of j over
    rows labelled j. A row is flagged when its given label's probability is
    below that label's threshold and another class clears its own threshold.
    """
    k = probs.shape[1]
    thresholds = np.array([probs[labels == j, j].mean() if (labels == j).any() else 1.0
                           for j in range(k)])
    above = probs >= thresholds
    given_p = probs[np.arange(len(labels)), labels]
    other = above.copy()
    other[np.arange(len(labels)), labels] = False
    flagged = np.flatnonzero(other.any(axis=1) & (given_p < thresholds[labels]))
    return flagged[np.argsort(given_p[flagged], kind="stable")]


def find_issues(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, str]:
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        return confident_learning_issues(labels, probs), "confident learning (framelens)"
    idx = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
    return np.asarray(idx), "cleanlab find_label_issues"


def audit_rows(
    rows: Sequence[dict[str, Any]], texts: Sequence[str], labels: np.ndarray, probs: np.ndarray,
    label_names: Sequence[str],
) -> tuple[list[dict[str, Any]], str]:
    idx, method = find_issues(labels, probs)
    out = []
    for i in idx:
        out.append({
            "id": rows[i].get("id", i),
            "text": texts[i],
            "given": label_names[labels[i]],
            "suggested": label_names[int(probs[i].argmax())],
            "p_given": round(float(probs[i, labels[i]]), 4),
            "p_suggested": round(float(probs[i].max()), 4),
            **{k: rows[i][k] for k in ("conflict", "register", "split") if k in rows[i]},
        })
    return out, method
