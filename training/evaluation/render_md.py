"""Format an evaluation report's document as Markdown.

What the report shows comes from ``document.build_document``; this module only
decides how each block looks in Markdown. Data text is escaped so that a sentence
under evaluation cannot break a table or inject HTML; the model card is Markdown
already and is kept as is, its headings moved below the report's own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from framelens.training.evaluation.document import (
    Block,
    Facts,
    FigureRef,
    Heading,
    Highlights,
    MarkdownText,
    Paragraph,
    Table,
    build_document,
    markdown_parser,
)


def render_markdown(
    report: dict[str, Any], figures: dict[str, Path], relative_to: Path | None = None
) -> str:
    """The report as Markdown; figures are linked by file name, or by a path relative
    to ``relative_to`` (the folder report.md will be written to) when given."""
    parts = [_md_block(block, relative_to) for block in build_document(report, figures)]
    return "\n\n".join(part for part in parts if part) + "\n"


def _md_block(block: Block, relative_to: Path | None) -> str:
    match block:
        case Heading(text, level):
            return f"{'#' * level} {md_escape(text)}"
        case Paragraph(text):
            return md_escape(text)
        case Facts(items):
            return "\n".join(f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in items)
        case Highlights(items):
            return " · ".join(f"**{md_escape(k)} {md_escape(v)}** ({md_escape(ci)})"
                              for k, v, ci in items)
        case Table():
            return _md_table(block)
        case FigureRef(_, path, caption):
            return f"![{md_escape(caption)}]({_figure_link(path, relative_to)})"
        case MarkdownText(text):
            return _demote_headings(text.strip())
    raise TypeError(f"unknown block {block!r}")


def _md_table(table: Table) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = ["---:" if i in table.numeric else "---" for i in range(len(table.headers))]
    lines = [line([md_escape(h) for h in table.headers]), line(rule)]
    lines += [line([md_escape(c) for c in row]) for row in table.rows]
    return "\n".join(lines)


def _figure_link(path: Path, relative_to: Path | None) -> str:
    link = path.name if relative_to is None else os.path.relpath(path, relative_to)
    # Markdown link targets cannot hold spaces or parentheses unencoded.
    return quote(Path(link).as_posix())


_MD_SPECIAL = re.compile(r"([\\`*|<>])")


def md_escape(text: str) -> str:
    """Make data text inert in Markdown: no table breaks, no raw HTML, no emphasis or code."""
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def _demote_headings(text: str) -> str:
    """The model card's own "# Title" must sit below the report's "## Model card".

    Only real ATX headings move (found by the parser, so a "# comment" inside a code
    block stays as it is); levels stop at 6, the deepest Markdown has.
    """
    lines = text.splitlines()
    for token in markdown_parser().parse(text):
        if (token.type == "heading_open" and token.level == 0 and token.markup.startswith("#")
                and token.map):
            row = token.map[0]
            level = min(int(token.tag[1]) + 2, 6)
            lines[row] = "#" * level + " " + lines[row].lstrip().lstrip("#").lstrip()
    return "\n".join(lines)
