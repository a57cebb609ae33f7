"""Charts and one self-contained HTML page for `framelens summarize`.

Figures are drawn on standalone `Figure`s attached to an Agg canvas, not through pyplot:
pyplot keeps global state and needs a display-free backend chosen before import, while a
bare Agg canvas renders PNGs on a headless machine and is freed when it goes out of scope
(as in the evaluation report's figures). The HTML must open anywhere, offline and later:
images are embedded as base64 data URIs, the CSS is inline, there are no scripts, and
every group name is escaped (it comes from user data). matplotlib is the `report` extra;
without it the command says how to install it instead of failing on an import.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from framelens.data.errors import EnvironmentProblem
from framelens.serving.batch.summarize import GroupShares

DPI = 110
MAX_GROUPS = 30  # bars: the largest groups; the table lists them all
MAX_LINES = 8  # lines over time: the largest groups
SMALL_MARK = "†"


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise EnvironmentProblem("summarize charts need matplotlib: pip install "
                                 "'framelens[report]'") from None
    return Figure, FigureCanvasAgg


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _largest(table: pd.DataFrame, columns: list[str], limit: int) -> list[Any]:
    sizes = table.drop_duplicates(columns).groupby(columns[0])["sentences"].sum()
    return list(sizes.sort_values(ascending=False, kind="stable").index[:limit])


def bar_figure(shares: GroupShares, task: str):
    """Share of each label per group, with interval whiskers; small groups faded."""
    Figure, Canvas = _matplotlib()
    table = shares.table[shares.table["task"] == task]
    labels = shares.labels[task]
    groups = _largest(table, [shares.by], MAX_GROUPS)[::-1]  # largest at the top
    fig = Figure(figsize=(7.5, 1.2 + 0.22 * len(groups) * max(len(labels), 2)), dpi=DPI,
                 layout="tight")
    Canvas(fig)
    ax = fig.add_subplot()
    height = 0.8 / max(len(labels), 1)
    ticks = []
    for gi, group in enumerate(groups):
        rows = table[table[shares.by] == group].set_index("label")
        small = bool(rows["small"].iloc[0])
        n = int(rows["sentences"].iloc[0])
        ticks.append(f"{group} (n={n}){' ' + SMALL_MARK if small else ''}")
        for li, (label, color) in enumerate(zip(labels, _colors(len(labels)), strict=True)):
            r = rows.loc[label]
            y = gi + ((len(labels) - 1) / 2 - li) * height  # first label on top, as in the legend
            ax.barh(y, r["share"], height=height * 0.9, color=color, alpha=0.45 if small else 1,
                    hatch="//" if small else None, label=label if gi == 0 else None)
            ax.errorbar(r["share"], y, xerr=[[r["share"] - r["ci_low"]], [r["ci_high"] - r["share"]]],
                        fmt="none", ecolor="#333333", capsize=2, linewidth=0.8)
    ax.set_yticks(range(len(groups)), ticks)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of sentences ({shares.level:.0%} CI)")
    ax.set_title(f"{task} by {shares.by}")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def trend_figure(shares: GroupShares, task: str):
    """One panel per label: its share over time, a line per group with its interval band."""
    Figure, Canvas = _matplotlib()
    table = shares.table[shares.table["task"] == task]
    labels = shares.labels[task]
    groups = _largest(table, [shares.by, shares.over], MAX_LINES)
    periods = sorted(table[shares.over].unique())
    fig = Figure(figsize=(3.6 * len(labels), 3.6), dpi=DPI, layout="tight")
    Canvas(fig)
    axes = fig.subplots(1, len(labels), sharey=True, squeeze=False)[0]
    for ax, label in zip(axes, labels, strict=True):
        for group, color in zip(groups, _colors(len(groups)), strict=True):
            rows = table[(table[shares.by] == group) & (table["label"] == label)]
            rows = rows.set_index(shares.over).reindex(periods)
            x = range(len(periods))
            ax.plot(x, rows["share"], marker="o", color=color, label=str(group))
            ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=color, alpha=0.15)
            small = rows["small"].fillna(False).astype(bool)
            ax.plot([i for i, s in zip(x, small, strict=True) if s], rows["share"][small],
                    linestyle="none", marker="o", markerfacecolor="white", color=color)
        ax.set_title(label)
        ax.set_ylim(0, 1)
        ax.set_xticks(range(len(periods)), periods, rotation=45, ha="right", fontsize="small")
    axes[0].set_ylabel(f"share ({shares.level:.0%} CI)")
    axes[-1].legend(fontsize="small", title=shares.by)
    return fig


def render_charts(shares: GroupShares, out_dir: Path) -> dict[str, Path]:
    """One PNG per task; returns task -> path."""
    paths = {}
    for task in shares.labels:
        if not (shares.table["task"] == task).any():
            continue
        fig = trend_figure(shares, task) if shares.over else bar_figure(shares, task)
        paths[task] = out_dir / f"{task}.png"
        fig.savefig(paths[task], format="png", dpi=DPI)
    return paths


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328;
  max-width: 1100px; margin: 0 auto; padding: 24px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #d8dee4; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d8dee4; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.small td { color: #8c959f; } img { max-width: 100%; } .note { color: #656d76; }
"""


