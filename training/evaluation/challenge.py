"""Behavioural challenge set (CheckList style): pass rate per capability."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from framelens.data.corpus import challenge_path
from framelens.models.predictor import Classifier

MAX_FAILURES_LISTED = 50


def load_challenge(path: str | Path | None = None) -> list[dict[str, Any]]:
    path = Path(path) if path else challenge_path()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def run_challenge(clf: Classifier, path: str | Path | None = None) -> dict[str, Any]:
    """Score the items that carry an expected label for this classifier's task.

    Besides per-item correctness, name-swap sets (shared pair_id) must be
    predicted identically: an invariance failure is a failure even when one
    variant happens to be right.
    """
    task = clf.task.name
    items = [i for i in load_challenge(path) if i.get(task)]
    if not items:
        raise ValueError(f"the challenge set has no expected labels for task {task!r}")
    preds = clf.predict([i["text"] for i in items], batch_size=64)
    by_cap: dict[str, list[tuple[dict, str]]] = defaultdict(list)
    for item, pred in zip(items, preds, strict=True):
        by_cap[item["capability"]].append((item, pred.label))

    capabilities = []
    for cap in sorted(by_cap):
        results = by_cap[cap]
        failures = [
            {"id": it["id"], "text": it["text"], "expected": it[task], "predicted": label}
            for it, label in results if label != it[task]
        ]
        entry = {
            "capability": cap, "n": len(results), "passed": len(results) - len(failures),
            "pass_rate": (len(results) - len(failures)) / len(results),
            "failures": failures[:MAX_FAILURES_LISTED],
        }
        sets = _set_consistency(results)
        if sets is not None:
            entry["consistent_sets"], entry["sets"] = sets
        capabilities.append(entry)
    passed = sum(c["passed"] for c in capabilities)
    return {"task": task, "n": len(items), "pass_rate": passed / len(items),
            "capabilities": capabilities}


def _set_consistency(results: list[tuple[dict, str]]) -> tuple[int, int] | None:
    groups: dict[str, set[str]] = defaultdict(set)
    for item, label in results:
        if item.get("pair_id") and item.get("capability") == "invariance_names":
            groups[item["pair_id"]].add(label)
    if not groups:
        return None
    return sum(len(labels) == 1 for labels in groups.values()), len(groups)
