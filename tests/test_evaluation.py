"""Evaluation numbers: bootstrap CIs, calibration, slices, errors, baselines, challenge, crossval."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from framelens.data.errors import ConfigError
from framelens.training.evaluation.bootstrap import (
    bootstrap_metrics,
    paired_delta_ci,
    percentile_interval,
    resample_indices,
    resampled_metrics,
)
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
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
)

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
    assert m["weighted_f1"]["value"] == pytest.approx(f1_score(gold, pred, average="weighted"))
    assert m["accuracy"]["value"] == pytest.approx(accuracy_score(gold, pred))
    per_class = f1_score(gold, pred, average=None)
    for i, label in enumerate(LABELS):
        assert m["per_class"][label]["f1"]["value"] == pytest.approx(per_class[i])
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


def test_resampled_metrics_match_sklearn_on_the_same_rows():
    # The vectorised bincount scores must equal scikit-learn on each resample's rows.
    gold, pred = _data(150, seed=4)
    samples = resampled_metrics(gold, pred, 3, resamples=5, seed=9)
    for b, rows in enumerate(resample_indices(len(gold), 5, seed=9)):
        g, p = gold[rows], pred[rows]
        assert samples["accuracy"][b] == pytest.approx(accuracy_score(g, p))
        for avg in ("macro", "weighted"):
            sp, sr, sf, _ = precision_recall_fscore_support(g, p, labels=[0, 1, 2], average=avg,
                                                           zero_division=0)
            assert samples[f"{avg}_precision"][b] == pytest.approx(sp)
            assert samples[f"{avg}_recall"][b] == pytest.approx(sr)
            assert samples[f"{avg}_f1"][b] == pytest.approx(sf)
        per_f1 = f1_score(g, p, labels=[0, 1, 2], average=None, zero_division=0)
        for k in range(3):
            assert samples[f"f1_{k}"][b] == pytest.approx(per_f1[k])


def test_macro_f1_interval_agrees_with_scipy_bootstrap():
    """Our percentile CI of macro-F1 against scipy's, with scikit-learn's F1 per resample.

    Different random resamples, so the endpoints agree only up to Monte Carlo error
    (about 0.001 here). The tolerance is well under what a wrong implementation moves
    them: a 90% instead of a 95% interval shifts them by more than 0.006, resampling gold
    and predictions independently by more than 0.4.
    """
    from scipy.stats import bootstrap

    gold, pred = _data(300, seed=0)

    def macro_f1(g: np.ndarray, p: np.ndarray) -> float:
        return f1_score(g, p, labels=[0, 1, 2], average="macro", zero_division=0)

    ref = bootstrap((gold, pred), macro_f1, paired=True, vectorized=False, method="percentile",
                    confidence_level=0.95, n_resamples=2000, rng=np.random.default_rng(7))
    expected = np.array([ref.confidence_interval.low, ref.confidence_interval.high])
    tolerance = 0.003
    ours = bootstrap_metrics(gold, pred, LABELS, resamples=4000, seed=11)["macro_f1"]["ci"]
    assert np.abs(np.array(ours) - expected).max() < tolerance
    # The test can tell: the same resamples read at the wrong level fail it.
    wrong_level = percentile_interval(resampled_metrics(gold, pred, 3, 4000, 11)["macro_f1"], 0.90)
    assert np.abs(np.array(wrong_level) - expected).max() > tolerance


def test_evaluation_does_not_import_the_trainer():
    # The house rule: evaluation never imports the trainer, calibration or cross-validation.
    folder = Path(__file__).resolve().parents[1] / "training" / "evaluation"
    banned = ("framelens.training.trainer", "framelens.training.calibrate", "crossval")
    for path in folder.glob("*.py"):
        if path.name == "crossval.py":  # moving out of this folder; it composes both
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not any(b in name for b in banned), f"{path.name} imports {name}"


def test_calibration_metrics():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 3)) * 3
    probs = softmax(logits)
    gold = np.array([rng.choice(3, p=p) for p in probs])  # calibrated by construction
    assert our_log_loss(probs, gold) == pytest.approx(log_loss(gold, probs, labels=[0, 1, 2]))
    assert expected_calibration_error(probs, gold) < 0.08
    overconfident = softmax(logits * 4)
    assert expected_calibration_error(overconfident, gold) > 0.1
    assert sum(b["count"] for b in reliability_bins(probs, gold)) == 500


@pytest.mark.parametrize("k", [2, 3, 4])
def test_brier_is_the_sum_of_per_class_briers(k):
    # Multi-class Brier = the one-vs-rest binary Brier of each class, summed; never halved,
    # so two labels read on the same [0, 2] scale as three.
    rng = np.random.default_rng(k)
    probs = softmax(rng.normal(size=(200, k)) * 2)
    gold = rng.integers(0, k, 200)
    per_class = sum(brier_score_loss(gold == j, probs[:, j]) for j in range(k))
    assert brier(probs, gold) == pytest.approx(per_class)
    assert brier(probs, gold) == pytest.approx(((probs - np.eye(k)[gold]) ** 2).sum(1).mean())


def test_log_loss_counts_classes_no_gold_row_has():
    probs = softmax(np.array([[2.0, 0.0, -1.0], [1.0, 0.5, 0.0]]))
    gold = np.array([0, 0])  # only class 0 occurs
    expected = -np.log(probs[:, 0]).mean()
    assert our_log_loss(probs, gold) == pytest.approx(expected)


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
    with pytest.raises(ConfigError, match="no such column"):
        slice_metrics(rows, "register", gold, pred)


def test_slices_score_the_baseline_in_the_same_rows():
    gold = np.array([0, 1, 2] * 20)
    pred = gold.copy()
    baseline = gold.copy()
    baseline[:30] = 0  # the baseline is right on slice "b" only
    rows = [{"version": "a"}] * 30 + [{"version": "b"}] * 30
    out = {s["value"]: s for s in slice_metrics(rows, "version", gold, pred, resamples=100,
                                                baseline_pred=baseline)}
    assert out["b"]["baseline_macro_f1"] == 1.0
    assert out["a"]["baseline_macro_f1"] == pytest.approx(f1_score(
        gold[:30], baseline[:30], average="macro"))
    assert "baseline_macro_f1" not in slice_metrics(rows, "version", gold, pred, resamples=100)[0]


def test_errors_sorted_by_confidence_of_the_wrong_answer():
    probs = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.4, 0.35, 0.25]])
    gold = np.array([0, 0, 0, 1])
    rows = [{"id": i} for i in range(4)]
    errs = error_rows(rows, ["a", "b", "c", "d"], gold, probs, LABELS)
    assert [e["text"] for e in errs] == ["b", "c", "d"]
    assert errs[0]["predicted"] == "counter_terrorism" and errs[0]["meta"] == {"id": 1}


def test_baselines_and_challenge_on_tiny_model(trained_frame, mini_corpus):
    from framelens.models.predictor import Predictor
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
    assert "chosen on dev" in tf.note
    assert "untuned" in tfidf_lr(texts, labels, texts, 3).note

    res = run_challenge(Predictor.load(trained_frame))
    assert res["n"] >= 300 and 0 <= res["pass_rate"] <= 1
    caps = {c["capability"]: c for c in res["capabilities"]}
    assert "invariance_names" in caps and "sets" in caps["invariance_names"]
    for c in caps.values():
        assert c["passed"] + len(c["failures"]) == c["n"] or len(c["failures"]) == 50


def test_crossval_tfidf_and_transformer(tiny_base_dir, mini_corpus, tmp_path):
    from conftest import tiny_config
    from framelens.data.tasks import get_task
    from framelens.training.crossval import crossval

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
    assert (tmp_path / "cv" / "crossval-frame.md").read_text().count("|") > 10
    # A rerun reuses finished folds instead of retraining.
    cached = tmp_path / "cv" / "folds" / "transformer-frame-north.json"
    data = json.loads(cached.read_text())
    data["macro_f1"] = 0.123
    cached.write_text(json.dumps(data))
    again = crossval(rows, get_task("frame"), "conflict", tmp_path / "cv", cfg,
                     methods=["transformer"], groups=["north"])
    assert again["methods"]["transformer"]["per_group"]["north"]["macro_f1"] == 0.123
