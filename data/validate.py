"""Validate a corpus: schema, vocabularies, empty/duplicate texts, near-duplicates, leakage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framelens.data.dedup import near_duplicate_pairs, normalise
from framelens.data.errors import DataError, DataIssue
from framelens.data.readers import is_missing, read_table
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


def load_rows(paths: Sequence[str | Path],
              required: Sequence[str] = ("text",)) -> tuple[list[CorpusRow], list[DataIssue]]:
    """Every row of every file, and the schema columns each file lacks.

    A file that cannot be read, or lacks a `required` column, raises a DataError (after
    every file has been tried, so one run lists them all): without text there is nothing
    to check or audit, and stats or an audit must not quietly run on fewer rows.
    """
    rows: list[CorpusRow] = []
    issues: list[DataIssue] = []
    fatal: list[DataIssue] = []
    for path in paths:
        try:
            table = read_table(path)
        except DataError as exc:
            fatal += exc.issues
            continue
        have = ", ".join(table.column_names) or "(none)"
        for name in REQUIRED_FIELDS:
            if name not in table.column_names:
                issue = DataIssue(str(path), None, name, f"missing column (columns found: {have})")
                (fatal if name in required else issues).append(issue)
        if not len(table):
            issues.append(DataIssue(str(path), None, "(file)", "contains no rows (only a header?)"))
        for i, record in enumerate(table.records()):
            rows.append(CorpusRow(str(path), table.row_number(i), record))
    if fatal:
        raise DataError(fatal)
    return rows, issues


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.60}"


def _check_row(row: CorpusRow, expected_split: str | None) -> list[DataIssue]:
    issues: list[DataIssue] = []
    d = row.data

    def add(field_name: str, problem: str) -> None:
        issues.append(DataIssue(row.path, row.line, field_name, problem))

    for name in REQUIRED_FIELDS:
        if name not in d:
            continue
        value = d[name]
        if is_missing(value) or (isinstance(value, str) and not value.strip()):
            add(name, "empty value")
        elif name == "id" and isinstance(value, int) and not isinstance(value, bool):
            continue  # numeric ids join back as well as text ones
        elif not isinstance(value, str):
            # A label 0 or 1 is as unknown as a label "peace": labels are names, not numbers.
            allowed = VOCABULARIES.get(name)
            extra = f" (allowed: {', '.join(allowed)})" if allowed else ""
            add(name, f"must be text, got {_describe(value)}{extra}")
    for name, allowed in VOCABULARIES.items():
        value = d.get(name)
        if isinstance(value, str) and value.strip() and value not in allowed:
            add(name, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")
    split = d.get("split")
    if expected_split and isinstance(split, str) and split and split != expected_split:
        add("split", f"{split!r} found in the {expected_split} file")
    text = _text(d)
    n_words = len(text.split())
    if text and not 3 <= n_words <= 90:
        add("text", f"{n_words} words; sentences should have 3-90 words")
    tags = d.get("tags")
    if is_missing(tags):
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        add("tags", f"must be a list of tag names, got {_describe(tags)}")
        tags = []
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


def _text(d: dict[str, Any]) -> str:
    """The row's text, or "" when it is missing or not text (reported by _check_row)."""
    text = d.get("text")
    return text if isinstance(text, str) else ""


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
        raw_id = row.data.get("id")
        rid = "" if is_missing(raw_id) else str(raw_id).strip()
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
        norm = normalise(_text(row.data))
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

    texts = [_text(r.data) for r in rows]
    # scikit-learn refuses a vocabulary with no words ("empty vocabulary"): nothing to pair.
    pairs = near_duplicate_pairs(texts) if any(normalise(t) for t in texts) else []
    for i, j, score in pairs:
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