def _table_html(shares: GroupShares, task: str) -> str:
    table = shares.table[shares.table["task"] == task]
    keys = shares.group_columns
    labels = shares.labels[task]
    head = "".join(f"<th>{escape(str(c))}</th>" for c in [*keys, "sentences", "documents"])
    head += "".join(f"<th>{escape(label)}</th>" for label in labels)
    body = []
    for key, rows in table.groupby(keys, sort=True):
        rows = rows.set_index("label")
        first = rows.iloc[0]
        small = bool(first["small"])
        cells = [escape(str(k)) + (f" {SMALL_MARK}" if small and i == 0 else "")
                 for i, k in enumerate(key if isinstance(key, tuple) else (key,))]
        cells += [f"{int(first['sentences']):,}", f"{int(first['documents']):,}"]
        for label in labels:
            r = rows.loc[label]
            cells.append(f"{r['share']:.1%} <span class=note>[{r['ci_low']:.1%}–{r['ci_high']:.1%}]"
                         f"</span> ({int(r['count']):,})")
        body.append(f"<tr{' class=small' if small else ''}>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(shares: GroupShares, images: dict[str, Path], source: str) -> str:
    over = f" over {escape(shares.over)} ({escape(shares.freq or '')})" if shares.over else ""
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<title>framelens summary by {escape(shares.by)}</title><style>{CSS}</style></head>"
             f"<body><h1>Shares by {escape(shares.by)}{over}</h1>",
             f"<p class=note>Source: {escape(source)}. Each share is the fraction of sentences with that "
             f"label, with its count in brackets after the {shares.level:.0%} interval "
             f"(bootstrap over documents, {shares.resamples:,} resamples, seed {shares.seed}). "
             f"{SMALL_MARK} marks groups with fewer than {shares.min_sentences} sentences: "
             "read their shares with care.</p>"]
    parts += [f"<p class=note>{escape(note)}</p>" for note in shares.notes]
    for task in shares.labels:
        parts.append(f"<h2>{escape(task)}</h2>")
        if task in images:
            data = base64.b64encode(images[task].read_bytes()).decode("ascii")
            parts.append(f'<img src="data:image/png;base64,{data}" alt="{escape(task)} shares">')
        parts.append(_table_html(shares, task))
    parts.append("</body></html>")
    return "\n".join(parts)


SUMMARY_JSON = "summary.json"


def _is_summary_dir(path: Path) -> bool:
    import json

    try:
        return json.loads((path / SUMMARY_JSON).read_text(encoding="utf-8")).get(
            "framelens") == "summarize"
    except (OSError, ValueError, AttributeError):
        return False


def write_report(shares: GroupShares, target: Path, source: str, overwrite: bool = False) -> Path:
    """`shares.csv`, `summary.json`, one PNG per task and `summary.html`, written as one
    directory that replaces `target` only when complete (and only a previous summary)."""
    import json

    from framelens.data.outputs import atomic_directory, guard_output_dir

    _matplotlib()  # before anything is written
    guard_output_dir(target, overwrite, _is_summary_dir, "summary")
    with atomic_directory(target) as tmp:
        shares.table.to_csv(tmp / "shares.csv", index=False)
        (tmp / SUMMARY_JSON).write_text(json.dumps(shares.to_dict(), indent=1), encoding="utf-8")
        images = render_charts(shares, tmp)
        (tmp / "summary.html").write_text(render_html(shares, images, source), encoding="utf-8")
    return target / "summary.html"
