"""Split news articles into sentences, with character offsets into the original text.

A rule-based splitter tuned for news copy: it keeps abbreviations and initials (U.N., Gen.,
Lt. Col., J. Smith) inside the sentence and closing quotes with the sentence they end.
Paragraphs are separated by blank lines; a hard-wrapped paragraph (single newlines inside
it) is one paragraph, while a short unpunctuated line (a headline or dateline) stands
alone. Every sentence carries (start, end) offsets into the exact input, so results join
back to the source. It needs no model download, which matters offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end with a period without ending a sentence in news copy.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "cpl",
        "pvt",
        "adm",
        "cmdr",
        "brig",
        "gov",
        "sen",
        "rep",
        "st",
        "jr",
        "sr",
        "rev",
        "hon",
        "pres",
        "amb",
        "no",
        "nos",
        "vol",
        "fig",
        "approx",
        "est",
        "dept",
        "univ",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thurs",
        "fri",
        "sat",
        "sun",
        "etc",
        "vs",
        "al",
        "cf",
        "ca",
        "op",
        "ed",
    ]
)

# Candidate boundary: terminal punctuation, optional closing quotes/brackets,
# whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"""([.!?]+["'\u201d\u2019)\]]*)\s+(?=["'\u201c\u2018(\[]?[A-Z0-9])""")
_WORD_BEFORE = re.compile(r"""([A-Za-z.]+)$""")


def _is_abbreviation(text_before: str) -> bool:
    match = _WORD_BEFORE.search(text_before)
    if not match:
        return False
    word = match.group(1)
    core = word.rstrip(".").lower()
    if core in _ABBREVIATIONS:
        return True
    # Initials and dotted acronyms: "J", "U.N", "U.S", "a.m", "p.m".
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word.rstrip(".")))


# After a dotted abbreviation such as "a.m." or "U.S.", these words almost always start a
# new sentence ("at 6 a.m. Then the shelling began"), while a name or a weekday does not.
_SENTENCE_STARTERS = frozenset([
    "the", "then", "he", "she", "it", "they", "we", "i", "a", "an", "in", "on", "at", "but", "and",
    "this", "that", "there", "these", "those", "his", "her", "their", "our", "its", "after",
    "before", "when", "while", "later", "meanwhile", "however", "officials", "police", "residents",
    "witnesses", "no", "some", "many", "most",
])

_TERMINAL = ".!?:;\"'\u201d\u2019)]"
# A line shorter than this share of its block's longest line, without final punctuation,
# is a headline or dateline rather than a wrapped line.
_SHORT_LINE = 0.6


@dataclass(frozen=True)
class Sentence:
    """One sentence: whitespace-normalised text and its [start, end) span in the input."""

    text: str
    start: int
    end: int


def _ends_sentence(before: str, after: str, punct: str) -> bool:
    """Whether a period-like boundary really ends the sentence."""
    single_period = punct.startswith(".") and len(punct.rstrip("\"'\u201d\u2019)]")) == 1
    if not single_period or not _is_abbreviation(before):
        return True
    word = _WORD_BEFORE.search(before)
    dotted = word is not None and "." in word.group(1).rstrip(".")
    next_word = re.match(r"[\"'\u201c\u2018(\[]?([A-Za-z]+)", after)
    return dotted and next_word is not None and next_word.group(1).lower() in _SENTENCE_STARTERS


def _spans_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (one paragraph), trimmed of whitespace."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.start(1) + len(match.group(1))
        if not _ends_sentence(text[cursor : match.start(1)], text[match.end() : end],
                              match.group(1)):
            continue
        spans.append((cursor, stop))
        cursor = match.end()
    spans.append((cursor, end))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        spans.append((pos, pos + len(body)))
        pos += len(line)
    return spans


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs: blocks between blank lines, with headline-like lines kept apart."""
    blocks: list[list[tuple[int, int]]] = [[]]
    for a, b in _line_spans(text):
        if text[a:b].strip():
            blocks[-1].append((a, b))
        elif blocks[-1]:
            blocks.append([])
    paragraphs: list[tuple[int, int]] = []
    for lines in blocks:
        if not lines:
            continue
        widest = max(len(text[a:b].strip()) for a, b in lines)
        current: tuple[int, int] | None = None
        for i, (a, b) in enumerate(lines):
            current = (a, b) if current is None else (current[0], b)
            stripped = text[a:b].strip()
            following = text[lines[i + 1][0] : lines[i + 1][1]].strip() if i + 1 < len(lines) else ""
            # A wrapped line continues in lower case; a headline is followed by a capital.
            headline = (not stripped.endswith(tuple(_TERMINAL))
                        and len(stripped) < _SHORT_LINE * widest
                        and not following[:1].islower())
            if headline or len(lines) == 1:
                paragraphs.append(current)
                current = None
        if current is not None:
            paragraphs.append(current)
    return paragraphs


def sentence_spans(text: str) -> list[Sentence]:
    """Every sentence of an article with its offsets; `text[s.start:s.end]` is the exact
    source of `s.text` (which only has its whitespace runs collapsed)."""
    out = []
    for p_start, p_end in paragraph_spans(text):
        for a, b in _spans_in(text, p_start, p_end):
            out.append(Sentence(" ".join(text[a:b].split()), a, b))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentences of an article, whitespace-normalised."""
    return [s.text for s in sentence_spans(text)]


def read_lines(text: str) -> list[str]:
    """One sentence per non-blank line, stripped (for pre-split input). Only \\n, \\r\\n and
    \\r end a line: form feeds and Unicode line separators stay inside the text."""
    return [line.strip() for line in re.split(r"\r\n|\r|\n", text) if line.strip()]
