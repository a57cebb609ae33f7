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
    for key in ("pipeline_tag: text-classification", "language:"):
        assert key in front, key
    for section in ("## Training data", "## Evaluation", "## Intended use", "## Limits"):
        assert section in card


def test_no_local_absolute_paths_in_saved_files(trained_frame):
    for name in ("README.md", "metrics.json", "training_config.json", "framelens.json"):
        text = (trained_frame / name).read_text()
        assert str(trained_frame.parent) not in text, name
        assert "/tmp/" not in text, name


def test_metrics_json_matches_recomputed_dev_scores(trained_frame):
    from framelens.models.predictor import Predictor
    from sklearn.metrics import f1_score

    saved = json.loads((trained_frame / "metrics.json").read_text())
    rows = [json.loads(line) for line in MINI_CORPUS.read_text().splitlines()]
    predictor = Predictor.load(trained_frame)
    probs = predictor.predict_proba([r["text"] for r in rows])["frame"]
    gold = [predictor.labels().index(r["frame"]) for r in rows]
    expected = f1_score(gold, probs.argmax(1), average="macro")
    assert saved["dev"]["macro_f1"] == pytest.approx(expected, abs=1e-6)
    assert saved["n_train"] == 46


def test_tiny_model_learns_something(trained_frame):
    # 20 epochs at lr 3e-3 on its own training data must beat the majority rate (0.39).
    metrics = json.loads((trained_frame / "metrics.json").read_text())["dev"]
    assert metrics["accuracy"] > 0.45


def test_hf_auto_classes_and_pipeline_agree_with_framelens(trained_frame):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    from framelens import Classifier

    texts = [json.loads(line)["text"] for line in MINI_CORPUS.read_text().splitlines()][:20]
    model = AutoModelForSequenceClassification.from_pretrained(trained_frame)
    tokenizer = AutoTokenizer.from_pretrained(trained_frame)
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    hf_labels = [out["label"] for out in pipe(texts)]
    ours = Classifier.load(trained_frame).predict(texts)
    assert hf_labels == [p["frame"].label for p in ours]
    # Probabilities agree too, not just the argmax (uncalibrated model: T = 1).
    hf_top = [out["score"] for out in pipe(texts)]
    np.testing.assert_allclose(hf_top, [p["frame"].confidence for p in ours], atol=1e-4)
    # The saved tokenizer truncates where framelens does.
    assert tokenizer.model_max_length == 32


def test_predictions_carry_probabilities(trained_frame):
    from framelens import Classifier

    preds = Classifier.load(trained_frame).predict(["Aid trucks reached the camp.", "Talks resume."])
    assert len(preds) == 2
    for p in preds:
        scores = p["frame"].probabilities
        assert set(scores) == {"humanitarian", "counter_terrorism", "neutral"}
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert p["frame"].label == max(scores, key=scores.get)


def test_batch_order_independent_of_length_sorting(trained_frame):
    from framelens.models.predictor import Predictor

    clf = Predictor.load(trained_frame)
    texts = ["Short.", "A much longer sentence about convoys reaching the besieged district today.",
             "Mid length sentence here."]
    together = clf.predict_proba(texts, batch_size=2)["frame"]
    alone = np.vstack([clf.predict_proba([t])["frame"] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_resume_continues_from_checkpoint(tiny_base_dir, tmp_path):
    from framelens.training.trainer import checkpoint_dir, train_and_save

    out = tmp_path / "resumable"
    train_and_save(tiny_config(tiny_base_dir, out, epochs=1, keep_checkpoints=True))
    ckpt = checkpoint_dir(out)
    assert any(ckpt.glob("checkpoint-*"))
    result = train_and_save(tiny_config(tiny_base_dir, out, epochs=2, resume=True), overwrite=True)
    history = json.loads((out / "metrics.json").read_text())["history"]
    # Resumed run keeps the first epoch's log and adds the second.
    assert [h["epoch"] for h in history] == [1.0, 2.0]
    assert result.epochs_run == 2.0
    assert not ckpt.exists()


def test_class_weight_loss_weights_rare_classes():
    import torch
    from framelens.training.trainer import _class_weight_loss

    labels = [0] * 8 + [1] * 2  # class 2 absent: its weight must not blow up
    loss = _class_weight_loss(labels, 3)
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.5, 0.0]])  # unequal per-row losses
    gold = torch.tensor([0, 1])

    class Out:
        pass

    out = Out()
    out.logits = logits
    weights = torch.tensor([10 / (3 * 8), 10 / (3 * 2), 10 / 3])
    expected = torch.nn.functional.cross_entropy(logits, gold, weight=weights)
    assert loss(out, gold).item() == pytest.approx(expected.item(), rel=1e-6)
    assert loss(out, gold).item() != pytest.approx(
        torch.nn.functional.cross_entropy(logits, gold).item(), rel=1e-3)


