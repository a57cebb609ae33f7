"""Split news articles into sentences.

A rule-based splitter, tuned for news copy: it keeps abbreviations and
initials (U.N., Gen., Lt. Col., J. Smith) inside the sentence, keeps closing
quotes with the sentence they end, and treats each line of an article as its
own paragraph so headlines, datelines and subheads never run into body text.
It needs no model download, which matters offline.
"""

from __future__ import annotations

import re

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


def split_paragraph(paragraph: str) -> list[str]:
    """Split one paragraph (no newlines) into sentences."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        punct = match.group(1)
        end = match.start(1) + len(punct)
        single_period = punct.startswith(".") and len(punct.rstrip("\"'\u201d\u2019)]")) == 1
        if single_period and _is_abbreviation(text[start : match.start(1)]):
            continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_sentences(text: str) -> list[str]:
    """Split an article into sentences; every non-blank line is its own paragraph."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(split_paragraph(line))
    return out


def read_lines(text: str) -> list[str]:
    """One sentence per non-blank line, stripped (for pre-split input)."""
    return [line.strip() for line in text.splitlines() if line.strip()]
