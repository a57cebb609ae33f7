"""The real bundled all-MiniLM-L6-v2: load, tokenize, one forward pass (no download)."""

from __future__ import annotations

import pytest
import torch
from framelens.data.tasks import get_task
from framelens.models.loading import load_base_for_task


@pytest.mark.slow
def test_bundled_minilm_forward_pass(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tokenizer, resolved = load_base_for_task("minilm", get_task("stance"))
    assert model.config.model_type == "bert"
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 6
    assert model.config.id2label == {0: "supportive", 1: "critical", 2: "neutral"}
    batch = tokenizer(["Relief convoys have not reached the district.", "Talks resume."],
                      padding=True, return_tensors="pt")
    assert tokenizer.convert_ids_to_tokens(batch["input_ids"][0])[:3] == ["[CLS]", "relief", "convoys"]
    with torch.inference_mode():
        logits = model(**batch).logits
    assert logits.shape == (2, 3)
    assert torch.isfinite(logits).all()
