"""The content of an evaluation report, independent of its format.

``build_document`` turns a report dict into a list of plain blocks (headings,
paragraphs, tables, figures, the model card's Markdown) once; ``render_md`` and
``render_html`` only format those blocks. Both files therefore show the same tables in
the same order and cannot drift apart when a section is added.

Every section is optional: a report missing a key (no baselines, no challenge set,
no calibration...) simply has fewer sections. Cells are plain text; escaping is the
formatter's job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

DASH = "—"
MAX_FAILURES = 10  # failing challenge items listed per capability
MAX_ERRORS = 25  # worst errors listed

HEADLINE_METRICS = [
    ("accuracy", "Accuracy"),
    ("macro_f1", "Macro-F1"),
    ("macro_precision", "Macro precision"),
    ("macro_recall", "Macro recall"),
    ("weighted_f1", "Weighted F1"),
    ("weighted_precision", "Weighted precision"),
    ("weighted_recall", "Weighted recall"),
]

FIGURE_CAPTIONS = {
    "confusion": "Confusion matrix: counts and % of each gold row.",
    "reliability": "Reliability diagram: accuracy per confidence bin against the diagonal.",
    "per_class_f1": "Per-class F1 with bootstrap confidence intervals.",
}


# --- blocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1 = report title, 2 = section, 3 = subsection


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Facts:
    """Label/value pairs (report metadata, calibration numbers)."""

    items: list[tuple[str, str]]


@dataclass(frozen=True)
class Highlights:
    """The few numbers a reader wants first: (label, value, interval text)."""

    items: list[tuple[str, str, str]]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned columns
    flagged: frozenset[int] = field(default_factory=frozenset)  # rows to de-emphasise


@dataclass(frozen=True)
class FigureRef:
    name: str
    path: Path
    caption: str


@dataclass(frozen=True)
class MarkdownText:
    """Markdown written by someone else (the model card), kept as is."""

    text: str


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The one dialect a MarkdownText is read in by every formatter: CommonMark plus
    tables (the card's metrics table), with raw HTML off so a card cannot inject markup."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


Block = Heading | Paragraph | Facts | Highlights | Table | FigureRef | MarkdownText


# --- number formatting ---------------------------------------------------------------


def fmt_num(value: float | None, digits: int = 3) -> str:
    """A number with fixed decimals, or a dash when it was not computed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:.{digits}f}"


def fmt_ci(ci: Sequence[float | None] | None) -> str:
    """'[lo, hi]', or a dash when the interval is missing or incomplete."""
    if not ci or len(ci) != 2 or any(v is None for v in ci):
        return DASH
    return f"[{fmt_num(ci[0])}, {fmt_num(ci[1])}]"


