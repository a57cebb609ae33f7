"""The local evaluate metric module must agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from framelens.training.metrics import classification_metrics
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

LABELS = ["humanitarian", "counter_terrorism", "neutral"]


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_sklearn(seed):
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 3, size=200)
    pred = np.where(rng.random(200) < 0.6, gold, rng.integers(0, 3, size=200))
    ours = classification_metrics(pred, gold, LABELS)
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=[0, 1, 2], zero_division=0)
    assert ours["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    for avg in ("macro", "weighted"):
        sp, sr, sf, _ = precision_recall_fscore_support(
            gold, pred, labels=[0, 1, 2], average=avg, zero_division=0
        )
        assert ours[f"{avg}_precision"] == pytest.approx(sp)
        assert ours[f"{avg}_recall"] == pytest.approx(sr)
        assert ours[f"{avg}_f1"] == pytest.approx(sf)
    for i, name in enumerate(LABELS):
        assert ours["per_class"][name]["f1"] == pytest.approx(f[i])
        assert ours["per_class"][name]["support"] == s[i]
    assert ours["confusion_matrix"] == confusion_matrix(gold, pred, labels=[0, 1, 2]).tolist()


def test_class_never_predicted_counts_as_zero():
    gold = [0, 0, 1, 1, 2, 2]
    pred = [0, 0, 1, 1, 1, 1]  # 'neutral' never predicted
    ours = classification_metrics(pred, gold, LABELS)
    sf = precision_recall_fscore_support(gold, pred, labels=[0, 1, 2], average="macro",
                                         zero_division=0)[2]
    assert ours["per_class"]["neutral"]["precision"] == 0.0
    assert ours["macro_f1"] == pytest.approx(sf)
