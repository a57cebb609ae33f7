"""Exact and near-duplicate detection by token-set Jaccard similarity.

Pairwise Jaccard on a few thousand sentences is done as one sparse matrix
product (|A ∩ B| = X·Yᵀ on binary bag-of-words), which is fast enough to run
in every validation and test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

NEAR_DUPLICATE_THRESHOLD = 0.8
_TOKEN = r"(?u)\b\w+\b"


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def near_duplicate_pairs(
    left: Sequence[str],
    right: Sequence[str] | None = None,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
) -> list[tuple[int, int, float]]:
    """(i, j, jaccard) for pairs above `threshold`.

    With `right` None, pairs within `left` (i < j); otherwise pairs across.
    """
    same = right is None
    vec = CountVectorizer(binary=True, token_pattern=_TOKEN, lowercase=True)
    fitted = vec.fit(list(left) + ([] if same else list(right)))
    x = fitted.transform(left)
    y = x if same else fitted.transform(right)
    inter = (x @ y.T).tocoo()
    size_x = np.asarray(x.sum(axis=1)).ravel()
    size_y = np.asarray(y.sum(axis=1)).ravel()
    out: list[tuple[int, int, float]] = []
    for i, j, n in zip(inter.row, inter.col, inter.data, strict=True):
        if same and i >= j:
            continue
        union = size_x[i] + size_y[j] - n
        score = n / union if union else 1.0
        if score > threshold:
            out.append((int(i), int(j), float(score)))
    return sorted(out)
