"""Hub-ready artifacts: the model card's front matter, `framelens push`, ClassLabel
features and `--version`. No network: the Hub client is replaced or offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from framelens.data.errors import ModelError
from framelens.data.tasks import Task
from framelens.models.card import CardInfo, render_model_card
from framelens.models.hub import push_to_hub
from typer.testing import CliRunner

from framelens.cli.main import app

TASK = Task(
    name="frame",
    labels=("humanitarian", "counter_terrorism", "neutral"),
    descriptions={"humanitarian": "civilian harm, siege, aid"},
)
DEV = {
    "accuracy": 0.91234,
    "macro_f1": 0.87654,
    "per_class": {
        label: {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 10} for label in TASK.labels
    },
}


def _card(base_model: str = "sentence-transformers/all-MiniLM-L6-v2") -> str:
    return render_model_card(
        CardInfo(
            task=TASK, base_model=base_model, train_file="train.jsonl", dev_file="dev.jsonl",
            n_train=100, n_dev=20, dev_metrics=DEV, hyperparameters={"epochs": 3},
            train_seconds=12.0,
        )
    )


# -- model card -------------------------------------------------------------------------------
def test_card_front_matter_parses_back_with_model_card():
    from huggingface_hub import ModelCard

    card = ModelCard(_card())
    data = card.data.to_dict()
    assert data["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert data["pipeline_tag"] == "text-classification"
    assert data["library_name"] == "transformers"
    assert data["language"] == ["en"]
    assert data["license"] == "apache-2.0"
    assert {"framelens", "frame"} <= set(data["tags"])
    assert "labels" not in data  # not a Hub card field: labels live in config.json and the body
    scores = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert scores == {"accuracy": pytest.approx(0.9123), "f1": pytest.approx(0.8765)}
    assert {r.dataset_split for r in card.data.eval_results} == {"dev"}
    for section in ("## Labels", "## Training data", "## Evaluation", "## Training procedure",
                    "## Intended use", "## Limits", "## How to use"):
        assert section in card.text, section
    assert "| counter_terrorism | 0.900 | 0.800 | 0.850 | 10 |" in card.text
    assert "`humanitarian` (id 0): civilian harm, siege, aid" in card.text


def test_base_model_with_colon_space_stays_valid_yaml():
    from huggingface_hub import ModelCard

    text = _card(base_model="org/model: v2")
    front = yaml.safe_load(text.split("---\n")[1])  # parses: the YAML is not broken
    # Not an owner/name id, so the Hub would reject it: left out of the front matter,
    # still named in the body.
    assert "base_model" not in front
    assert "org/model: v2" in ModelCard(text).text
    kept = _card(base_model="sentence-transformers/all-MiniLM-L6-v2")
    assert ModelCard(kept).data.base_model == "sentence-transformers/all-MiniLM-L6-v2"


# -- push -------------------------------------------------------------------------------------
@pytest.fixture
def model_dir(tmp_path) -> Path:
    """Just enough of a trained model directory for push (nothing is loaded)."""
    out = tmp_path / "frame"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"id2label": {"0": "a"}}))
    (out / "model.safetensors").write_bytes(b"\0")
    (out / "README.md").write_text(_card())
    return out


def test_push_uploads_the_folder_to_the_repo(model_dir, monkeypatch):
    import huggingface_hub
    from huggingface_hub import RepoUrl

    calls: dict[str, dict] = {}

    class FakeApi:
        def __init__(self, token=None, **kwargs):
            calls["init"] = {"token": token}

        def create_repo(self, repo_id, **kwargs):
            calls["create_repo"] = {"repo_id": repo_id, **kwargs}
            return RepoUrl(f"https://huggingface.co/{repo_id}")

        def upload_folder(self, **kwargs):
            calls["upload_folder"] = kwargs

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    url = push_to_hub(model_dir, "someone/framelens-frame", private=True, token="hf_x")

    assert url == "https://huggingface.co/someone/framelens-frame"
    assert calls["init"] == {"token": "hf_x"}
    assert calls["create_repo"]["repo_id"] == "someone/framelens-frame"
    assert calls["create_repo"]["exist_ok"] is True and calls["create_repo"]["private"] is True
    assert calls["upload_folder"]["repo_id"] == "someone/framelens-frame"
    assert Path(calls["upload_folder"]["folder_path"]) == model_dir


def test_push_offline_says_what_to_do(model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as err:
        push_to_hub(model_dir, "someone/framelens-frame")
    message = str(err.value)
    assert "HF_HUB_OFFLINE" in message and "framelens push" in message
    assert "\n" not in message


def test_push_connection_error_is_one_line(model_dir, monkeypatch):
    import huggingface_hub

    class NoNetworkApi:
        def __init__(self, token=None, **kwargs):
            pass

        def create_repo(self, repo_id, **kwargs):
            raise ConnectionError("[Errno -2] Name or service not known")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "HfApi", NoNetworkApi)
    with pytest.raises(ModelError, match="not reachable") as err:
        push_to_hub(model_dir, "someone/framelens-frame")
    assert "\n" not in str(err.value)


def test_push_refuses_a_folder_that_is_not_a_model(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(ModelError, match="no config.json"):
        push_to_hub(tmp_path, "someone/framelens-frame")


def test_push_command_offline_is_one_clean_line(model_dir):
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "framelens", "push", str(model_dir), "someone/x"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "HF_HUB_OFFLINE" in proc.stderr


# -- labels as ClassLabel -----------------------------------------------------------------------
def test_labels_column_is_a_class_label(tmp_path):
    import datasets
    from framelens.data.labelled import load_labelled

    path = tmp_path / "d.jsonl"
    rows = [{"text": "Aid convoys were blocked.", "frame": "humanitarian"},
            {"text": "Talks resume next week.", "frame": "neutral"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds, _ = load_labelled(path, TASK)
    feature = ds.features["labels"]
    assert isinstance(feature, datasets.ClassLabel)
    assert feature.names == list(TASK.labels)
    assert list(ds["labels"]) == [0, 2]


# -- --version ------------------------------------------------------------------------------------
def test_version_flag():
    from framelens import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"framelens {__version__}"
