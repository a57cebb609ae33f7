"""Cut the stream of input items into bounded chunks of sentences.

A chunk is the unit of everything that must not grow with the input: memory, the
de-duplication of repeated sentences, and what an interruption can lose. Chunks are cut
by a fixed rule (close once sentences + rejected items reach the chunk size, never inside
a document), so the same input and options always give the same chunks: a resumed run
recomputes exactly the chunks an uninterrupted one would have, and skips the first
`items_done` items without classifying them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from framelens.data.errors import DataIssue
from framelens.data.sentences import sentence_spans
from framelens.serving.batch.inputs import Item, Record


@dataclass(frozen=True)
class Slot:
    """One sentence to classify and where its row goes: document, position, offsets."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    line: int | None
    kept: Mapping[str, Any]


@dataclass
class Chunk:
    number: int
    items: int = 0
    slots: list[Slot] = field(default_factory=list)
    rejects: list[DataIssue] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.slots) + len(self.rejects)


def slots_of(record: Record, unit: str) -> list[Slot]:
    """A document's sentences (offsets into the document), or a sentence record trimmed."""
    if unit == "document":
        return [Slot(record.doc_id, i, record.start + s.start, record.start + s.end, s.text,
                     record.line, record.kept)
                for i, s in enumerate(sentence_spans(record.text))]
    body = record.text
    lead = len(body) - len(body.lstrip())
    text = body.strip()
    start = record.start + lead
    return [Slot(record.doc_id, record.index, start, start + len(text), text, record.line,
                 record.kept)]


def chunks(items: Iterable[Item], unit: str, size: int, skip_items: int = 0,
           first_number: int = 0) -> Iterator[Chunk]:
    """Chunks of the items after the first `skip_items` (already committed)."""
    chunk = Chunk(first_number)
    for item in itertools.islice(items, skip_items, None):
        chunk.items += 1
        if isinstance(item, DataIssue):
            chunk.rejects.append(item)
        else:
            chunk.slots += slots_of(item, unit)
        if chunk.size >= size:
            yield chunk
            chunk = Chunk(chunk.number + 1)
    if chunk.items:
        yield chunk
