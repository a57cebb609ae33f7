"""Assemble the bundled corpus from hand-written part files and assign splits.

Usage: python tools/build_corpus.py PART.jsonl [PART.jsonl ...]
       python tools/build_corpus.py --resplit          (re-split the bundled corpus)
       python tools/build_corpus.py --append PART.jsonl [...]   (add rows, keep old splits)

--append keeps every existing row in its split (so scores on the old test split stay
comparable) and splits only the new rows; a new row that near-duplicates an old one joins
the old row's split, so no near-duplicate ever straddles two splits.

Writes data/corpus/{train,dev,test}.jsonl. Splits are stratified on frame x
stance and grouped so that an event group, or a pair of near-duplicate
sentences, never straddles two splits. This is a maintainer tool; it is not
installed with the package.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from framelens.data.corpus import CORPUS_DIR, SPLITS, split_path
from framelens.data.dedup import near_duplicate_pairs
from framelens.data.schema import OPTIONAL_FIELDS, REQUIRED_FIELDS
from framelens.data.splits import assign_splits

FIELD_ORDER = [*REQUIRED_FIELDS, *OPTIONAL_FIELDS]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", type=Path)
    parser.add_argument("--resplit", action="store_true")
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    old: list[dict] = []
    if args.resplit:
        rows = [r for s in SPLITS for r in read_jsonl(split_path(s))]
    else:
        rows = [r for p in args.parts for r in read_jsonl(p)]
        if args.append:
            old = [r for s in SPLITS for r in read_jsonl(split_path(s))]
    if not rows:
        print("no rows", file=sys.stderr)
        return 1
    for row in rows:
        row["split"] = ""
        row.setdefault("event_group", None)
        row.setdefault("tags", [])
        # Parts written for a later corpus version say so; the first corpus had none.
        row.setdefault("version", "v2" if args.append else "v1")
        row["text"] = " ".join(row["text"].split())
    for row, split in zip(rows, assign_splits(rows, seed=args.seed), strict=True):
        row["split"] = split
    if old:
        moved = 0
        for i, j, _ in near_duplicate_pairs([r["text"] for r in rows], [r["text"] for r in old]):
            if rows[i]["split"] != old[j]["split"]:
                rows[i]["split"] = old[j]["split"]
                moved += 1
        print(f"{moved} new rows moved to the split of a near-duplicate old row")
        for row in old:
            row.setdefault("version", "v1")
        rows = old + rows

    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        chosen = sorted((r for r in rows if r["split"] == split), key=lambda r: r["id"])
        with split_path(split).open("w", encoding="utf-8") as fh:
            for r in chosen:
                fh.write(json.dumps({k: r.get(k) for k in FIELD_ORDER}, ensure_ascii=False) + "\n")
    print(Counter(r["split"] for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
