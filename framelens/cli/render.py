"""Human-readable terminal output (rich tables) for metrics and predictions."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped output (make, CI logs, files) gets 120 columns instead of rich's 80, so the
# sentence column of a prediction table stays readable.
console = Console(width=None if sys.stdout.isatty() else 120)
# Errors are one line each: never wrapped, whatever the terminal width.
err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def metrics_table(metrics: dict[str, Any], labels: Sequence[str], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("label", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for label in labels:
        m = metrics["per_class"][label]
        table.add_row(
            label,
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["support"]),
        )
    total = sum(metrics["per_class"][lab]["support"] for lab in labels)
    table.add_section()
    table.add_row(
        "macro avg",
        f"{metrics['macro_precision']:.3f}",
        f"{metrics['macro_recall']:.3f}",
        f"{metrics['macro_f1']:.3f}",
        str(total),
    )
    table.add_row(
        "weighted avg",
        f"{metrics['weighted_precision']:.3f}",
        f"{metrics['weighted_recall']:.3f}",
        f"{metrics['weighted_f1']:.3f}",
        str(total),
    )
    table.add_row("accuracy", "", "", f"{metrics['accuracy']:.3f}", str(total))
    return table


def confusion_table(matrix: list[list[int]], labels: Sequence[str]) -> Table:
    table = Table(title="confusion matrix (rows = gold, columns = predicted)", title_justify="left")
    table.add_column("gold \\ pred")
    for label in labels:
        table.add_column(label, justify="right")
    for label, row in zip(labels, matrix, strict=True):
        table.add_row(label, *(str(v) for v in row))
    return table


def predictions_table(
    rows: Sequence[dict[str, Any]], tasks: Sequence[str], width: int = 90
) -> Table:
    table = Table(show_lines=False)
    table.add_column("#", justify="right")
    for task in tasks:
        table.add_column(task)
        table.add_column("p", justify="right")
    table.add_column("sentence", overflow="fold", max_width=width)
    for row in rows:
        cells = [str(row.get("line") or row["sentence_index"] + 1)]
        for task in tasks:
            cells += [row[task], f"{row[f'{task}_confidence']:.2f}"]
        cells.append(row["text"])
        table.add_row(*cells)
    return table
