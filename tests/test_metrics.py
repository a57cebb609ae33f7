"""The local evaluate metric module must agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from framelens.training.metrics import classification_metrics, load_metric
from framelens.training.metrics.classification import METRIC_DIR
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

LABELS = ["humanitarian", "counter_terrorism", "neutral"]


def _random(seed: int, n: int = 200, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, k, size=n)
    pred = np.where(rng.random(n) < 0.6, gold, rng.integers(0, k, size=n))
    return gold, pred


def _assert_matches_sklearn(ours: dict, gold, pred, labels) -> None:
    ids = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=ids, zero_division=0)
    assert ours["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    for avg in ("macro", "weighted"):
        sp, sr, sf, _ = precision_recall_fscore_support(
            gold, pred, labels=ids, average=avg, zero_division=0
        )
        assert ours[f"{avg}_precision"] == pytest.approx(sp)
        assert ours[f"{avg}_recall"] == pytest.approx(sr)
        assert ours[f"{avg}_f1"] == pytest.approx(sf)
    for i, name in enumerate(labels):
        assert ours["per_class"][name]["precision"] == pytest.approx(p[i])
        assert ours["per_class"][name]["recall"] == pytest.approx(r[i])
        assert ours["per_class"][name]["f1"] == pytest.approx(f[i])
        assert ours["per_class"][name]["support"] == s[i]
    assert ours["confusion_matrix"] == confusion_matrix(gold, pred, labels=ids).tolist()


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_sklearn(seed):
    gold, pred = _random(seed)
    _assert_matches_sklearn(classification_metrics(pred, gold, LABELS), gold, pred, LABELS)


@pytest.mark.parametrize("k", [2, 5])
def test_agrees_with_sklearn_for_other_label_counts(k):
    gold, pred = _random(k, n=120, k=k)
    labels = [f"label_{i}" for i in range(k)]
    _assert_matches_sklearn(classification_metrics(pred, gold, labels), gold, pred, labels)


def test_class_never_predicted_counts_as_zero():
    gold = [0, 0, 1, 1, 2, 2]
    pred = [0, 0, 1, 1, 1, 1]  # 'neutral' never predicted
    ours = classification_metrics(pred, gold, LABELS)
    sf = precision_recall_fscore_support(gold, pred, labels=[0, 1, 2], average="macro",
                                         zero_division=0)[2]
    assert ours["per_class"]["neutral"]["precision"] == 0.0
    assert ours["macro_f1"] == pytest.approx(sf)


def test_class_absent_everywhere_still_counts_in_the_macro_average():
    gold = [0, 1, 0, 1]
    ours = classification_metrics(gold, gold, LABELS)  # perfect, but 'neutral' never occurs
    assert ours["per_class"]["neutral"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                            "support": 0}
    assert ours["macro_f1"] == pytest.approx(2 / 3)
    assert ours["confusion_matrix"][2] == [0, 0, 0]


def test_metric_is_the_local_module(monkeypatch):
    # Loaded by path, never by hub name: offline evaluation depends on it.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert (METRIC_DIR / "framelens_classification.py").is_file()
    assert load_metric().name == "framelens_classification"
