"""Check one corpus-v2 part file written by a writer: schema, vocabularies, quotas.

Usage: python tools/corpus_v2/check_part.py tools/corpus_v2/part_g.jsonl
Plain Python (no framelens import needed), so writers can run it anywhere.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

REGISTERS = {
    "wire_report", "un_statement", "ngo_report", "government_statement", "military_press_release",
    "state_media", "op_ed", "live_blog", "social_media", "diplomatic_speech",
    "monitoring_report", "headline", "photo_caption", "local_news",
}
SOURCES = {
    "journalist", "un_official", "ngo_worker", "government_official", "military_spokesperson",
    "state_media", "analyst", "resident_witness", "armed_group", "diplomat", "medic_rescuer",
    "monitor",
}
TAGS = {
    "neutral_mention", "reported_frame", "both_frames", "keyword_free", "hedge_scare_quote",
    "negation", "keyword_present_neutral", "labelled_perpetrator_harm", "background_toll",
    "attribution_stance",
}
FRAMES = {"humanitarian", "counter_terrorism", "neutral"}
STANCES = {"supportive", "critical", "neutral"}
FRAME_KEYWORDS = ("terror", "civilian", "humanitarian", "extremis", "jihad")
CUES = {
    "operation": r"\boperations?\b", "offensive": r"\boffensives?\b",
    "militant": r"\bmilitants?\b", "insurgent": r"\binsurgen", "killed": r"\bkill(ed|ing|s)?\b",
    "security forces": r"\bsecurity forces\b", "civilians": r"\bcivilians?\b", "aid": r"\baid\b",
    "siege": r"\bsiege|\bbesieg",
}


def main(path: str) -> int:
    rows, problems = [], []
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: bad JSON: {exc}")
            continue
        rows.append(r)
        for key in ("id", "text", "frame", "stance", "conflict", "register", "source_type", "tags"):
            if key not in r:
                problems.append(f"line {n}: missing {key}")
        if r.get("frame") not in FRAMES:
            problems.append(f"line {n}: frame {r.get('frame')!r}")
        if r.get("stance") not in STANCES:
            problems.append(f"line {n}: stance {r.get('stance')!r}")
        if r.get("register") not in REGISTERS:
            problems.append(f"line {n}: register {r.get('register')!r}")
        if r.get("source_type") not in SOURCES:
            problems.append(f"line {n}: source_type {r.get('source_type')!r}")
        for t in r.get("tags", []):
            if t not in TAGS:
                problems.append(f"line {n}: tag {t!r}")
        if "keyword_free" in r.get("tags", []) and any(
            k in r.get("text", "").lower() for k in FRAME_KEYWORDS
        ):
            problems.append(f"line {n}: tagged keyword_free but contains a frame keyword")
    ids = Counter(r.get("id") for r in rows)
    problems += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    texts = Counter(" ".join(r.get("text", "").lower().split()) for r in rows)
    problems += [f"duplicate text: {t[:60]}" for t, c in texts.items() if c > 1]
    for p in problems[:50]:
        print("PROBLEM", p)
    n = len(rows) or 1
    words = sorted(len(r["text"].split()) for r in rows) or [0]
    print(f"rows {len(rows)}  problems {len(problems)}")
    print("frame", dict(Counter(r["frame"] for r in rows)))
    print("stance", dict(Counter(r["stance"] for r in rows)))
    print("conflict", dict(Counter(r["conflict"] for r in rows)))
    print("register", dict(Counter(r["register"] for r in rows)))
    print("tags", dict(Counter(t for r in rows for t in r["tags"])))
    print(f"words p10 {words[len(words) // 10]} median {words[len(words) // 2]} "
          f"p90 {words[9 * len(words) // 10]}  <=12: {sum(w <= 12 for w in words) / n:.0%}  "
          f">=36: {sum(w >= 36 for w in words) / n:.0%}")
    print(f"quotes {sum(chr(34) in r['text'] or '“' in r['text'] for r in rows) / n:.0%}  "
          f"parentheses {sum('(' in r['text'] for r in rows) / n:.0%}")
    for name, pat in CUES.items():
        rx = re.compile(pat, re.I)
        hit = [r for r in rows if rx.search(r["text"])]
        print(f"cue {name:16s} n={len(hit):3d} frame {dict(Counter(r['frame'] for r in hit))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
