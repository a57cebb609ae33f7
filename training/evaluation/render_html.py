"""Render an evaluation report as one self-contained HTML file.

The file must open anywhere, offline and years later: figures are embedded as
base64 data URIs, the CSS is inline, and there are no scripts and no external
resources. Every piece of text that comes from the report is passed through
``html.escape``; sentences under evaluation can contain anything. The model card is
Markdown: markdown-it-py turns it into HTML (its tables become real tables) with raw
HTML off, and links or images that would reach outside the file become plain text.

The content and order come from ``document.build_document`` so the HTML and the
Markdown report always show the same tables.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path
from typing import Any

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
from markdown_it.token import Token

CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --soft: #f6f8fa; --accent: #3b6ea8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", sans-serif; font-size: 15px; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 24px 64px; }
h1 { font-size: 1.8em; margin: 0.2em 0 0.4em; }
h2 { font-size: 1.35em; margin: 2em 0 0.6em; padding-bottom: 0.25em;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.08em; margin: 1.5em 0 0.5em; }
p { margin: 0.5em 0 1em; }
nav { font-size: 0.9em; margin: 0.5em 0 1.5em; color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; margin-right: 0.9em; white-space: nowrap; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; width: auto; }
th, td { border: 1px solid var(--line); padding: 5px 9px; vertical-align: top; text-align: left; }
th { background: var(--soft); font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
table.facts tr { background: none !important; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.flagged td { color: var(--muted); background: #f3f3f3; font-style: italic; }
table.facts th { background: none; border: none; padding: 2px 16px 2px 0; color: var(--muted);
  font-weight: normal; }
table.facts td { border: none; padding: 2px 0; }
.tiles { display: flex; gap: 16px; flex-wrap: wrap; margin: 0.5em 0 1em; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 12px 18px; min-width: 200px; }
.tile .label { color: var(--muted); font-size: 0.85em; text-transform: uppercase;
  letter-spacing: 0.04em; }
.tile .value { font-size: 2em; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .ci { color: var(--muted); font-size: 0.85em; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
figure { margin: 0.5em 0 1em; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.85em; margin-top: 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 4px 20px; background: var(--soft); }
footer { margin-top: 3em; color: var(--muted); font-size: 0.8em; }
"""


def render_html(report: dict[str, Any], figures: dict[str, Path]) -> str:
    """The whole report as one HTML document (a string; the caller writes it)."""
    blocks = build_document(report, figures)
    title = next((b.text for b in blocks if isinstance(b, Heading) and b.level == 1), "Report")
    body = "\n".join(_render_blocks(blocks))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n{_footer(report)}\n</main>\n</body>\n</html>\n"
    )


def _render_blocks(blocks: Sequence[Block]) -> Iterator[str]:
    """Blocks in order; a run of consecutive figures shares one grid so they sit side by side."""
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if isinstance(block, FigureRef):
            run = []
            while i < len(blocks) and isinstance(blocks[i], FigureRef):
                run.append(blocks[i])
                i += 1
            figures = "\n".join(_figure(f) for f in run)
            yield f'<div class="figures">\n{figures}\n</div>' if len(run) > 1 else figures
            continue
        yield _block(block)
        if isinstance(block, Heading) and block.level == 1:
            yield _nav(blocks)
        i += 1


def _block(block: Block) -> str:
    match block:
        case Heading(text, level):
            anchor = f' id="{_anchor(text)}"' if level == 2 else ""
            return f"<h{level}{anchor}>{escape(text)}</h{level}>"
        case Paragraph(text):
            return f"<p>{escape(text)}</p>"
        case Facts(items):
            rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in items)
            return f'<table class="facts"><tbody>{rows}</tbody></table>'
        case Highlights(items):
            return '<div class="tiles">' + "".join(_tile(*item) for item in items) + "</div>"
        case Table():
            return _table(block)
        case MarkdownText(text):
            return f'<div class="card">\n{markdown_to_html(text)}\n</div>'
    raise TypeError(f"unknown block {block!r}")


def _nav(blocks: Sequence[Block]) -> str:
    # In-page links only: a long report needs a way to jump to its sections.
    links = [
        f'<a href="#{_anchor(b.text)}">{escape(b.text)}</a>'
        for b in blocks if isinstance(b, Heading) and b.level == 2
    ]
    return f"<nav>{''.join(links)}</nav>" if links else ""


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _tile(label: str, value: str, ci: str) -> str:
    return (f'<div class="tile"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div><div class="ci">{escape(ci)}</div></div>')


def _table(table: Table) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="num"' if i in table.numeric else ""
        return f"<{tag}{cls}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(table.headers))
    rows = []
    for r, row in enumerate(table.rows):
        cls = ' class="flagged"' if r in table.flagged else ""
        rows.append(f"<tr{cls}>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def _figure(ref: FigureRef) -> str:
    data = base64.b64encode(Path(ref.path).read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(ref.caption)}">'
            f"<figcaption>{escape(ref.caption)}</figcaption></figure>")


def _footer(report: dict[str, Any]) -> str:
    generated = report.get("generated")
    when = f" on {escape(str(generated))}" if generated else ""
    return f"<footer>Generated by framelens{when}.</footer>"


def markdown_to_html(text: str) -> str:
    """The model card as HTML, safe to embed: raw HTML in the card is shown as text, its
    headings start at h3 (under the report's "Model card" h2), and nothing in it may load
    or link outside the file."""
    md = markdown_parser()
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        if token.children:
            token.children = _offline_inline(token.children)
    return md.renderer.render(tokens, md.options, {}).strip()


def _offline_inline(children: list[Token]) -> list[Token]:
    """Inline tokens without external references: an image becomes its alt text, a link
    its text followed by the address (an in-page #anchor link stays a link)."""
    out: list[Token] = []
    hrefs: list[str | None] = []  # per open link: the address to show at its close
    for tok in children:
        if tok.type == "image":
            out.append(_text(tok.content))
        elif tok.type == "link_open":
            href = str(tok.attrGet("href") or "")
            if href.startswith("#"):
                hrefs.append(None)
                out.append(tok)
            else:
                # An autolink's text is the address already.
                hrefs.append("" if tok.markup == "autolink" else href)
        elif tok.type == "link_close":
            href = hrefs.pop() if hrefs else None
            if href is None:
                out.append(tok)
            elif href:
                out.append(_text(f" ({href})"))
        else:
            out.append(tok)
    return out


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)
