"""The inference module users call: `Classifier.load(path).predict(...)` / `.analyze(...)`.

It wraps the prediction backend (`framelens.models.predictor.Predictor`) with the
user-facing shape: a string gives one result and a list gives a list, a model directory
and a bundle answer the same calls, and every answer is a typed, JSON-ready object from
`framelens.serving.results`. The CLI, the batch engine and the HTTP server all go through
this class, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import overload

import numpy as np
from framelens.data.sentences import Sentence, sentence_spans
from framelens.models.predictor import Predictor, check_texts
from framelens.serving.notes import document_notes, text_notes
from framelens.serving.results import Analysis, DocumentSummary, Result, SentenceResult, TaskResult


class Classifier:
    """Frame and stance (or any declared tasks) for sentences and articles.

    >>> clf = Classifier.load("runs/bundle")                 # doctest: +SKIP
    >>> clf.predict("Aid trucks reached the camp.")["frame"].label   # doctest: +SKIP
    'humanitarian'
    """

    def __init__(self, predictor: Predictor, batch_size: int = 32):
        self.predictor = predictor
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | Path, device: str | None = None, allow_pickle: bool = False,
             batch_size: int = 32, backend: str = "auto") -> Classifier:
        """A model directory or a bundle (frame + stance).

        `backend="auto"` runs the int8 ONNX graph when `framelens export onnx --quantize int8`
        made one and its parity report passed; otherwise torch ("torch" or "onnx" to choose).
        """
        return cls(Predictor.load(path, device=device, allow_pickle=allow_pickle,
                                  backend=backend), batch_size)

    @property
    def tasks(self) -> list[str]:
        return self.predictor.tasks

    def labels(self, task: str | None = None) -> tuple[str, ...]:
        return self.predictor.labels(task)

    @property
    def label_sets(self) -> dict[str, tuple[str, ...]]:
        return {t: self.labels(t) for t in self.tasks}

    # -- sentences ------------------------------------------------------------------------------
    @overload
    def predict(self, texts: str, batch_size: int | None = None) -> Result: ...
    @overload
    def predict(self, texts: Sequence[str], batch_size: int | None = None) -> list[Result]: ...

    def predict(self, texts, batch_size=None):
        """A string gives one Result; a list gives a list (empty in, empty out)."""
        if isinstance(texts, str):
            return self.predict([texts], batch_size)[0]
        texts = check_texts(texts)
        if not texts:
            return []
        probs = self.predictor.predict_proba(texts, batch_size or self.batch_size)
        notes = self._notes(texts)
        return [self._result(text, probs, i, notes[i]) for i, text in enumerate(texts)]

    def _result(self, text: str, probs: dict[str, np.ndarray], i: int,
                notes: list[str] | None = None) -> Result:
        return Result(text, self._task_results(probs, i), notes=notes or [])

    def _notes(self, texts: Sequence[str]) -> list[list[str]]:
        """Per text: truncated beyond the model's length, or mostly non-Latin script."""
        models = list(self.predictor.models.values())
        first = models[0]
        return text_notes(texts, first.tokenizer, min(m.metadata.max_length for m in models),
                          getattr(first, "_tokenizer_lock", None))

    def _task_results(self, probs: dict[str, np.ndarray], i: int) -> dict[str, TaskResult]:
        return {t: TaskResult.from_probs(self.labels(t), p[i]) for t, p in probs.items()}

    # -- articles -------------------------------------------------------------------------------
    def analyze(self, article: str, doc_id: str | None = None,
                batch_size: int | None = None) -> Analysis:
        """Split an article into sentences (with offsets), label each, and summarise."""
        return self.analyze_many([article], [doc_id], batch_size)[0]

    def analyze_many(self, articles: Sequence[str], doc_ids: Sequence[str | None] | None = None,
                     batch_size: int | None = None) -> list[Analysis]:
        """Several articles in one model pass (sentences of all of them batched together)."""
        articles = check_texts(articles)
        ids = list(doc_ids) if doc_ids is not None else [None] * len(articles)
        spans = [sentence_spans(a) for a in articles]
        results = self.predict([s.text for doc in spans for s in doc], batch_size)
        out, k = [], 0
        for doc_id, article, doc in zip(ids, articles, spans, strict=True):
            out.append(self.assemble(doc_id, article, doc, results[k : k + len(doc)]))
            k += len(doc)
        return out

    def assemble(self, doc_id: str | None, article: str, spans: Sequence[Sentence],
                 results: Sequence[Result]) -> Analysis:
        """An article's Analysis from its sentence spans and their results, however those
        were scored (here in one pass, or by the server's micro-batches)."""
        sentences = [SentenceResult(span.text, r.tasks, notes=r.notes, index=i, start=span.start,
                                    end=span.end)
                     for i, (span, r) in enumerate(zip(spans, results, strict=True))]
        return Analysis(doc_id, sentences, DocumentSummary.of(sentences, self.label_sets),
                        notes=document_notes(article, [s.notes for s in sentences]))
