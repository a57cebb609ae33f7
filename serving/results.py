"""The output schema: one definition of what a prediction looks like.

The Python API returns these objects, batch files are written from `to_row`, and the HTTP
API and the page serialise `to_dict`. Changing a field here changes it everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Probabilities and confidences are rounded in files and JSON: four places is finer than
# any calibration we can claim, and keeps outputs diffable.
DECIMALS = 4


@dataclass(frozen=True)
class TaskResult:
    """One task's answer for one text."""

    label: str
    confidence: float
    probabilities: dict[str, float]

    @classmethod
    def from_probs(cls, labels: Sequence[str], probs: np.ndarray) -> TaskResult:
        best = int(np.argmax(probs))
        return cls(label=labels[best], confidence=round(float(probs[best]), DECIMALS),
                   probabilities={lab: round(float(p), DECIMALS)
                                  for lab, p in zip(labels, probs, strict=True)})

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": self.confidence,
                "probabilities": dict(self.probabilities)}


@dataclass(frozen=True)
class Result:
    """Every task's answer for one text: `result["frame"].label`."""

    text: str
    tasks: dict[str, TaskResult]
    # Caveats on this text (truncated, not English): see framelens.serving.notes.
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, task: str) -> TaskResult:
        return self.tasks[task]

    def to_dict(self) -> dict[str, Any]:
        out = {"text": self.text, **{name: r.to_dict() for name, r in self.tasks.items()}}
        # Only when there is something to say, so plain results keep their shape.
        return out | {"notes": list(self.notes)} if self.notes else out

    def flat(self) -> dict[str, Any]:
        """The task columns of a row: `T`, `T_confidence`, `T_p_<label>` for each task T."""
        out: dict[str, Any] = {}
        for name, r in self.tasks.items():
            out[name] = r.label
            out[f"{name}_confidence"] = r.confidence
            for label, p in r.probabilities.items():
                out[f"{name}_p_{label}"] = p
        return out


@dataclass(frozen=True)
class SentenceResult(Result):
    """A sentence of a document: its position and [start, end) character offsets."""

    index: int = 0
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "start": self.start, "end": self.end} | super().to_dict()


@dataclass(frozen=True)
class DocumentSummary:
    """Per document: how many sentences, the share of each label, the dominant one."""

    sentences: int
    shares: dict[str, dict[str, float]]
    dominant: dict[str, str | None]
    mean_confidence: dict[str, float | None]

    @classmethod
    def of(cls, results: Sequence[Result], labels: Mapping[str, Sequence[str]]) -> DocumentSummary:
        counts = {task: {lab: sum(r[task].label == lab for r in results) for lab in names}
                  for task, names in labels.items()}
        sums = {task: sum(r[task].confidence for r in results) for task in labels}
        return cls.from_counts(len(results), counts, sums, labels)

    @classmethod
    def from_counts(cls, n: int, counts: Mapping[str, Mapping[str, int]],
                    confidence_sums: Mapping[str, float],
                    labels: Mapping[str, Sequence[str]]) -> DocumentSummary:
        """The summary from label counts and summed confidences: the batch engine streams a
        document's sentences in chunks and keeps only these, not the sentences."""
        shares, dominant, confidence = {}, {}, {}
        for task, names in labels.items():
            got = {lab: counts[task].get(lab, 0) for lab in names}
            shares[task] = {lab: round(c / n, DECIMALS) if n else 0.0 for lab, c in got.items()}
            # Ties go to the label declared first: deterministic, and documented.
            dominant[task] = max(names, key=lambda lab: got[lab]) if n else None
            confidence[task] = round(confidence_sums[task] / n, DECIMALS) if n else None
        return cls(n, shares, dominant, confidence)

    def to_dict(self) -> dict[str, Any]:
        return {"sentences": self.sentences, "shares": self.shares, "dominant": self.dominant,
                "mean_confidence": self.mean_confidence}

    def flat(self) -> dict[str, Any]:
        """Columns of a summary file row."""
        out: dict[str, Any] = {"sentences": self.sentences}
        for task, shares in self.shares.items():
            out[f"{task}_dominant"] = self.dominant[task]
            out[f"{task}_mean_confidence"] = self.mean_confidence[task]
            for label, share in shares.items():
                out[f"{task}_share_{label}"] = share
        return out


@dataclass(frozen=True)
class Analysis:
    """A document's sentences with their results, and its summary."""

    doc_id: str | None
    sentences: list[SentenceResult]
    summary: DocumentSummary
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.doc_id, "sentences": [s.to_dict() for s in self.sentences],
                "summary": self.summary.to_dict(), "notes": list(self.notes)}

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per sentence (the batch file schema)."""
        return [sentence_row(self.doc_id, s) for s in self.sentences]


ROW_PREFIX = ("doc_id", "sentence_index", "start", "end", "text")


def sentence_row(doc_id: str | None, s: SentenceResult) -> dict[str, Any]:
    return {"doc_id": doc_id, "sentence_index": s.index, "start": s.start, "end": s.end,
            "text": s.text} | s.flat()


def row_columns(labels: Mapping[str, Sequence[str]]) -> list[str]:
    """The columns of a sentence row, in order, for these tasks."""
    cols = list(ROW_PREFIX)
    for task, names in labels.items():
        cols += [task, f"{task}_confidence", *(f"{task}_p_{lab}" for lab in names)]
    return cols