def test_class_weights_change_what_is_trained(tiny_base_dir, tmp_path):
    """Same seed and data, weights on vs off: the trained weights must differ (a run that
    ignored the option would reproduce the unweighted model exactly)."""
    from framelens.training.trainer import train

    rows = [json.loads(line) for line in MINI_CORPUS.read_text().splitlines()]
    skewed = tmp_path / "skewed.jsonl"  # most rows one class, so the weights matter
    keep = [r for r in rows if r["frame"] == "humanitarian"] + [
        r for r in rows if r["frame"] != "humanitarian"][:6]
    skewed.write_text("".join(json.dumps(r) + "\n" for r in keep))
    params = []
    for weighted in (False, True):
        result = train(tiny_config(tiny_base_dir, None, epochs=1, class_weights=weighted,
                                   train=str(skewed)))
        params.append(result.model.model.classifier.weight.detach().clone())
    assert not np.allclose(params[0].numpy(), params[1].numpy())


def test_bad_data_fails_before_training(tiny_base_dir, tmp_path):
    from framelens.data.errors import DataError
    from framelens.training.trainer import train

    bad = tmp_path / "bad.csv"
    bad.write_text("text,frame\nShelling hit the market.,humanitarian\nTalks resume.,diplomacy\n")
    with pytest.raises(DataError, match=r"bad.csv:3: frame: unknown label 'diplomacy'"):
        train(tiny_config(tiny_base_dir, tmp_path / "never", train=str(bad)))
    assert not (tmp_path / "never").exists()


def test_bundle_predicts_both_tasks(trained_bundle):
    from framelens import Classifier

    model = Classifier.load(trained_bundle)
    assert model.tasks == ["frame", "stance"]
    out = model.predict(["The army opened two corridors for families."])
    assert set(out[0].tasks) == {"frame", "stance"}
    assert out[0]["stance"].label in {"supportive", "critical", "neutral"}


def test_multi_label_task_is_refused_clearly(tiny_base_dir, tmp_path):
    from framelens.data.errors import ConfigError

    task = {"name": "tags", "labels": ["a", "b"], "multi_label": True}
    with pytest.raises(ConfigError, match="multi-label tasks are not supported"):
        tiny_config(tiny_base_dir, tmp_path / "multi", task="tags", task_definition=task)


def test_training_with_calibration_stores_a_temperature(tiny_base_dir, tmp_path):
    from framelens.models.predictor import Predictor
    from framelens.training.trainer import train_and_save

    dev = tmp_path / "dev.jsonl"  # calibration needs at least 50 rows
    dev.write_text(MINI_CORPUS.read_text() * 2)
    train_and_save(tiny_config(tiny_base_dir, tmp_path / "cal", epochs=2, calibrate=True,
                               dev=str(dev)))
    meta = json.loads((tmp_path / "cal" / "framelens.json").read_text())
    assert meta["temperature"] > 0
    assert {"ece_before", "ece_after", "kept"} <= set(meta["extra"]["calibration"])
    assert Predictor.load(tmp_path / "cal").model().metadata.temperature == meta["temperature"]
