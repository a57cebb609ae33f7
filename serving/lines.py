"""Pre-split input: one sentence per line, each row keeping its source line number so
results join back to the file."""

from __future__ import annotations

import re
from typing import Any

from framelens.serving.classifier import Classifier
from framelens.serving.results import SentenceResult

# Only \n, \r\n and \r end a line; form feeds and Unicode separators stay inside the text.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def line_spans(text: str) -> list[tuple[int, int, int]]:
    """(line number, start, end) of every non-blank line, trimmed, offsets into `text`."""
    out = []
    for number, match in enumerate(_LINE.finditer(text), start=1):
        if match.start() == match.end():
            break
        body = match.group().rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            start = match.start() + (len(body) - len(body.lstrip()))
            out.append((number, start, start + len(stripped)))
    return out


def classify_lines(clf: Classifier, text: str, doc_id: str | None = None) -> list[dict[str, Any]]:
    spans = line_spans(text)
    results = clf.predict([text[a:b] for _, a, b in spans])
    rows = []
    for i, ((number, a, b), r) in enumerate(zip(spans, results, strict=True)):
        s = SentenceResult(r.text, r.tasks, index=i, start=a, end=b)
        rows.append({"doc_id": doc_id, "sentence_index": i, "line": number, "start": a, "end": b,
                     "text": s.text} | s.flat())
    return rows
