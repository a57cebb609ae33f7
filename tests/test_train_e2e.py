"""Train -> save -> reload -> predict -> evaluate on a tiny BERT, end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import MINI_CORPUS, tiny_config


def test_output_dir_is_a_clean_hf_model_dir(trained_frame):
    names = {p.name for p in trained_frame.iterdir()}
    for required in ("config.json", "model.safetensors", "README.md", "metrics.json",
                     "training_config.json", "framelens.json", "tokenizer_config.json"):
        assert required in names, required
    # No optimizer state, trainer state or checkpoints in the final directory.
    assert not any(n.startswith("checkpoint") or n in {"optimizer.pt", "trainer_state.json"}
                   for n in names)
    assert not (trained_frame.parent / f".{trained_frame.name}.checkpoints").exists()

    config = json.loads((trained_frame / "config.json").read_text())
    assert config["id2label"] == {"0": "humanitarian", "1": "counter_terrorism", "2": "neutral"}
    assert config["label2id"] == {"humanitarian": 0, "counter_terrorism": 1, "neutral": 2}
    assert config["problem_type"] == "single_label_classification"


def test_model_card_front_matter(trained_frame):
    card = (trained_frame / "README.md").read_text()
    front = card.split("---")[1]
    for key in ("base_model:", "pipeline_tag: text-classification", "language:", "metrics:",
                "labels:", "counter_terrorism"):
        assert key in front, key
    for section in ("## Training data", "## Evaluation", "## Intended use", "## Limits"):
        assert section in card


def test_metrics_json_matches_recomputed_dev_scores(trained_frame):
    from framelens.models.predictor import Classifier
    from framelens.training.evaluation.scoring import score_file

    saved = json.loads((trained_frame / "metrics.json").read_text())
    scored = score_file(Classifier.load(trained_frame), MINI_CORPUS)
    assert saved["dev"]["macro_f1"] == pytest.approx(scored.metrics["macro_f1"], abs=1e-6)
    assert saved["n_train"] == 46


def test_tiny_model_learns_something(trained_frame):
    # 20 epochs at lr 3e-3 on its own training data must beat the majority rate (0.39).
    metrics = json.loads((trained_frame / "metrics.json").read_text())["dev"]
    assert metrics["accuracy"] > 0.45


def test_hf_auto_classes_and_pipeline_agree_with_framelens(trained_frame):
    from framelens.models.predictor import Classifier
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    texts = [json.loads(line)["text"] for line in MINI_CORPUS.read_text().splitlines()][:20]
    model = AutoModelForSequenceClassification.from_pretrained(trained_frame)
    tokenizer = AutoTokenizer.from_pretrained(trained_frame)
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    hf_labels = [out["label"] for out in pipe(texts)]
    ours = Classifier.load(trained_frame).predict(texts)
    assert hf_labels == [p.label for p in ours]
    # Probabilities agree too, not just the argmax.
    hf_top = [out["score"] for out in pipe(texts)]
    np.testing.assert_allclose(hf_top, [max(p.scores.values()) for p in ours], atol=1e-5)


def test_predictions_carry_probabilities(trained_frame):
    from framelens import Classifier

    preds = Classifier.load(trained_frame).predict(["Aid trucks reached the camp.", "Talks resume."])
    assert len(preds) == 2
    for p in preds:
        assert set(p.scores) == {"humanitarian", "counter_terrorism", "neutral"}
        assert sum(p.scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert p.label == max(p.scores, key=p.scores.get)


def test_batch_order_independent_of_length_sorting(trained_frame):
    from framelens import Classifier

    clf = Classifier.load(trained_frame)
    texts = ["Short.", "A much longer sentence about convoys reaching the besieged district today.",
             "Mid length sentence here."]
    together = clf.predict_proba(texts, batch_size=2)
    alone = np.vstack([clf.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_resume_continues_from_checkpoint(tiny_base_dir, tmp_path):
    from framelens.training.trainer import checkpoint_dir, train

    out = tmp_path / "resumable"
    train(tiny_config(tiny_base_dir, out, epochs=1, keep_checkpoints=True))
    ckpt = checkpoint_dir(out)
    assert any(ckpt.glob("checkpoint-*"))
    result = train(tiny_config(tiny_base_dir, out, epochs=2, resume=True))
    history = json.loads((out / "metrics.json").read_text())["history"]
    # Resumed run keeps the first epoch's log and adds the second.
    assert [h["epoch"] for h in history] == [1.0, 2.0]
    assert result.epochs_run == 2.0
    assert not ckpt.exists()


def test_class_weights_train(tiny_base_dir, tmp_path):
    from framelens.training.trainer import train

    result = train(tiny_config(tiny_base_dir, tmp_path / "cw", epochs=1, class_weights=True))
    assert 0.0 <= result.dev_metrics["macro_f1"] <= 1.0


def test_bad_data_fails_before_training(tiny_base_dir, tmp_path):
    from framelens.data.errors import DataError
    from framelens.training.trainer import train

    bad = tmp_path / "bad.csv"
    bad.write_text("text,frame\nShelling hit the market.,humanitarian\nTalks resume.,diplomacy\n")
    with pytest.raises(DataError, match=r"bad.csv:3: frame: unknown label 'diplomacy'"):
        train(tiny_config(tiny_base_dir, tmp_path / "never", train=str(bad)))
    assert not (tmp_path / "never").exists()


def test_bundle_predicts_both_tasks(trained_bundle):
    from framelens.models.predictor import BundleClassifier

    from framelens import Classifier

    model = Classifier.load(trained_bundle)
    assert isinstance(model, BundleClassifier)
    out = model.predict(["The army opened two corridors for families."])
    assert set(out[0]) == {"frame", "stance"}
    assert out[0]["stance"].label in {"supportive", "critical", "neutral"}


def test_multi_label_task_trains_and_predicts(tiny_base_dir, mini_corpus, tmp_path):
    from framelens.models.predictor import Classifier
    from framelens.training.trainer import train

    rows = [json.loads(line) for line in mini_corpus.read_text().splitlines()]
    data = tmp_path / "multi.jsonl"
    with data.open("w") as fh:
        for r in rows:
            tags = [r["frame"]] + (["contested"] if r["stance"] == "critical" else [])
            fh.write(json.dumps({"text": r["text"], "tags": ";".join(tags)}) + "\n")
    task = {"name": "tags", "labels": ["humanitarian", "counter_terrorism", "neutral", "contested"],
            "multi_label": True}
    cfg = tiny_config(tiny_base_dir, tmp_path / "multi", train=str(data), dev=str(data),
                      epochs=2, task="tags", task_definition=task)
    result = train(cfg)
    assert "micro_f1" in result.dev_metrics
    config = json.loads((tmp_path / "multi" / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    pred = Classifier.load(tmp_path / "multi").predict(["Shelling killed residents."])[0]
    assert set(pred.scores) == set(task["labels"])
    assert all(0 <= p <= 1 for p in pred.scores.values())  # independent sigmoids


def test_training_with_calibration_stores_a_temperature(tiny_base_dir, tmp_path):
    from framelens.models.predictor import Classifier
    from framelens.training.trainer import train

    train(tiny_config(tiny_base_dir, tmp_path / "cal", epochs=2, calibrate=True))
    meta = json.loads((tmp_path / "cal" / "framelens.json").read_text())
    assert meta["temperature"] > 0
    assert {"ece_before", "ece_after"} <= set(meta["extra"]["calibration"])
    assert Classifier.load(tmp_path / "cal").metadata.temperature == meta["temperature"]
