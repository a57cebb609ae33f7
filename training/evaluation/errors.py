"""Misclassified rows, most confidently wrong first."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from framelens.data.outputs import atomic_file


def error_rows(
    rows: Sequence[dict[str, Any]],
    texts: Sequence[str],
    gold: np.ndarray,
    probs: np.ndarray,
    labels: Sequence[str],
) -> list[dict[str, Any]]:
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != gold)
    # Confidence of the wrong answer: the errors a user should look at first.
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")]
    out = []
    for i in wrong:
        extra = {k: v for k, v in rows[i].items() if k not in {"text", "labels"}
                 and not isinstance(v, list | dict)}
        out.append({
            "text": texts[i],
            "gold": labels[gold[i]],
            "predicted": labels[pred[i]],
            "confidence": round(float(probs[i, pred[i]]), 4),
            "probs": {lab: round(float(probs[i, j]), 4) for j, lab in enumerate(labels)},
            "meta": extra,
        })
    return out


def write_errors_csv(errors: Sequence[dict[str, Any]], labels: Sequence[str], path: Path) -> None:
    meta_keys = sorted({k for e in errors for k in e["meta"]})
    fields = ["text", "gold", "predicted", "confidence", *[f"p_{lab}" for lab in labels], *meta_keys]
    with atomic_file(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for e in errors:
            writer.writerow({
                "text": e["text"], "gold": e["gold"], "predicted": e["predicted"],
                "confidence": e["confidence"],
                **{f"p_{lab}": e["probs"][lab] for lab in labels},
                **{k: e["meta"].get(k, "") for k in meta_keys},
            })
