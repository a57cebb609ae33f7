"""Joint training: one shared encoder, a head per task, saved as standard HF directories."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import MINI_CORPUS, tiny_config


@pytest.fixture(scope="module")
def shared_bundle(tiny_base_dir, tmp_path_factory):
    from framelens.training.multitask import train_joint_and_save

    out = tmp_path_factory.mktemp("joint") / "bundle"
    cfg = tiny_config(tiny_base_dir, out, tasks=["frame", "stance"], epochs=15,
                      task_weights={"frame": 1.0, "stance": 0.5})
    result = train_joint_and_save(cfg)
    assert set(result.results) == {"frame", "stance"}
    return out


def test_bundle_layout_and_shared_flag(shared_bundle):
    meta = json.loads((shared_bundle / "framelens_bundle.json").read_text())
    assert meta == {"tasks": {"frame": "frame", "stance": "stance"}, "shared_encoder": True}
    for task in ("frame", "stance"):
        names = {p.name for p in (shared_bundle / task).iterdir()}
        assert {"config.json", "model.safetensors", "framelens.json", "README.md"} <= names
    assert not list(shared_bundle.parent.glob(".bundle.*"))


def test_each_task_dir_is_a_standard_hf_model_that_agrees_with_framelens(shared_bundle):
    from framelens.models.predictor import Predictor
    from transformers import pipeline

    texts = [json.loads(line)["text"] for line in MINI_CORPUS.read_text().splitlines()][:12]
    predictor = Predictor.load(shared_bundle)
    assert predictor.shared_encoder
    logits = predictor.logits(texts)
    for task in ("frame", "stance"):
        pipe = pipeline("text-classification", model=str(shared_bundle / task), device="cpu",
                        top_k=None)
        for text, row, hf in zip(texts, logits[task], pipe(texts), strict=True):
            probs = np.exp(row - row.max())
            probs /= probs.sum()
            labels = predictor.labels(task)
            hf_probs = {d["label"]: d["score"] for d in hf}
            np.testing.assert_allclose([hf_probs[lab] for lab in labels], probs, atol=1e-5,
                                       err_msg=text)


def test_shared_pass_equals_separate_passes(shared_bundle):
    from framelens.models.predictor import Predictor, TaskModel

    texts = ["Shelling hit the market at dawn.", "Talks resume on Monday in Geneva.",
             "Troops cleared the last extremist hideouts."]
    shared = Predictor.load(shared_bundle)
    separate = Predictor({t: TaskModel.load(shared_bundle / t) for t in ("frame", "stance")})
    assert not separate.shared_encoder
    a, b = shared.predict_proba(texts), separate.predict_proba(texts)
    for task in ("frame", "stance"):
        np.testing.assert_allclose(a[task], b[task], atol=1e-5)
    # One encoder in memory: the stance model uses the frame model's encoder object.
    assert shared.model("stance").model.bert is shared.model("frame").model.bert


def test_encoder_sharing_is_checked_not_trusted(shared_bundle, tmp_path):
    import shutil

    import torch
    from framelens.models.predictor import Predictor
    from safetensors.torch import load_file, save_file

    copy = tmp_path / "tampered"
    shutil.copytree(shared_bundle, copy)
    weights = copy / "stance" / "model.safetensors"
    state = load_file(weights)
    key = next(k for k in state if k.startswith("bert.encoder"))
    state[key] = state[key] + torch.ones_like(state[key])
    save_file(state, weights, metadata={"format": "pt"})
    predictor = Predictor.load(copy)
    assert not predictor.shared_encoder  # weights differ: each task runs its own encoder


def test_joint_training_needs_two_builtin_tasks(tiny_base_dir):
    from framelens.data.errors import ConfigError

    with pytest.raises(ConfigError, match="at least two different tasks"):
        tiny_config(tiny_base_dir, None, tasks=["frame"])
    with pytest.raises(ConfigError, match="task_weights names tasks not trained"):
        tiny_config(tiny_base_dir, None, tasks=["frame", "stance"], task_weights={"tone": 1.0})


def test_train_command_with_tasks_writes_a_shared_bundle(tiny_base_dir, tmp_path):
    from typer.testing import CliRunner

    from framelens.cli.main import app

    out = tmp_path / "bundle"
    result = CliRunner().invoke(app, [
        "train", "--tasks", "frame,stance", "--train", str(MINI_CORPUS), "--dev",
        str(MINI_CORPUS), "--out", str(out), "--base-model", str(tiny_base_dir), "--epochs", "1",
        "--max-length", "32", "--no-calibrate"])
    assert result.exit_code == 0, result.output
    assert "frame + stance (shared encoder)" in " ".join(result.output.split())
    assert json.loads((out / "framelens_bundle.json").read_text())["shared_encoder"] is True
