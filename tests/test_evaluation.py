"""Evaluation numbers: bootstrap CIs, calibration, slices, errors, baselines, challenge, crossval."""

from __future__ import annotations

import json

import numpy as np
import pytest
from framelens.training.evaluation.bootstrap import bootstrap_metrics, paired_delta_ci
from framelens.training.evaluation.calibration import (
    brier,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
    softmax,
)
from framelens.training.evaluation.calibration import (
    log_loss as our_log_loss,
)
from framelens.training.evaluation.errors import error_rows
from framelens.training.evaluation.slices import slice_metrics
from sklearn.metrics import f1_score, log_loss

LABELS = ["humanitarian", "counter_terrorism", "neutral"]


def _data(n=300, acc=0.7, seed=0):
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < acc, gold, rng.integers(0, 3, n))
    return gold, pred


def test_bootstrap_point_estimates_match_sklearn_and_cis_bracket_them():
    gold, pred = _data()
    m = bootstrap_metrics(gold, pred, LABELS, resamples=1000, seed=1)
    assert m["macro_f1"]["value"] == pytest.approx(f1_score(gold, pred, average="macro"))
    for key in ("accuracy", "macro_f1", "weighted_f1"):
        lo, hi = m[key]["ci"]
        assert lo <= m[key]["value"] <= hi
        assert 0.02 < hi - lo < 0.25  # n=300: a few points wide, not degenerate
    assert m["per_class"]["neutral"]["support"] == int((gold == 2).sum())


def test_bootstrap_is_seeded_and_narrows_with_more_data():
    gold, pred = _data(300)
    a = bootstrap_metrics(gold, pred, LABELS, seed=5)["macro_f1"]["ci"]
    assert a == bootstrap_metrics(gold, pred, LABELS, seed=5)["macro_f1"]["ci"]
    g4, p4 = np.tile(gold, 4), np.tile(pred, 4)
    b = bootstrap_metrics(g4, p4, LABELS, seed=5)["macro_f1"]["ci"]
    assert (b[1] - b[0]) < (a[1] - a[0]) * 0.7


def test_paired_delta_ci_detects_a_real_difference():
    gold, good = _data(400, acc=0.9, seed=3)
    _, bad = _data(400, acc=0.5, seed=3)
    lo, hi = paired_delta_ci(gold, good, bad, 3)
    assert lo > 0
    lo, hi = paired_delta_ci(gold, good, good, 3)
    assert lo == hi == 0


def test_calibration_metrics():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 3)) * 3
    probs = softmax(logits)
    gold = np.array([rng.choice(3, p=p) for p in probs])  # calibrated by construction
    assert our_log_loss(probs, gold) == pytest.approx(log_loss(gold, probs, labels=[0, 1, 2]))
    assert brier(probs, gold) == pytest.approx(((probs - np.eye(3)[gold]) ** 2).sum(1).mean())
    assert expected_calibration_error(probs, gold) < 0.08
    overconfident = softmax(logits * 4)
    assert expected_calibration_error(overconfident, gold) > 0.1
    assert sum(b["count"] for b in reliability_bins(probs, gold)) == 500


def test_temperature_scaling_recovers_the_true_temperature():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2000, 3)) * 2
    gold = np.array([rng.choice(3, p=p) for p in softmax(logits)])
    t = fit_temperature(logits * 3, gold)  # logits inflated 3x: T should come out near 3
    assert t == pytest.approx(3.0, rel=0.15)
    assert our_log_loss(softmax(logits * 3, t), gold) < our_log_loss(softmax(logits * 3), gold)


def test_slices_flag_small_groups_and_use_present_classes():
    gold = np.array([0, 0, 1, 1, 2, 2] * 10 + [0, 0])
    pred = gold.copy()
    rows = [{"conflict": "a"}] * 60 + [{"conflict": "b"}] * 2
    out = {s["value"]: s for s in slice_metrics(rows, "conflict", gold, pred, resamples=200)}
    assert out["a"]["n"] == 60 and not out["a"]["small"]
    assert out["b"]["small"] and out["b"]["macro_f1"]["value"] == 1.0  # only class 0 present
    with pytest.raises(ValueError, match="no such column"):
        slice_metrics(rows, "register", gold, pred)


def test_errors_sorted_by_confidence_of_the_wrong_answer():
    probs = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.4, 0.35, 0.25]])
    gold = np.array([0, 0, 0, 1])
    rows = [{"id": i} for i in range(4)]
    errs = error_rows(rows, ["a", "b", "c", "d"], gold, probs, LABELS)
    assert [e["text"] for e in errs] == ["b", "c", "d"]
    assert errs[0]["predicted"] == "counter_terrorism" and errs[0]["meta"] == {"id": 1}


def test_baselines_and_challenge_on_tiny_model(trained_frame, mini_corpus):
    from framelens.models.predictor import Classifier
    from framelens.training.evaluation.baselines import majority, tfidf_lr
    from framelens.training.evaluation.challenge import run_challenge

    rows = [json.loads(line) for line in mini_corpus.read_text().splitlines()]
    texts = [r["text"] for r in rows]
    labels = [LABELS.index(r["frame"]) for r in rows]
    maj = majority(labels, len(texts), 3)
    most = max(set(labels), key=labels.count)
    assert (maj.probs.argmax(1) == most).all()
    tf = tfidf_lr(texts, labels, texts, 3, texts, labels)
    assert (tf.probs.argmax(1) == np.array(labels)).mean() > 0.9  # fits its own training data

    res = run_challenge(Classifier.load(trained_frame))
    assert res["n"] >= 300 and 0 <= res["pass_rate"] <= 1
    caps = {c["capability"]: c for c in res["capabilities"]}
    assert "invariance_names" in caps and "sets" in caps["invariance_names"]
    for c in caps.values():
        assert c["passed"] + len(c["failures"]) == c["n"] or len(c["failures"]) == 50


def test_crossval_tfidf_and_transformer(tiny_base_dir, mini_corpus, tmp_path):
    from conftest import tiny_config
    from framelens.data.tasks import get_task
    from framelens.training.evaluation.crossval import crossval

    rows = [json.loads(line) for line in mini_corpus.read_text().splitlines()]
    for i, r in enumerate(rows):
        r["conflict"] = ["north", "south", "east"][i % 3]
    cfg = tiny_config(tiny_base_dir, tmp_path / "unused", epochs=2)
    summary = crossval(rows, get_task("frame"), "conflict", tmp_path / "cv", cfg,
                       methods=["tfidf", "transformer"], groups=["north", "south"])
    assert summary["groups"] == ["north", "south"]
    for method in ("tfidf", "transformer"):
        agg = summary["methods"][method]
        assert set(agg["per_group"]) == {"north", "south"}
        assert 0 <= agg["mean_macro_f1"] <= 1
    assert (tmp_path / "cv" / "crossval.md").read_text().count("|") > 10
    # A rerun reuses finished folds instead of retraining.
    cached = tmp_path / "cv" / "folds" / "transformer-north.json"
    data = json.loads(cached.read_text())
    data["macro_f1"] = 0.123
    cached.write_text(json.dumps(data))
    again = crossval(rows, get_task("frame"), "conflict", tmp_path / "cv", cfg,
                     methods=["transformer"], groups=["north"])
    assert again["methods"]["transformer"]["per_group"]["north"]["macro_f1"] == 0.123
