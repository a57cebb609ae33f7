"""`framelens evaluate --out DIR`: the full, honest evaluation report.

`build_report` computes everything (bootstrap CIs, calibration, slices, baselines,
challenge set, errors) into an `EvaluationReport`; `write_report` then writes
metrics.json, errors.csv, figures, report.md and a self-contained report.html, all of
them or none. What the report says about the model itself (its training data, its
card) is read through `framelens.models.model_dir`, the one reader of a model directory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from framelens.data.corpus import split_path
from framelens.data.errors import ConfigError
from framelens.data.labelled import load_labelled
from framelens.data.outputs import atomic_directory, guard_output_dir
from framelens.data.tasks import Task
from framelens.models import model_dir
from framelens.models.predictor import Predictor, TaskModel, probabilities
from framelens.training.evaluation import baselines as bl
from framelens.training.evaluation.bootstrap import bootstrap_metrics, paired_delta_ci
from framelens.training.evaluation.calibration import (
    calibration_summary,
    expected_calibration_error,
)
from framelens.training.evaluation.challenge import run_challenge
from framelens.training.evaluation.errors import error_rows, write_errors_csv
from framelens.training.evaluation.scoring import Scored, as_task_model, score_file
from framelens.training.evaluation.slices import slice_metrics

TOP_ERRORS = 25
# The files that mark a folder as an evaluation report (safe to replace with --overwrite).
REPORT_MARKERS = ("metrics.json", "report.md")
BUNDLED_PREFIX = "bundled:"  # how a training config names a split of the bundled corpus


@dataclass
class ReportOptions:
    slices: list[str] = field(default_factory=list)
    train: Path | None = None  # training data for the TF-IDF baseline (default: the model's)
    dev: Path | None = None  # dev data to tune the TF-IDF baseline (default: the model's)
    baselines: bool = True
    zero_shot: bool = True
    challenge: bool = True
    challenge_path: Path | None = None
    resamples: int = 1000
    seed: int = 13
    progress: bool = True


@dataclass
class EvaluationReport:
    """What `build_report` made.

    `report` is exactly what metrics.json holds (it lists only the TOP_ERRORS worst
    errors); `errors` is every misclassified row, for errors.csv; `scored` keeps the
    predictions for callers that want more than the report.
    """

    report: dict[str, Any]
    errors: list[dict[str, Any]]
    scored: Scored

    def headline(self) -> str:
        r = self.report
        m = r["metrics"]
        f1, acc = m["macro_f1"], m["accuracy"]
        return (f"{r['task']} on {Path(r['data']).name} (n={r['n']}): macro-F1 "
                f"{f1['value']:.3f} [{f1['ci'][0]:.3f}, {f1['ci'][1]:.3f}], accuracy "
                f"{acc['value']:.3f} [{acc['ci'][0]:.3f}, {acc['ci'][1]:.3f}], ECE {m['ece']:.3f}")


# -- what the model was trained on --------------------------------------------------------
def task_directory(model_path: str | Path, task_name: str) -> Path:
    """The directory with this task's own files: a bundle keeps one per task."""
    model_path = Path(model_path)
    if model_dir.is_bundle(model_path):
        sub = model_dir.read_bundle(model_path).get(task_name)
        if sub:
            return model_path / sub
    return model_path


def training_file(
    task_dir: str | Path, split: str, given: Path | None
) -> tuple[Path | None, str | None]:
    """(the model's `split` data, None), or (None, why it cannot be found).

    The training config names data as "bundled:<split>" (the bundled corpus), a path
    (relative to where training ran), or only a file name; a name that does not
    resolve here is reported, not guessed at, so baselines never train on other data.
    """
    if given:
        return Path(given), None
    cfg = model_dir.read_training_config(task_dir)
    if cfg is None:
        return None, "the model has no training_config.json, so its training data is unknown"
    source = cfg.get(split)
    if not source:
        return None, f"the model's training_config.json names no {split} data"
    source = str(source)
    if source.startswith(BUNDLED_PREFIX):
        try:
            path = split_path(source.removeprefix(BUNDLED_PREFIX))
        except ConfigError:
            return None, f"the model's {split} data {source!r} is not a bundled split"
    else:
        path = Path(source)
    if not path.is_file():
        return None, f"the model's {split} data {source!r} is not found from here"
    return path, None


