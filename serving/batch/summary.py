"""Per-document summaries (`--summary FILE`) built while streaming, without holding rows.

Each committed chunk stores, per run of consecutive rows of one document, how many
sentences got each label and the sum of their confidences. At the end these tallies are
merged run by run (a document's sentences are consecutive: one file, one table row, or
the lines of one text file) and turned into `DocumentSummary` rows, the schema the Python
API and the server use. Memory holds one document's tally at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from framelens.serving.results import DocumentSummary


@dataclass
class DocTally:
    """Label counts and summed confidences of consecutive sentences of one document."""

    doc_id: str | None
    n: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any], tasks: Sequence[str]) -> None:
        self.n += 1
        for task in tasks:
            per_task = self.counts.setdefault(task, {})
            per_task[row[task]] = per_task.get(row[task], 0) + 1
            self.confidence[task] = self.confidence.get(task, 0.0) + row[f"{task}_confidence"]

    def merge(self, other: DocTally) -> None:
        self.n += other.n
        for task, per_task in other.counts.items():
            mine = self.counts.setdefault(task, {})
            for label, c in per_task.items():
                mine[label] = mine.get(label, 0) + c
        for task, total in other.confidence.items():
            self.confidence[task] = self.confidence.get(task, 0.0) + total

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "n": self.n, "counts": self.counts,
                "confidence": self.confidence}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocTally:
        return cls(data["doc_id"], data["n"], data["counts"], data["confidence"])

    def row(self, labels: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        summary = DocumentSummary.from_counts(
            self.n, {t: self.counts.get(t, {}) for t in labels},
            {t: self.confidence.get(t, 0.0) for t in labels}, labels)
        return {"doc_id": self.doc_id} | summary.flat()


def tally(rows: Iterable[Mapping[str, Any]], tasks: Sequence[str]) -> list[DocTally]:
    """One tally per run of consecutive rows with the same document id."""
    out: list[DocTally] = []
    for row in rows:
        if not out or out[-1].doc_id != row["doc_id"]:
            out.append(DocTally(row["doc_id"]))
        out[-1].add(row, tasks)
    return out


def merged(tallies: Iterable[DocTally]) -> Iterator[DocTally]:
    """Join the runs of one document that a chunk boundary cut apart."""
    current: DocTally | None = None
    for t in tallies:
        if current is not None and current.doc_id == t.doc_id:
            current.merge(t)
            continue
        if current is not None:
            yield current
        current = t
    if current is not None:
        yield current


def summary_columns(labels: Mapping[str, Sequence[str]]) -> list[str]:
    empty = DocumentSummary.from_counts(0, {t: {} for t in labels}, {t: 0.0 for t in labels},
                                        labels)
    return ["doc_id", *empty.flat()]
