"""PNG figures for an evaluation report: confusion matrix, reliability diagram,
per-class F1 and one macro-F1 chart per slice column.

Each figure is drawn on a standalone ``Figure`` attached to an Agg canvas rather
than through pyplot: pyplot keeps global state (open figures, the current
backend) that leaks between calls and needs a display-free backend to be chosen
before import. A bare Agg canvas renders PNGs on a headless machine and the figure
is freed as soon as it goes out of scope.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

DPI = 110
SIZE = (6.0, 4.5)
BAR_COLOR = "#3b6ea8"
SMALL_COLOR = "#b9b9b9"
ERR_COLOR = "#333333"
LEGEND_STRIP_IN = 0.3  # height kept free under a slice chart for its legend


def render_figures(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write every figure the report has data for into ``out_dir``; return name -> path.

    Names: "confusion", "reliability", "per_class_f1" and "slice_<column>". A figure
    whose data is missing (a partial report) is skipped, not drawn empty.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = report.get("metrics") or {}
    labels = list(report.get("labels") or [])
    ci_label = ci_level_label(report)
    drawn: dict[str, Figure] = {}

    if metrics.get("confusion_matrix") and labels:
        drawn["confusion"] = confusion_figure(metrics["confusion_matrix"], labels)
    bins = (metrics.get("calibration") or {}).get("bins")
    if bins:
        drawn["reliability"] = reliability_figure(bins, metrics.get("ece"))
    if metrics.get("per_class"):
        drawn["per_class_f1"] = per_class_f1_figure(metrics["per_class"], labels, ci_label)
    overall = _value(metrics.get("macro_f1"))
    for column, rows in (report.get("slices") or {}).items():
        if rows:
            drawn[f"slice_{column}"] = slice_figure(column, rows, overall, ci_label)

    paths: dict[str, Path] = {}
    for name, fig in drawn.items():
        paths[name] = _save(fig, out_dir / f"{_file_stem(name)}.png")
    return paths


# --- individual figures ------------------------------------------------------------


def confusion_figure(matrix: Sequence[Sequence[int]], labels: Sequence[str]) -> Figure:
    """Heatmap coloured by row percentage, each cell showing its count and row %."""
    counts = np.asarray(matrix, dtype=float)
    pct = _row_percentages(counts)
    fig, ax = _new_figure()
    # Colour by row % so a large class does not wash out the errors of a small one.
    image = ax.imshow(pct, cmap="Blues", vmin=0, vmax=100)
    cbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    cbar.set_label("% of gold row")
    for i, j in np.ndindex(counts.shape):
        # Dark cells need white text to stay legible.
        color = "white" if pct[i, j] > 55 else "black"
        ax.text(j, i, f"{int(counts[i, j])}\n{pct[i, j]:.1f}%", ha="center", va="center",
                color=color, fontsize=9)
    ticks = range(len(labels))
    ax.set_xticks(ticks, [_wrap(lab) for lab in labels], fontsize=9)
    ax.set_yticks(ticks, [_wrap(lab) for lab in labels], fontsize=9)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("Gold label")
    ax.set_title(f"Confusion matrix (n = {int(counts.sum())})")
    return fig


def reliability_figure(bins: Sequence[dict[str, Any]], ece: float | None) -> Figure:
    """Accuracy per confidence bin against the diagonal, with each bin's count."""
    fig, ax = _new_figure()
    ax.plot([0, 1], [0, 1], linestyle="--", color="#888888", linewidth=1,
            label="perfect calibration")
    used = [b for b in bins if b.get("count") and b.get("accuracy") is not None]
    lows = [b["lo"] for b in used]
    widths = [b["hi"] - b["lo"] for b in used]
    accs = [b["accuracy"] for b in used]
    ax.bar(lows, accs, width=widths, align="edge", color=BAR_COLOR, edgecolor="white",
           alpha=0.85, label="accuracy in bin")
    confs = [b["confidence"] for b in used if b.get("confidence") is not None]
    if len(confs) == len(used):
        # Mean confidence per bin: the gap from bar top to marker is the miscalibration.
        centers = [lo + w / 2 for lo, w in zip(lows, widths, strict=True)]
        ax.scatter(centers, confs, marker="_", s=120, color="#c0392b", zorder=3,
                   label="mean confidence")
    for lo, width, acc, b in zip(lows, widths, accs, used, strict=True):
        ax.text(lo + width / 2, min(acc, 1.0) + 0.015, f"n={b['count']}", ha="center",
                va="bottom", fontsize=7, color="#444444")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("Confidence (top-class probability)")
    ax.set_ylabel("Accuracy")
    ax.set_title(f"Reliability diagram (ECE = {_fmt(ece)})")
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def per_class_f1_figure(
    per_class: dict[str, dict[str, Any]], labels: Sequence[str], ci_label: str = "95% CI"
) -> Figure:
    """One F1 bar per class with its confidence interval."""
    # Keep the report's label order; fall back to the dict's order if labels are absent.
    names = [lab for lab in labels if lab in per_class] or list(per_class)
    stats = [per_class[name].get("f1") for name in names]
    fig, ax = _new_figure()
    xs = np.arange(len(names))
    values = [_value(s) for s in stats]
    ax.bar(xs, _nan_for_none(values), color=BAR_COLOR, width=0.6)
    _error_bars(ax, xs, stats)
    for x, value in zip(xs, values, strict=True):
        if value is not None and value > 0.1:
            # Inside the bar, below the whisker, so it never collides with the CI.
            ax.text(x, value / 2, _fmt(value), ha="center", va="center", fontsize=9,
                    color="white")
    supports = [per_class[name].get("support") for name in names]
    ax.set_xticks(xs, [_tick(name, n) for name, n in zip(names, supports, strict=True)],
                  fontsize=9)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.set_title(f"Per-class F1 with {ci_label}")
    ax.grid(axis="y", alpha=0.3)
    return fig