def fmt_pct(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_delta(value: float | None) -> str:
    # An explicit sign: the reader must see at a glance which side is better.
    return DASH if value is None else f"{value:+.3f}"


def fmt_yes_no(value: bool | None) -> str:
    return DASH if value is None else ("yes" if value else "no")


def _stat(stat: dict[str, Any] | None) -> tuple[str, str]:
    """(value, CI) cells for a {"value", "ci"} metric that may be missing."""
    stat = stat or {}
    return fmt_num(stat.get("value")), fmt_ci(stat.get("ci"))


def ci_header(report: dict[str, Any]) -> str:
    level = (report.get("bootstrap") or {}).get("level") or 0.95
    return f"{level * 100:g}% CI"


# --- building the document -----------------------------------------------------------


def build_document(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    """All blocks of the report, top to bottom; sections without data are left out."""
    sections = [
        _title_section, _headline_section, _baselines_section, _figures_section,
        _per_class_section, _confusion_section, _calibration_section, _slices_section,
        _challenge_section, _errors_section, _model_card_section,
    ]
    blocks: list[Block] = []
    for section in sections:
        blocks.extend(section(report, figures))
    return blocks


def _title_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    task = report.get("task")
    title = f"Evaluation report: {task}" if task else "Evaluation report"
    facts = [
        ("Task", report.get("task")),
        ("Model", report.get("model")),
        ("Data", report.get("data")),
        ("Examples", report.get("n")),
        ("Labels", ", ".join(report.get("labels") or []) or None),
        ("Generated", report.get("generated")),
        ("Bootstrap", _bootstrap_text(report.get("bootstrap"))),
    ]
    return [Heading(title, 1), Facts([(k, str(v)) for k, v in facts if v is not None])]


def _bootstrap_text(bootstrap: dict[str, Any] | None) -> str | None:
    if not bootstrap:
        return None
    parts = []
    if bootstrap.get("resamples") is not None:
        parts.append(f"{bootstrap['resamples']} resamples")
    if bootstrap.get("seed") is not None:
        parts.append(f"seed {bootstrap['seed']}")
    if bootstrap.get("level") is not None:
        parts.append(f"{bootstrap['level'] * 100:g}% intervals")
    return ", ".join(parts) or None


def _headline_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    metrics = report.get("metrics") or {}
    present = [(key, name) for key, name in HEADLINE_METRICS if metrics.get(key)]
    if not present:
        return []
    ci = ci_header(report)
    highlights = []
    for key, name in present[:2]:  # accuracy and macro-F1 lead the report
        value, interval = _stat(metrics[key])
        highlights.append((name, value, f"{ci} {interval}"))
    rows = [[name, *_stat(metrics[key])] for key, name in present]
    return [
        Heading("Headline metrics", 2),
        Highlights(highlights),
        Table(["Metric", "Value", ci], rows, numeric=frozenset({1, 2})),
    ]


def _baselines_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    baselines = report.get("baselines")
    # Why a baseline is missing (e.g. the training data was not found) is worth a section.
    missing = report.get("baselines_note")
    if not baselines and not missing:
        return []
    blocks: list[Block] = [Heading("Baselines", 2)]
    if baselines:
        blocks += [_baselines_table(report, baselines), Paragraph(
            "Δ macro-F1 is baseline minus model, so negative means the model is better. "
            "Where the intervals overlap the difference may not be real."
        )]
    if missing:
        blocks.append(Paragraph(str(missing)))
    return blocks


def _baselines_table(report: dict[str, Any], baselines: list[dict[str, Any]]) -> Table:
    metrics = report.get("metrics") or {}
    ci = ci_header(report)
    headers = ["System", "Accuracy", ci, "Macro-F1", ci, "Δ macro-F1", "CIs overlap"]
    model_row = ["this model", *_stat(metrics.get("accuracy")), *_stat(metrics.get("macro_f1")),
                 DASH, DASH]
    rows = [model_row]
    for base in baselines:
        rows.append([
            str(base.get("name", "?")), *_stat(base.get("accuracy")), *_stat(base.get("macro_f1")),
            fmt_delta(base.get("delta_macro_f1")), fmt_yes_no(base.get("ci_overlap")),
        ])
    # Optional free-text notes (e.g. how a baseline was trained): a column only when used.
    if any(base.get("note") for base in baselines):
        headers.append("Note")
        rows[0].append("")
        for row, base in zip(rows[1:], baselines, strict=True):
            row.append(str(base.get("note") or ""))
    return Table(headers, rows, numeric=frozenset(range(1, 6)))


def _figures_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    refs: list[Block] = [
        FigureRef(name, Path(figures[name]), caption)
        for name, caption in FIGURE_CAPTIONS.items() if name in figures
    ]
    return [Heading("Figures", 2), *refs] if refs else []


def _per_class_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    per_class = (report.get("metrics") or {}).get("per_class")
    if not per_class:
        return []
    ci = ci_header(report)
    labels = [lab for lab in report.get("labels") or [] if lab in per_class] or list(per_class)
    rows = []
    for label in labels:
        stats = per_class[label]
        support = stats.get("support")
        rows.append([
            label, *_stat(stats.get("precision")), *_stat(stats.get("recall")),
            *_stat(stats.get("f1")), DASH if support is None else str(support),
        ])
    headers = ["Label", "Precision", ci, "Recall", ci, "F1", ci, "Support"]
    return [Heading("Per-class metrics", 2), Table(headers, rows, numeric=frozenset(range(1, 8)))]


def _confusion_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    matrix = (report.get("metrics") or {}).get("confusion_matrix")
    labels = report.get("labels") or []
    if not matrix or len(matrix) != len(labels):
        return []
    rows = []
    for label, counts in zip(labels, matrix, strict=True):
        total = sum(counts)
        # Row % answers "of the sentences that really are X, where did they go?"
        cells = [f"{c} ({fmt_pct(c / total) if total else DASH})" for c in counts]
        rows.append([label, *cells, str(total)])
    headers = ["gold ↓ / predicted →", *labels, "total"]
    return [
        Heading("Confusion matrix", 2),
        Paragraph("Rows are gold labels, columns predictions; % is of the gold row."),
        Table(headers, rows, numeric=frozenset(range(1, len(labels) + 2))),
    ]


def _calibration_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    metrics = report.get("metrics") or {}
    calibration = metrics.get("calibration") or {}
    facts = [
        ("ECE", metrics.get("ece")),
        ("ECE before temperature scaling", calibration.get("ece_before_scaling")),
        ("Temperature", calibration.get("temperature")),
        ("Log loss", metrics.get("log_loss")),
        ("Brier score", metrics.get("brier")),
    ]
    present = [(name, fmt_num(value)) for name, value in facts if value is not None]
    bins = [b for b in calibration.get("bins") or [] if b.get("count")]
    if not present and not bins:
        return []
    blocks: list[Block] = [Heading("Calibration", 2)]
    if present:
        blocks.append(Facts(present))
    if bins:
        rows = [_bin_row(b) for b in bins]
        headers = ["Confidence", "n", "Mean confidence", "Accuracy", "Accuracy − confidence"]
        blocks.append(Table(headers, rows, numeric=frozenset(range(1, 5))))
        blocks.append(Paragraph("Empty confidence bins are left out."))
    return blocks


def _bin_row(b: dict[str, Any]) -> list[str]:
    conf, acc = b.get("confidence"), b.get("accuracy")
    gap = None if conf is None or acc is None else acc - conf
    return [f"{b.get('lo', 0):.1f}–{b.get('hi', 0):.1f}", str(b.get("count")), fmt_num(conf),
            fmt_num(acc), fmt_delta(gap)]


def _slices_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    slices = report.get("slices")
    if not slices:
        return []
    ci = ci_header(report)
    blocks: list[Block] = [
        Heading("Slices", 2),
        Paragraph("Rows flagged small have too few examples for a stable estimate; "
                  "read their intervals, not their point values."),
    ]
    for column, rows in slices.items():
        if not rows:
            continue
        blocks.append(Heading(f"By {column}", 3))
        # Older reports (and runs without baselines) have no per-slice baseline score.
        with_baseline = all("baseline_macro_f1" in row for row in rows)
        table_rows = [
            [str(row.get("value")), str(row.get("n", DASH)), *_stat(row.get("accuracy")),
             *_stat(row.get("macro_f1")),
             *(_slice_baseline(row) if with_baseline else []),
             "small" if row.get("small") else ""]
            for row in rows
        ]
        flagged = frozenset(i for i, row in enumerate(rows) if row.get("small"))
        headers = [column, "n", "Accuracy", ci, "Macro-F1", ci,
                   *(["TF-IDF macro-F1", "Δ vs TF-IDF"] if with_baseline else []), "Flag"]
        numeric = frozenset(range(1, len(headers) - 1))
        blocks.append(Table(headers, table_rows, numeric=numeric, flagged=flagged))
        name = f"slice_{column}"
        if name in figures:
            blocks.append(FigureRef(name, Path(figures[name]), f"Macro-F1 by {column}."))
    return blocks


def _slice_baseline(row: dict[str, Any]) -> list[str]:
    """The TF-IDF baseline's macro-F1 in a slice, and the model's lead over it there."""
    base = row["baseline_macro_f1"]
    ours = (row.get("macro_f1") or {}).get("value")
    return [fmt_num(base), fmt_delta(None if ours is None else ours - base)]


def _challenge_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    challenge = report.get("challenge")
    if not challenge:
        return []
    facts = [("Items", challenge.get("n")), ("Overall pass rate", fmt_pct(challenge.get("pass_rate")))]
    blocks: list[Block] = [
        Heading("Challenge set", 2),
        Facts([(k, str(v)) for k, v in facts if v is not None]),
    ]
    capabilities = challenge.get("capabilities") or []
    if capabilities:
        rows = [
            [str(c.get("capability")), str(c.get("n", DASH)), str(c.get("passed", DASH)),
             fmt_pct(c.get("pass_rate"))]
            for c in capabilities
        ]
        blocks.append(Table(["Capability", "n", "Passed", "Pass rate"], rows,
                            numeric=frozenset({1, 2, 3})))
    for cap in capabilities:
        blocks.extend(_failures(cap))
    return blocks


def _failures(cap: dict[str, Any]) -> list[Block]:
    failures = cap.get("failures") or []
    if not failures:
        return []
    n, passed = cap.get("n"), cap.get("passed")
    # The report may carry only a sample of the failures; count them from n - passed.
    total = n - passed if n is not None and passed is not None else len(failures)
    shown = failures[:MAX_FAILURES]
    rows = [
        [str(f.get("id", "")), str(f.get("text", "")), str(f.get("expected", "")),
         str(f.get("predicted", ""))]
        for f in shown
    ]
    return [
        Heading(f"Failing items: {cap.get('capability')} ({len(shown)} of {total} shown)", 3),
        Table(["ID", "Text", "Expected", "Predicted"], rows),
    ]


def _errors_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    errors = report.get("errors")
    if not errors or not errors.get("top"):
        return []
    top = errors["top"][:MAX_ERRORS]
    labels = report.get("labels") or []
    rows = [
        [str(i), str(e.get("text", "")), str(e.get("gold", "")), str(e.get("predicted", "")),
         fmt_num(e.get("confidence")), _probs_text(e.get("probs"), labels)]
        for i, e in enumerate(top, start=1)
    ]
    count = errors.get("count")
    intro = f"{count} examples are misclassified; " if count is not None else ""
    intro += f"the {len(top)} the model was most confident about are listed."
    return [
        Heading("Worst errors", 2),
        Paragraph(intro),
        Table(["#", "Text", "Gold", "Predicted", "Confidence", "Probabilities"], rows,
              numeric=frozenset({0, 4})),
    ]


def _probs_text(probs: dict[str, float] | None, labels: Sequence[str]) -> str:
    if not probs:
        return DASH
    order = [lab for lab in labels if lab in probs] or list(probs)
    return ", ".join(f"{lab} {fmt_num(probs[lab], 2)}" for lab in order)


def _model_card_section(report: dict[str, Any], figures: dict[str, Path]) -> list[Block]:
    card = report.get("model_card")
    if not card or not str(card).strip():
        return []
    return [Heading("Model card", 2), MarkdownText(str(card))]