def _texts_and_labels(path: Path, task: Task) -> tuple[list[str], list[int]]:
    ds, _ = load_labelled(path, task)
    return list(ds[task.text_column]), list(ds["labels"])


# -- sections -----------------------------------------------------------------------------
def _baselines(scored: Scored, task_dir: Path, opts: ReportOptions, model_metrics: dict[str, Any]
               ) -> tuple[list[dict[str, Any]], str | None, dict[str, np.ndarray]]:
    """Baseline rows scored on the model's rows, a note on any baseline left out, and each
    baseline's predictions by name (the slices compare against them)."""
    task = scored.task
    k = len(task.labels)
    results: list[bl.BaselineResult] = []
    notes: list[str] = []
    train_path, problem = training_file(task_dir, "train", opts.train)
    if train_path is None:
        notes.append(f"No majority-class or TF-IDF baseline: {problem}. "
                     "Pass --train (and --dev) to add them.")
    else:
        train_texts, train_labels = _texts_and_labels(train_path, task)
        results.append(bl.majority(train_labels, len(scored.texts), k))
        dev_path, dev_problem = training_file(task_dir, "dev", opts.dev)
        dev_texts = dev_labels = None
        if dev_path is None:
            notes.append(f"The TF-IDF baseline is untuned: {dev_problem}. Pass --dev to tune it.")
        else:
            dev_texts, dev_labels = _texts_and_labels(dev_path, task)
        results.append(bl.tfidf_lr(train_texts, train_labels, scored.texts, k,
                                   dev_texts, dev_labels))
    if opts.zero_shot:
        results.append(bl.zero_shot(task, scored.texts))

    rows = []
    preds: dict[str, np.ndarray] = {}
    model_f1 = model_metrics["macro_f1"]
    for res in results:
        pred = preds[res.name] = res.probs.argmax(axis=1)
        m = bootstrap_metrics(scored.gold, pred, task.labels, opts.resamples, opts.seed)
        f1 = m["macro_f1"]
        rows.append({
            "name": res.name, "note": res.note,
            "accuracy": m["accuracy"], "macro_f1": f1,
            "delta_macro_f1": f1["value"] - model_f1["value"],
            # Paired bootstrap of (baseline - model) on the same resampled rows: the same
            # sign as delta_macro_f1, negative when the model is better.
            "delta_ci": paired_delta_ci(scored.gold, pred, scored.pred, k, "macro_f1",
                                        opts.resamples, opts.seed),
            "ci_overlap": not (f1["ci"][1] < model_f1["ci"][0] or f1["ci"][0] > model_f1["ci"][1]),
        })
    return rows, " ".join(notes) or None, preds


def _metrics(scored: Scored, temperature: float, opts: ReportOptions) -> dict[str, Any]:
    metrics = bootstrap_metrics(scored.gold, scored.pred, scored.task.labels, opts.resamples,
                                opts.seed)
    calib = calibration_summary(scored.probs, scored.gold)
    scaled = temperature != 1.0
    metrics.update({
        "log_loss": calib["log_loss"], "brier": calib["brier"], "ece": calib["ece"],
        "calibration": {
            "bins": calib["bins"],
            "temperature": temperature if scaled else None,
            "ece_before_scaling": expected_calibration_error(
                probabilities(scored.logits, 1.0), scored.gold) if scaled else None,
        },
    })
    return metrics


