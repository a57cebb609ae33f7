"""Behavioural challenge set (CheckList style): pass rate per capability."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from framelens.data.corpus import challenge_path
from framelens.data.errors import DataError
from framelens.models.predictor import Predictor, TaskModel
from framelens.training.evaluation.scoring import as_task_model

MAX_FAILURES_LISTED = 50


def load_challenge(path: str | Path | None = None) -> list[dict[str, Any]]:
    path = Path(path) if path else challenge_path()
    if not path.is_file():
        raise DataError.single(path, None, "(file)", "no such file (pass --no-challenge)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def run_challenge(model: TaskModel | Predictor, path: str | Path | None = None) -> dict[str, Any]:
    """Score the items that carry an expected label for this model's task.

    Besides per-item correctness, name-swap sets (shared pair_id) must be
    predicted identically: an invariance failure is a failure even when one
    variant happens to be right.
    """
    task_model = as_task_model(model)
    task = task_model.task.name
    items = [i for i in load_challenge(path) if i.get(task)]
    if not items:
        raise DataError.single(path or challenge_path(), None, task,
                               "no challenge item has an expected label for this task "
                               "(pass --no-challenge)")
    probs = task_model.predict_proba([i["text"] for i in items], batch_size=64)
    labels = task_model.task.labels
    by_cap: dict[str, list[tuple[dict, str]]] = defaultdict(list)
    for item, row in zip(items, probs, strict=True):
        by_cap[item["capability"]].append((item, labels[int(row.argmax())]))

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