def slice_figure(
    column: str, rows: Sequence[dict[str, Any]], overall: float | None, ci_label: str = "95% CI"
) -> Figure:
    """Macro-F1 per slice value; small slices are grey and hatched so they read as tentative.

    Horizontal bars: a column such as "conflict" can have twenty values with long names,
    which no vertical layout keeps legible. The figure grows taller with the count.
    """
    fig, ax = _new_figure(height=max(SIZE[1], 0.32 * len(rows) + 1.8))
    ys = np.arange(len(rows))
    stats = [row.get("macro_f1") for row in rows]
    small = [bool(row.get("small")) for row in rows]
    bars = ax.barh(ys, _nan_for_none([_value(s) for s in stats]), height=0.6,
                   color=[SMALL_COLOR if s else BAR_COLOR for s in small])
    for bar, is_small in zip(bars, small, strict=True):
        if is_small:
            bar.set_hatch("//")
            bar.set_edgecolor("#777777")
    _error_bars(ax, ys, stats, horizontal=True)
    if overall is not None:
        ax.axvline(overall, color="#c0392b", linestyle="--", linewidth=1,
                   label=f"overall macro-F1 {_fmt(overall)}")
    handles, _ = ax.get_legend_handles_labels()
    if any(small):
        # A proxy patch so the legend explains the grey hatching.
        handles.append(Patch(facecolor=SMALL_COLOR, hatch="//", edgecolor="#777777",
                             label="small slice (unreliable)"))
    labels = [_slice_label(row) for row in rows]
    ax.set_yticks(ys, labels, fontsize=8 if len(rows) > 10 else 9)
    ax.invert_yaxis()  # keep the report's order, first value on top
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("Macro-F1")
    ax.set_title(f"Macro-F1 by {column} ({ci_label})")
    ax.grid(axis="x", alpha=0.3)
    if handles:
        # Along the bottom of the figure, where it can never cover a bar; a fixed strip
        # (in inches, not a fraction) so it sits just as close on a tall figure.
        fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False)
        fig.set_layout_engine("tight", rect=(0, LEGEND_STRIP_IN / fig.get_figheight(), 1, 1))
    return fig


def _slice_label(row: dict[str, Any]) -> str:
    n = row.get("n")
    return f"{row.get('value')}" if n is None else f"{row.get('value')} (n={n})"


# --- helpers -----------------------------------------------------------------------


def ci_level_label(report: dict[str, Any]) -> str:
    """"95% CI" (or whatever level the bootstrap used), for titles and table headers."""
    level = (report.get("bootstrap") or {}).get("level") or 0.95
    return f"{level * 100:g}% CI"


def _new_figure(width: float = SIZE[0], height: float = SIZE[1]) -> tuple[Figure, Any]:
    # The tight layout engine runs at save time, after every label and legend exists.
    fig = Figure(figsize=(width, height), dpi=DPI, layout="tight")
    FigureCanvasAgg(fig)  # attaches itself as fig.canvas
    return fig, fig.add_subplot()


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png", dpi=DPI)
    return path


def _row_percentages(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    # A class with no gold examples gets 0% rather than a division-by-zero NaN.
    return np.divide(counts * 100, totals, out=np.zeros_like(counts), where=totals > 0)


def _error_bars(
    ax: Any, positions: np.ndarray, stats: Sequence[dict[str, Any] | None],
    horizontal: bool = False,
) -> None:
    """Asymmetric CI whiskers; points without a value or a CI get none."""
    for pos, stat in zip(positions, stats, strict=True):
        value, ci = _value(stat), (stat or {}).get("ci")
        if value is None or not ci or None in ci:
            continue
        err = [[max(value - ci[0], 0.0)], [max(ci[1] - value, 0.0)]]
        if horizontal:
            ax.errorbar([value], [pos], xerr=err, fmt="none", ecolor=ERR_COLOR, capsize=3,
                        linewidth=1)
        else:
            ax.errorbar([pos], [value], yerr=err, fmt="none", ecolor=ERR_COLOR, capsize=4,
                        linewidth=1)


def _value(stat: dict[str, Any] | None) -> float | None:
    if not stat:
        return None
    value = stat.get("value")
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _nan_for_none(values: Sequence[float | None]) -> list[float]:
    # matplotlib skips NaN bars; None would raise.
    return [math.nan if v is None else v for v in values]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _tick(name: str, n: int | None) -> str:
    return _wrap(name) if n is None else f"{_wrap(name)}\n(n={n})"


def _wrap(label: str) -> str:
    # "counter_terrorism" is too wide for a tick; break at the underscore.
    return label.replace("_", "_\n") if len(label) > 12 else label


def _file_stem(name: str) -> str:
    # Slice column names come from the data; keep file names portable.
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
