"""The server's use of the `Classifier`: every sentence, from /v1/classify or from an
article sent to /v1/analyze, goes through one micro-batcher, so a classify call and an
analyze call that arrive together share a model pass.

This is why the server does not call `Classifier.analyze` directly: that would run each
article alone. It splits articles with the same `sentence_spans` the Classifier uses, has
the sentences scored by the batcher, and builds the same `Analysis` objects (a test
compares the two). It holds no HTTP code, so it can be tested and benchmarked without a
server.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread
from framelens.data.sentences import sentence_spans
from framelens.models import model_dir
from framelens.serving.batcher import MicroBatcher
from framelens.serving.classifier import Classifier
from framelens.serving.results import Analysis, Result, row_columns
from framelens.serving.settings import ServeSettings


class InferenceService:
    """A loaded Classifier behind a micro-batcher."""

    def __init__(self, classifier: Classifier, settings: ServeSettings,
                 model_path: str | Path | None = None):
        self.classifier = classifier
        self.settings = settings
        self.model_path = Path(model_path) if model_path is not None else None
        self._info: dict[str, Any] | None = None
        self.batcher: MicroBatcher[Result] = MicroBatcher(
            classifier.predict, settings.max_batch_size, settings.max_wait_ms, settings.queue_size)

    @property
    def ready(self) -> bool:
        return self.batcher.running

    async def start(self) -> None:
        await self.batcher.start()

    async def close(self) -> None:
        await self.batcher.close(self.settings.graceful_timeout_s)

    async def classify(self, texts: list[str]) -> list[Result]:
        return await self.batcher.submit(texts)

    async def analyze(self, documents: Sequence[tuple[str | None, str]]) -> list[Analysis]:
        """(doc_id, text) pairs → one Analysis each, sentences scored in shared batches."""
        texts = [text for _, text in documents]
        # Splitting a long article takes milliseconds of regex work: keep it off the loop.
        spans = await anyio.to_thread.run_sync(lambda: [sentence_spans(t) for t in texts])
        results = await self.batcher.submit([s.text for doc in spans for s in doc])
        out, k = [], 0
        for (doc_id, text), doc in zip(documents, spans, strict=True):
            out.append(self.classifier.assemble(doc_id, text, doc, results[k : k + len(doc)]))
            k += len(doc)
        return out

    def info(self) -> dict[str, Any]:
        """Tasks, labels, model metadata and the row columns (what /v1/info shows); read
        once, since the model cannot change under a running server."""
        if self._info is None:
            self._info = self._read_info()
        return self._info

    def _read_info(self) -> dict[str, Any]:
        clf = self.classifier
        return {"tasks": clf.tasks,
                "labels": {t: list(labels) for t, labels in clf.label_sets.items()},
                "row_columns": row_columns(clf.label_sets),
                "models": {t: self._task_info(t) for t in clf.tasks}}

    def _task_info(self, task: str) -> dict[str, Any]:
        meta = self.classifier.predictor.model(task).metadata
        info: dict[str, Any] = {
            "labels": list(meta.task.labels),
            "descriptions": dict(meta.task.descriptions),
            "base_model": meta.base_model,
            "max_length": meta.max_length,
            "temperature": meta.temperature,
            "calibrated": meta.temperature != 1.0,
            "framelens_version": meta.framelens_version,
        }
        directory = self._task_dir(task)
        metrics = model_dir.read_metrics(directory) if directory is not None else None
        if metrics:
            info["metrics"] = _scalar_metrics(metrics)
        return info

    def _task_dir(self, task: str) -> Path | None:
        """Where the task's model directory is, when the server was given a path."""
        path = self.model_path
        if path is None:
            return None
        if model_dir.is_bundle(path):
            sub = model_dir.read_bundle(path).get(task)
            return path / sub if sub is not None else None
        return path


def _scalar_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of metrics.json (per-epoch history and confusion matrices are
    for reports, not for an API answer)."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            out[key] = value
        elif isinstance(value, dict):
            inner = {k: v for k, v in value.items()
                     if isinstance(v, int | float) and not isinstance(v, bool)}
            if inner:
                out[key] = inner
    return out
