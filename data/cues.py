"""The cue audit: how each frame-cue word's rows are labelled.

A model learns words when a word predicts a label. Codebook rule C15 lists cue words that
appear under every frame and must not decide one; this module counts, for each cue with
enough rows, the label distribution and flags any cue whose rows lean more than
`MAX_SHARE` to one label. `framelens data cues` prints it, the data card shows it, and a
test keeps the bundled corpus within the bound.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# C15: words that never decide the frame on their own (regex on word boundaries).
NON_DECISIVE_CUES: dict[str, str] = {
    "operation(s)": r"\boperations?\b",
    "offensive": r"\boffensives?\b",
    "militant(s)": r"\bmilitants?\b",
    "fighters": r"\bfighters?\b",
    "insurgent(s)": r"\binsurgen(?:t|ts|cy)\b",
    "killed": r"\bkill(?:ed|ing|s)?\b",
    "security forces": r"\bsecurity forces\b",
    "troops": r"\btroops\b",
    "army": r"\barmy\b",
    "strike(s)": r"\b(?:air)?strikes?\b",
    "civilians": r"\bcivilians?\b",
    "aid": r"\baid\b",
    "siege": r"\b(?:siege|besieged)\b",
    "Islamic State": r"\b(?:Islamic State|ISIS|ISIL|Daesh|IS)\b",
    "al-Shabaab": r"\bal-Shabaab\b",
    "Boko Haram": r"\bBoko Haram\b",
    "Taliban": r"\bTaliban\b",
    "Hamas": r"\bHamas\b",
    "Houthis": r"\bHouthis?\b",
    "RSF": r"\b(?:RSF|Rapid Support Forces)\b",
}
# Group names are matched case-sensitively ("IS" is not "is"); words case-insensitively.
_CASE_SENSITIVE = {"Islamic State", "al-Shabaab", "Boko Haram", "Taliban", "Hamas", "Houthis",
                   "RSF"}
MIN_ROWS = 30
MAX_SHARE = 0.65


@dataclass(frozen=True)
class CueRow:
    cue: str
    n: int
    counts: dict[str, int]
    top_label: str
    top_share: float

    @property
    def audited(self) -> bool:
        return self.n >= MIN_ROWS

    @property
    def leans(self) -> bool:
        return self.audited and self.top_share > MAX_SHARE


def cue_audit(rows: Sequence[dict[str, Any]], label_column: str = "frame",
              labels: Sequence[str] | None = None) -> list[CueRow]:
    """The label distribution of every non-decisive cue's rows."""
    out = []
    for cue, pattern in NON_DECISIVE_CUES.items():
        rx = re.compile(pattern, 0 if cue in _CASE_SENSITIVE else re.I)
        hits = Counter(str(r[label_column]) for r in rows if rx.search(str(r["text"])))
        names = list(labels) if labels else sorted(hits)
        counts = {lab: hits.get(lab, 0) for lab in names}
        n = sum(counts.values())
        top = max(counts, key=counts.get) if n else ""
        out.append(CueRow(cue, n, counts, top, counts.get(top, 0) / n if n else 0.0))
    return out


def cues_markdown(audit: Sequence[CueRow], labels: Sequence[str]) -> str:
    head = "| cue | rows | " + " | ".join(labels) + " | top share | |"
    lines = [head, "|---|---|" + "---|" * len(labels) + "---|---|"]
    for c in audit:
        flag = ("too few rows to audit" if not c.audited
                else f"LEANS > {MAX_SHARE:.0%}" if c.leans else "ok")
        cells = " | ".join(str(c.counts.get(lab, 0)) for lab in labels)
        lines.append(f"| {c.cue} | {c.n} | {cells} | {c.top_share:.0%} {c.top_label} | {flag} |")
    return "\n".join(lines) + "\n"
