"""Corpus statistics: counts by label x conflict x register, hard-case tags, lengths."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd
from framelens.data.schema import TAGS


def corpus_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    if "tags" not in df:
        df["tags"] = [[] for _ in range(len(df))]
    df["tags"] = df["tags"].apply(lambda t: list(t) if isinstance(t, list | tuple) else [])
    df["words"] = df["text"].str.split().str.len()
    return df


def crosstab(df: pd.DataFrame, index: str, column: str) -> pd.DataFrame:
    table = pd.crosstab(df[index], df[column], margins=True, margins_name="total")
    return table


def tag_counts(df: pd.DataFrame) -> dict[str, int]:
    counts = Counter(tag for tags in df["tags"] for tag in tags)
    return {tag: int(counts.get(tag, 0)) for tag in TAGS}


def summary(df: pd.DataFrame) -> dict[str, Any]:
    """The headline numbers a data card reports."""
    groups = df["event_group"].dropna() if "event_group" in df else pd.Series(dtype=str)
    groups = groups[groups.astype(str).str.len() > 0]
    return {
        "sentences": int(len(df)),
        "conflicts": int(df["conflict"].nunique()) if "conflict" in df else 0,
        "registers": int(df["register"].nunique()) if "register" in df else 0,
        "frame_share": {
            k: round(v, 3) for k, v in df["frame"].value_counts(normalize=True).items()
        },
        "stance_share": {
            k: round(v, 3) for k, v in df["stance"].value_counts(normalize=True).items()
        },
        "split_counts": {k: int(v) for k, v in df["split"].value_counts().items()}
        if "split" in df
        else {},
        "event_groups": int(groups.nunique()),
        "event_group_sentences": int(len(groups)),
        "tags": tag_counts(df),
        "words_min": int(df["words"].min()),
        "words_median": float(df["words"].median()),
        "words_max": int(df["words"].max()),
    }


def to_markdown(table: pd.DataFrame) -> str:
    cols = [str(c) for c in table.columns]
    lines = [
        "| " + " | ".join([table.index.name or "", *cols]) + " |",
        "|" + "---|" * (len(cols) + 1),
    ]
    for idx, row in table.iterrows():
        lines.append("| " + " | ".join([str(idx), *(str(v) for v in row.tolist())]) + " |")
    return "\n".join(lines)


def stats_markdown(df: pd.DataFrame) -> str:
    """All corpus tables as Markdown (the data card embeds this verbatim)."""
    s = summary(df)
    parts = [
        f"- sentences: {s['sentences']}",
        f"- conflicts: {s['conflicts']}; registers: {s['registers']}",
        "- splits: " + ", ".join(f"{k} {v}" for k, v in sorted(s["split_counts"].items())),
        f"- event groups (same event, opposing perspectives): {s['event_groups']} groups, "
        f"{s['event_group_sentences']} sentences",
        f"- sentence length in words: min {s['words_min']}, median {s['words_median']:g}, "
        f"max {s['words_max']}",
        "- hard-case tags: " + ", ".join(f"{k} {v}" for k, v in s["tags"].items()),
        "",
        "### frame x stance",
        to_markdown(crosstab(df, "frame", "stance")),
        "",
        *(["### version x frame", to_markdown(crosstab(df, "version", "frame")), "",
           "### version x split", to_markdown(crosstab(df, "version", "split")), ""]
          if "version" in df else []),
        "### frame x split",
        to_markdown(crosstab(df, "frame", "split")),
        "",
        "### stance x split",
        to_markdown(crosstab(df, "stance", "split")),
        "",
        "### conflict x frame",
        to_markdown(crosstab(df, "conflict", "frame")),
        "",
        "### conflict x stance",
        to_markdown(crosstab(df, "conflict", "stance")),
        "",
        "### register x frame",
        to_markdown(crosstab(df, "register", "frame")),
        "",
        "### register x stance",
        to_markdown(crosstab(df, "register", "stance")),
        "",
        "### source type x frame",
        to_markdown(crosstab(df, "source_type", "frame")),
    ]
    return "\n".join(parts) + "\n"
