"""Leave-one-group-out cross-validation (e.g. by conflict): how well does a model do
on a war it has never seen?

For each group G: train on the train-split rows of every other group, stop
early on their dev-split rows, and test on *all* rows of G. The same folds are
scored for the fine-tuned transformer and for TF-IDF + LR. Each finished fold
is saved, so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from framelens.data.errors import ConfigError, DataError
from framelens.data.splits import leave_one_group_out_fold
from framelens.data.tasks import Task
from framelens.training.config import TrainConfig
from framelens.training.evaluation.baselines import fit_tfidf_lr
from framelens.training.metrics import classification_metrics
from framelens.training.multitask import train_joint
from framelens.training.trainer import train as train_model

# transformer: one model per task; joint: one shared encoder for every task of the recipe
# (each fold trained once, cached, and scored for each task); tfidf: TF-IDF + LR.
METHODS = ("transformer", "joint", "tfidf")


def read_rows(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    from framelens.data.validate import load_rows

    rows, issues = load_rows(paths)
    if issues:
        raise DataError(issues)
    return [r.data for r in rows]


def _dataset(rows: Sequence[dict[str, Any]], task: Task) -> datasets.Dataset:
    """The two columns training reads, in memory (no temporary files)."""
    return datasets.Dataset.from_dict({
        task.text_column: [r[task.text_column] for r in rows],
        task.label_column: [r[task.label_column] for r in rows],
    })


def _score(gold: Sequence[int], pred: Sequence[int], task: Task) -> dict[str, Any]:
    m = classification_metrics(pred, gold, task.labels)
    return {"n": len(gold), "macro_f1": m["macro_f1"], "accuracy": m["accuracy"],
            "per_class_f1": {k: v["f1"] for k, v in m["per_class"].items()}}


def run_tfidf_fold(task: Task, train, dev, test) -> dict[str, Any]:
    l2i = task.label2id
    col, lab = task.text_column, task.label_column
    pipe, _ = fit_tfidf_lr([r[col] for r in train], [l2i[r[lab]] for r in train],
                           [r[col] for r in dev], [l2i[r[lab]] for r in dev])
    pred = pipe.predict([r[col] for r in test])
    return _score([l2i[r[lab]] for r in test], list(pred), task)


def run_transformer_fold(task: Task, train, dev, test, base: TrainConfig) -> dict[str, Any]:
    # Calibration cannot change argmax, and these folds are scored on labels only.
    cfg = replace(base, out=None, calibrate=False, resume=False)
    result = train_model(cfg, _dataset(train, task), _dataset(dev, task))
    probs = result.model.predict_proba([r[task.text_column] for r in test], batch_size=64)
    l2i = task.label2id
    return _score([l2i[r[task.label_column]] for r in test], list(np.argmax(probs, axis=1)), task)


def run_joint_fold(train, dev, test, base: TrainConfig) -> dict[str, Any]:
    """One shared-encoder model for every task of `base.tasks`; scores per task."""
    cfg = replace(base, out=None, calibrate=False, resume=False,
                  tasks=base.tasks or ["frame", "stance"])
    tasks = cfg.resolve_tasks()
    text_column = next(iter(tasks.values())).text_column

    def columns(rows):
        return datasets.Dataset.from_dict(
            {text_column: [r[text_column] for r in rows]}
            | {t.label_column: [r[t.label_column] for r in rows] for t in tasks.values()})

    bundle = train_joint(cfg, columns(train), columns(dev))
    texts = [r[text_column] for r in test]
    from framelens.models.predictor import Predictor

    predictor = Predictor({name: r.model for name, r in bundle.results.items()})
    probs = predictor.predict_proba(texts, batch_size=64)
    return {name: _score([t.label2id[r[t.label_column]] for r in test],
                         list(np.argmax(probs[name], axis=1)), t)
            for name, t in tasks.items()}


def crossval(
    rows: Sequence[dict[str, Any]],
    task: Task,
    by: str,
    out_dir: Path,
    base_config: TrainConfig,
    methods: Sequence[str] = METHODS,
    groups: Sequence[str] | None = None,
    on_fold: Callable[[str, str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    if not rows or by not in rows[0]:
        raise ConfigError(f"cannot cross-validate by {by!r}: the data has no such column")
    all_groups = sorted({str(r[by]) for r in rows})
    chosen = list(groups) if groups else all_groups
    unknown = set(chosen) - set(all_groups)
    if unknown:
        raise ConfigError(f"unknown {by} value(s): {', '.join(sorted(unknown))}")
    folds_dir = out_dir / "folds"
    folds_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {m: {} for m in methods}
    for group in chosen:
        train, dev, test = leave_one_group_out_fold(rows, by, group)
        for method in methods:
            # Joint folds hold every task's scores, so one cache serves each task's run.
            name = f"{method}-{group}" if method == "joint" else f"{method}-{task.name}-{group}"
            cache = folds_dir / f"{name}.json"
            if cache.is_file():
                res = json.loads(cache.read_text())
            elif method == "tfidf":
                res = run_tfidf_fold(task, train, dev, test)
            elif method == "joint":
                res = run_joint_fold(train, dev, test, base_config)
            else:
                res = run_transformer_fold(task, train, dev, test, base_config)
            cache.write_text(json.dumps(res, indent=2) + "\n")
            if method == "joint":
                res = res[task.name]
            results[method][group] = res
            if on_fold:
                on_fold(method, group, res)
    summary = {
        "task": task.name, "by": by, "groups": chosen,
        "methods": {m: _aggregate(results[m]) for m in methods},
        "epochs": base_config.epochs, "base_model": base_config.base_model,
    }
    (out_dir / f"crossval-{task.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / f"crossval-{task.name}.md").write_text(crossval_markdown(summary))
    return summary


def _aggregate(per_group: dict[str, dict[str, Any]]) -> dict[str, Any]:
    f1s = [r["macro_f1"] for r in per_group.values()]
    return {
        "per_group": per_group,
        "mean_macro_f1": statistics.fmean(f1s) if f1s else None,
        "sd_macro_f1": statistics.stdev(f1s) if len(f1s) > 1 else 0.0,
        "min_macro_f1": min(f1s) if f1s else None,
    }


def crossval_markdown(summary: dict[str, Any]) -> str:
    methods = list(summary["methods"])
    lines = [f"# Leave-one-{summary['by']}-out cross-validation: {summary['task']}", "",
             f"Each row: trained without that {summary['by']}, tested on all its sentences.", "",
             "| " + summary["by"] + " | n | " + " | ".join(f"{m} macro-F1" for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    for g in summary["groups"]:
        n = next(summary["methods"][m]["per_group"][g]["n"] for m in methods)
        cells = [f"{summary['methods'][m]['per_group'][g]['macro_f1']:.3f}" for m in methods]
        lines.append(f"| {g} | {n} | " + " | ".join(cells) + " |")
    agg = [f"**{summary['methods'][m]['mean_macro_f1']:.3f} ± {summary['methods'][m]['sd_macro_f1']:.3f}**"
           for m in methods]
    lines.append("| mean ± sd | | " + " | ".join(agg) + " |")
    return "\n".join(lines) + "\n"
