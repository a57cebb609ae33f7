"""Sentence embeddings from a base encoder (mean pooling), for baselines and audits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from framelens.models.loading import quiet_transformers
from framelens.models.metadata import DEFAULT_MAX_LENGTH
from framelens.models.registry import DEFAULT_BASE_MODEL, resolve_base_model
from tqdm.auto import tqdm
from transformers import AutoModel, AutoTokenizer


class Encoder:
    """Mean-pooled, L2-normalised embeddings (how all-MiniLM-L6-v2 was trained to be used)."""

    def __init__(self, base_model: str = DEFAULT_BASE_MODEL, max_length: int = DEFAULT_MAX_LENGTH):
        resolved = resolve_base_model(base_model)
        with quiet_transformers():
            self.tokenizer = AutoTokenizer.from_pretrained(resolved.path)
            self.model = AutoModel.from_pretrained(resolved.path).eval()
        self.max_length = max_length

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        starts = range(0, len(order), batch_size)
        for s in tqdm(starts, desc="embedding", unit="batch", disable=not progress):
            idx = order[s : s + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt")
            hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out
