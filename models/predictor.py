"""The prediction backend shared by the Python API, the CLI, batch jobs and the server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from framelens.data.tasks import Task
from framelens.models.loading import load_trained
from framelens.models.metadata import ModelMetadata, bundle_tasks, is_bundle
from tqdm.auto import tqdm


@dataclass(frozen=True)
class Prediction:
    """One sentence's result for one task."""

    text: str
    task: str
    label: str  # multi-label tasks: the chosen labels joined by ';' ('' if none)
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return {"text": self.text, "task": self.task, "label": self.label, "scores": self.scores}


def pick_device(device: str | None = None) -> str:
    if device and device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


class Classifier:
    """A fine-tuned single-task classifier.

    >>> clf = Classifier.load("runs/frame")          # doctest: +SKIP
    >>> clf.predict(["Aid trucks reached the city."])  # doctest: +SKIP
    """

    def __init__(self, model, tokenizer, metadata: ModelMetadata, device: str = "cpu"):
        self.model = model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.device = device

    # -- construction -------------------------------------------------------
    @classmethod
    def load(
        cls, model_dir: str | Path, device: str | None = None
    ) -> Classifier | BundleClassifier:
        """Load a model directory; a multi-task bundle gives a BundleClassifier."""
        if is_bundle(model_dir):
            return BundleClassifier.load(model_dir, device=device)
        dev = pick_device(device)
        model, tokenizer, meta = load_trained(model_dir, device=dev)
        return cls(model, tokenizer, meta, device=dev)

    @property
    def task(self) -> Task:
        return self.metadata.task

    @property
    def labels(self) -> tuple[str, ...]:
        return self.task.labels

    # -- inference ----------------------------------------------------------
    def _batches(self, texts: Sequence[str], batch_size: int) -> Iterator[list[int]]:
        # Sorting by length keeps padding small: on a CPU the padded tokens
        # are most of the cost of a naive batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]

    @torch.inference_mode()
    def logits(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        """Raw logits, shape (n, num_labels), in input order."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        batches = list(self._batches(texts, batch_size))
        for idx in tqdm(batches, desc="classifying", unit="batch", disable=not progress):
            enc = self.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.metadata.max_length,
                return_tensors="pt",
            ).to(self.device)
            out[idx] = self.model(**enc).logits.float().cpu().numpy()
        return out

    def predict_proba(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        """Class probabilities, shape (n, num_labels), temperature-scaled when calibrated."""
        logits = self.logits(texts, batch_size=batch_size, progress=progress)
        return probabilities(logits, self.metadata.temperature, self.task.multi_label)

    def predict(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> list[Prediction]:
        texts = list(texts)
        probs = self.predict_proba(texts, batch_size=batch_size, progress=progress)
        return [self._to_prediction(t, p) for t, p in zip(texts, probs, strict=True)]

    def _to_prediction(self, text: str, probs: np.ndarray) -> Prediction:
        scores = {label: float(p) for label, p in zip(self.labels, probs, strict=True)}
        if self.task.multi_label:
            label = ";".join(lab for lab, p in scores.items() if p >= 0.5)
        else:
            label = self.labels[int(np.argmax(probs))]
        return Prediction(text=text, task=self.task.name, label=label, scores=scores)


def probabilities(
    logits: np.ndarray, temperature: float = 1.0, multi_label: bool = False
) -> np.ndarray:
    z = logits / max(float(temperature), 1e-6)
    if multi_label:
        return 1.0 / (1.0 + np.exp(-z))
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class BundleClassifier:
    """Several single-task classifiers (e.g. frame + stance) used together."""

    def __init__(self, classifiers: dict[str, Classifier]):
        self.classifiers = classifiers

    @classmethod
    def load(cls, bundle_dir: str | Path, device: str | None = None) -> BundleClassifier:
        tasks = bundle_tasks(bundle_dir)
        return cls(
            {
                name: Classifier.load(Path(bundle_dir, sub), device=device)  # type: ignore[misc]
                for name, sub in tasks.items()
            }
        )

    @property
    def tasks(self) -> list[str]:
        return list(self.classifiers)

    def predict(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> list[dict[str, Prediction]]:
        texts = list(texts)
        per_task = {
            name: clf.predict(texts, batch_size=batch_size, progress=progress)
            for name, clf in self.classifiers.items()
        }
        return [{name: preds[i] for name, preds in per_task.items()} for i in range(len(texts))]
