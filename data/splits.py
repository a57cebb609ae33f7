"""Stratified, group-aware train/dev/test splits and leave-one-group-out folds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from framelens.data.dedup import near_duplicate_pairs
from sklearn.model_selection import StratifiedGroupKFold


def _union_find_groups(n: int, links: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in links:
        parent[find(a)] = find(b)
    return [find(i) for i in range(n)]


def leakage_groups(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Rows that must share a split: same event group, or near-duplicate texts."""
    links = [(i, j) for i, j, _ in near_duplicate_pairs([r["text"] for r in rows])]
    first_of_event: dict[str, int] = {}
    for i, row in enumerate(rows):
        event = row.get("event_group")
        if event:
            links.append((i, first_of_event.setdefault(event, i)))
    return _union_find_groups(len(rows), links)


def assign_splits(
    rows: Sequence[dict[str, Any]],
    seed: int = 13,
    dev_fraction: float = 0.15,
    test_fraction: float = 0.15,
    stratify_on: Sequence[str] = ("frame", "stance"),
) -> list[str]:
    """A split name per row: stratified on the label combination, grouped so that
    event groups and near-duplicates never straddle two splits."""
    n_folds = 20
    groups = leakage_groups(rows)
    strata = ["|".join(str(r[k]) for k in stratify_on) for r in rows]
    folder = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    fold_of = np.empty(len(rows), dtype=int)
    for fold, (_, idx) in enumerate(folder.split(np.zeros(len(rows)), strata, groups)):
        fold_of[idx] = fold
    n_test = round(test_fraction * n_folds)
    n_dev = round(dev_fraction * n_folds)
    return ["test" if f < n_test else "dev" if f < n_test + n_dev else "train" for f in fold_of]


def leave_one_group_out_fold(
    rows: Sequence[dict[str, Any]], by: str, group: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, dev, test) rows for holding out one value of `by` (e.g. one conflict).

    Train and dev come from the other groups' own train/dev splits, so the
    held-out group never influences training or early stopping; test is every
    row of the held-out group, whatever its split.
    """
    train = [r for r in rows if r[by] != group and r.get("split", "train") == "train"]
    dev = [r for r in rows if r[by] != group and r.get("split") == "dev"]
    test = [r for r in rows if r[by] == group]
    if not dev:  # data without a split column: every 8th training row becomes dev
        dev, train = train[::8], [r for i, r in enumerate(train) if i % 8]
    return train, dev, test
