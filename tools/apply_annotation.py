"""Write the adjudicated labels of a double-annotation record into the bundled corpus.

Usage: python tools/apply_annotation.py data/annotation/v1_relabel.jsonl [--check]

A record has one line per relabelled sentence: its id, the corpus labels before ("first"),
the blind second pass ("second"), the labels that stand after adjudication ("adjudicated")
and the codebook rule that decided a disagreement. Rows keep their split and their place in
the split file (scores on the old test split stay comparable row for row); only `frame`,
`stance` and the tags that a new frame contradicts change. `--check` changes nothing and
exits 1 if the corpus and the record disagree. This is a maintainer tool; it is not
installed with the package.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from framelens.data.corpus import SPLITS, split_path

TASKS = ("frame", "stance")
# Tags that describe a neutral sentence, and the one that describes a framed sentence: a
# relabelled frame drops the tags it now contradicts (the validator would reject them).
NEUTRAL_ONLY_TAGS = ("neutral_mention", "keyword_present_neutral")
FRAMED_ONLY_TAGS = ("keyword_free",)


def read_record(path: Path) -> dict[str, dict]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    by_id = {item["id"]: item for item in items}
    if len(by_id) != len(items):
        raise SystemExit(f"{path}: an id appears twice")
    return by_id


def relabel(rows: list[dict], record: dict[str, dict]) -> Counter:
    """Set each recorded row's labels to the adjudicated ones; count what changed."""
    changed: Counter = Counter()
    for row in rows:
        item = record.get(row["id"])
        if item is None:
            continue
        for task in TASKS:
            new = item["adjudicated"][task]
            if row[task] != new:
                changed[(task, row[task], new)] += 1
                row[task] = new
        contradicted = FRAMED_ONLY_TAGS if row["frame"] == "neutral" else NEUTRAL_ONLY_TAGS
        for tag in set(row.get("tags") or []) & set(contradicted):
            row["tags"] = [t for t in row["tags"] if t != tag]
            changed[("tags", tag, "dropped")] += 1
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record", type=Path)
    parser.add_argument("--check", action="store_true", help="only report; change nothing")
    args = parser.parse_args()
    record = read_record(args.record)
    splits = {split_path(s): [json.loads(line) for line in
                              split_path(s).read_text(encoding="utf-8").splitlines()]
              for s in SPLITS}
    # Every id is checked before any file is written: a bad record changes nothing.
    missing = record.keys() - {r["id"] for rows in splits.values() for r in rows}
    if missing:
        print(f"{args.record}: {len(missing)} ids not in the corpus, e.g. {sorted(missing)[:3]}")
        return 1
    total: Counter = Counter()
    for path, rows in splits.items():
        changed = relabel(rows, record)
        total += changed
        if changed and not args.check:
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                            encoding="utf-8")
    for (task, old, new), n in sorted(total.items()):
        print(f"{task}: {old} -> {new}: {n}")
    print(f"{sum(total.values())} changes{' needed' if args.check else ' made'}")
    return 1 if args.check and total else 0


if __name__ == "__main__":
    sys.exit(main())
