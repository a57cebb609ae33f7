"""Validate a corpus: schema, vocabularies, empty/duplicate texts, near-duplicates, leakage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framelens.data.dedup import near_duplicate_pairs, normalise
from framelens.data.errors import DataIssue
from framelens.data.readers import read_table
from framelens.data.schema import FRAME_KEYWORDS, REQUIRED_FIELDS, TAGS, VOCABULARIES


@dataclass
class CorpusRow:
    path: str
    line: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class ValidationReport:
    files: list[str]
    n_rows: int = 0
    errors: list[DataIssue] = field(default_factory=list)
    warnings: list[DataIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_rows(paths: Sequence[str | Path]) -> tuple[list[CorpusRow], list[DataIssue]]:
    rows: list[CorpusRow] = []
    issues: list[DataIssue] = []
    for path in paths:
        table = read_table(path)
        missing = [f for f in REQUIRED_FIELDS if f not in table.dataset.column_names]
        issues += [DataIssue(str(path), None, f, "missing column") for f in missing]
        for i, record in enumerate(table.dataset):
            rows.append(CorpusRow(str(path), table.row_number(i), record))
    return rows, issues


def _check_row(row: CorpusRow, expected_split: str | None) -> list[DataIssue]:
    issues: list[DataIssue] = []
    d = row.data

    def add(field_name: str, problem: str) -> None:
        issues.append(DataIssue(row.path, row.line, field_name, problem))

    for name in REQUIRED_FIELDS:
        if name in d and (d[name] is None or not str(d[name]).strip()):
            add(name, "empty value")
    for name, allowed in VOCABULARIES.items():
        value = d.get(name)
        if value and value not in allowed:
            add(name, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")
    if expected_split and d.get("split") and d["split"] != expected_split:
        add("split", f"{d['split']!r} found in the {expected_split} file")
    text = d.get("text") or ""
    n_words = len(text.split())
    if text and not 3 <= n_words <= 90:
        add("text", f"{n_words} words; sentences should have 3-90 words")
    tags = d.get("tags") or []
    for tag in tags:
        if tag not in TAGS:
            add("tags", f"unknown tag {tag!r} (allowed: {', '.join(TAGS)})")
    if "keyword_free" in tags:
        lowered = text.lower()
        hits = [k for k in FRAME_KEYWORDS if k in lowered]
        if hits:
            add("tags", f"tagged keyword_free but contains {hits[0]!r}")
        if d.get("frame") == "neutral":
            add("tags", "tagged keyword_free but the frame is neutral")
    if "neutral_mention" in tags and d.get("frame") != "neutral":
        add("tags", "tagged neutral_mention but the frame is not neutral")
    return issues


def _split_of_file(path: str) -> str | None:
    stem = Path(path).stem
    return stem if stem in VOCABULARIES["split"] else None


def validate_corpus(paths: Sequence[str | Path]) -> ValidationReport:
    """Check corpus files; errors make the corpus unusable, warnings ask for a look."""
    report = ValidationReport(files=[str(p) for p in paths])
    rows, issues = load_rows(paths)
    report.errors += issues
    report.n_rows = len(rows)

    seen_ids: dict[str, CorpusRow] = {}
    seen_texts: dict[str, CorpusRow] = {}
    for row in rows:
        report.errors += _check_row(row, _split_of_file(row.path))
        rid = str(row.data.get("id") or "")
        if rid and rid in seen_ids:
            report.errors.append(
                DataIssue(
                    row.path,
                    row.line,
                    "id",
                    f"duplicate id {rid!r} (first at {seen_ids[rid].where})",
                )
            )
        seen_ids.setdefault(rid, row)
        norm = normalise(row.data.get("text") or "")
        if norm and norm in seen_texts:
            report.errors.append(
                DataIssue(
                    row.path,
                    row.line,
                    "text",
                    f"duplicate text (first at {seen_texts[norm].where})",
                )
            )
        seen_texts.setdefault(norm, row)

    texts = [r.data.get("text") or "" for r in rows]
    for i, j, score in near_duplicate_pairs(texts):
        a, b = rows[i], rows[j]
        if normalise(texts[i]) == normalise(texts[j]):
            continue  # already reported as a duplicate
        msg = f"near-duplicate of {a.where} (token Jaccard {score:.2f})"
        if a.data.get("split") != b.data.get("split"):
            report.errors.append(
                DataIssue(
                    b.path,
                    b.line,
                    "text",
                    msg + f", across splits {a.data.get('split')}/{b.data.get('split')}: leakage",
                )
            )
        else:
            report.warnings.append(DataIssue(b.path, b.line, "text", msg))
    return report