def build_report(
    model_path: str | Path, data: str | Path, model: TaskModel | Predictor, opts: ReportOptions
) -> EvaluationReport:
    """Score `model` (one task) on `data` and compute every section of the report.

    `model_path` is where the model was loaded from (a model directory or a bundle): the
    report names it, and reads the task's training config and card from it.
    """
    task_model = as_task_model(model)
    scored = score_file(task_model, data, batch_size=64, progress=opts.progress)
    task = scored.task
    task_dir = task_directory(model_path, task.name)
    metrics = _metrics(scored, task_model.metadata.temperature, opts)
    errors = error_rows(scored.rows, scored.texts, scored.gold, scored.probs, task.labels)
    report: dict[str, Any] = {
        "task": task.name, "labels": list(task.labels), "model": str(model_path),
        "data": str(data), "n": len(scored.texts),
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model_card": model_dir.card_body(task_dir, max_lines=30),
        "metrics": metrics,
        "bootstrap": {"resamples": opts.resamples, "seed": opts.seed, "level": 0.95},
        "errors": {"count": len(errors), "top": errors[:TOP_ERRORS]},
    }
    baseline_preds: dict[str, np.ndarray] = {}
    if opts.baselines:
        report["baselines"], report["baselines_note"], baseline_preds = _baselines(
            scored, task_dir, opts, metrics)
    if opts.slices:
        report["slices"] = {c: slice_metrics(scored.rows, c, scored.gold, scored.pred,
                                             opts.resamples, opts.seed,
                                             baseline_pred=baseline_preds.get(bl.TFIDF_NAME))
                            for c in opts.slices}
    if opts.challenge:
        report["challenge"] = run_challenge(task_model, opts.challenge_path)
    return EvaluationReport(report, errors, scored)


# -- writing --------------------------------------------------------------------------------
def _is_single_report(path: Path) -> bool:
    return all((path / name).is_file() for name in REPORT_MARKERS)


def is_report_dir(path: str | Path) -> bool:
    """A folder `evaluate --out` wrote: one report, or one report per task of a bundle
    (and nothing else, so replacing it cannot take a user's file with it)."""
    path = Path(path)
    if _is_single_report(path):
        return True
    entries = list(path.iterdir()) if path.is_dir() else []
    return bool(entries) and all(p.is_dir() and _is_single_report(p) for p in entries)


def check_report_target(out_dir: str | Path, overwrite: bool = False) -> None:
    """Refuse an output folder that is not an earlier report, or one without `overwrite`.

    Cheap: call it before the evaluation, so a refusal does not come after minutes of work.
    """
    guard_output_dir(out_dir, overwrite, is_ours=is_report_dir, kind="evaluation report")


def _write_files(result: EvaluationReport, directory: Path) -> list[str]:
    """Every artefact of one report into an existing (temporary) directory."""
    from framelens.training.evaluation.figures import render_figures
    from framelens.training.evaluation.render_html import render_html
    from framelens.training.evaluation.render_md import render_markdown

    report = result.report
    (directory / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_errors_csv(result.errors, report["labels"], directory / "errors.csv")
    figures = render_figures(report, directory)
    (directory / "report.md").write_text(render_markdown(report, figures), encoding="utf-8")
    (directory / "report.html").write_text(render_html(report, figures), encoding="utf-8")
    return sorted(p.name for p in directory.iterdir())


def write_report(result: EvaluationReport, out_dir: str | Path, overwrite: bool = False) -> list[Path]:
    """Write every artefact into `out_dir` atomically (all of them or none).

    An existing `out_dir` is replaced only if it is an earlier report and `overwrite` is
    set; anything else there is refused, never deleted.
    """
    out_dir = Path(out_dir)
    check_report_target(out_dir, overwrite)
    with atomic_directory(out_dir) as tmp:
        names = _write_files(result, tmp)
    return [out_dir / n for n in names]


def write_reports(
    results: Mapping[str, EvaluationReport], out_dir: str | Path, overwrite: bool = False
) -> list[Path]:
    """One report per task (a bundle's), each in `out_dir/<task>`, all written or none."""
    out_dir = Path(out_dir)
    check_report_target(out_dir, overwrite)
    written: list[Path] = []
    with atomic_directory(out_dir) as tmp:
        for name, result in results.items():
            (tmp / name).mkdir()
            written += [Path(name, n) for n in _write_files(result, tmp / name)]
    return [out_dir / p for p in written]
