"""`framelens evaluate --out DIR`: the full, honest evaluation report.

Computes everything (bootstrap CIs, calibration, slices, baselines, challenge
set, errors) into one JSON-able dict, then writes metrics.json, errors.csv,
figures, report.md and a self-contained report.html.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framelens.data.corpus import split_path
from framelens.data.labelled import load_labelled
from framelens.data.outputs import atomic_directory
from framelens.models.predictor import Classifier, probabilities
from framelens.training.evaluation import baselines as bl
from framelens.training.evaluation.bootstrap import bootstrap_metrics, paired_delta_ci
from framelens.training.evaluation.calibration import (
    calibration_summary,
    expected_calibration_error,
)
from framelens.training.evaluation.challenge import run_challenge
from framelens.training.evaluation.errors import error_rows, write_errors_csv
from framelens.training.evaluation.scoring import Scored, score_file
from framelens.training.evaluation.slices import slice_metrics

TOP_ERRORS = 25


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


def _training_file(model_dir: Path, key: str, given: Path | None) -> Path | None:
    """The file the model was trained on, so baselines see exactly the same data."""
    if given:
        return given
    cfg = model_dir / "training_config.json"
    if cfg.is_file():
        path = json.loads(cfg.read_text()).get(key)
        if path and Path(path).is_file():
            return Path(path)
    default = split_path(key)
    return default if default.is_file() else None


def _card_summary(model_dir: Path, max_lines: int = 30) -> str | None:
    card = model_dir / "README.md"
    if not card.is_file():
        return None
    text = re.sub(r"^---\n.*?\n---\n", "", card.read_text(), flags=re.S).strip()
    return "\n".join(text.splitlines()[:max_lines])


def _baselines(clf: Classifier, scored: Scored, model_dir: Path, opts: ReportOptions,
               model_metrics: dict[str, Any]) -> list[dict[str, Any]]:
    task = scored.task
    k = len(task.labels)
    results: list[bl.BaselineResult] = []
    train_path = _training_file(model_dir, "train", opts.train)
    if train_path is not None:
        train_ds, _ = load_labelled(train_path, task)
        train_texts, train_labels = list(train_ds[task.text_column]), list(train_ds["labels"])
        results.append(bl.majority(train_labels, len(scored.texts), k))
        dev_path = _training_file(model_dir, "dev", opts.dev)
        dev_texts = dev_labels = None
        if dev_path is not None:
            dev_ds, _ = load_labelled(dev_path, task)
            dev_texts, dev_labels = list(dev_ds[task.text_column]), list(dev_ds["labels"])
        results.append(bl.tfidf_lr(train_texts, train_labels, scored.texts, k,
                                   dev_texts, dev_labels))
    if opts.zero_shot:
        results.append(bl.zero_shot(task, scored.texts))

    out = []
    model_f1 = model_metrics["macro_f1"]
    for res in results:
        pred = res.probs.argmax(axis=1)
        m = bootstrap_metrics(scored.gold, pred, task.labels, opts.resamples, opts.seed)
        f1 = m["macro_f1"]
        out.append({
            "name": res.name, "note": res.note,
            "accuracy": m["accuracy"], "macro_f1": f1,
            "delta_macro_f1": f1["value"] - model_f1["value"],
            # Paired bootstrap of (baseline - model) on the same resampled rows: the same
            # sign as delta_macro_f1, negative when the model is better.
            "delta_ci": paired_delta_ci(scored.gold, pred, scored.pred, k, "macro_f1",
                                        opts.resamples, opts.seed),
            "ci_overlap": not (f1["ci"][1] < model_f1["ci"][0] or f1["ci"][0] > model_f1["ci"][1]),
        })
    return out


def build_report(
    model_dir: str | Path, data: str | Path, clf: Classifier, opts: ReportOptions
) -> tuple[dict[str, Any], Scored]:
    model_dir = Path(model_dir)
    scored = score_file(clf, data, batch_size=64, progress=opts.progress)
    task = scored.task
    metrics = bootstrap_metrics(scored.gold, scored.pred, task.labels, opts.resamples, opts.seed)
    calib = calibration_summary(scored.probs, scored.gold)
    temperature = clf.metadata.temperature
    raw_probs = probabilities(scored.logits, 1.0)
    metrics.update({
        "log_loss": calib["log_loss"], "brier": calib["brier"], "ece": calib["ece"],
        "calibration": {
            "bins": calib["bins"],
            "temperature": temperature if temperature != 1.0 else None,
            "ece_before_scaling": expected_calibration_error(raw_probs, scored.gold)
            if temperature != 1.0 else None,
        },
    })
    errors = error_rows(scored.rows, scored.texts, scored.gold, scored.probs, task.labels)
    report: dict[str, Any] = {
        "task": task.name, "labels": list(task.labels), "model": str(model_dir),
        "data": str(data), "n": len(scored.texts),
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model_card": _card_summary(model_dir),
        "metrics": metrics,
        "bootstrap": {"resamples": opts.resamples, "seed": opts.seed, "level": 0.95},
        "errors": {"count": len(errors), "top": errors[:TOP_ERRORS]},
    }
    if opts.slices:
        report["slices"] = {c: slice_metrics(scored.rows, c, scored.gold, scored.pred,
                                             opts.resamples, opts.seed) for c in opts.slices}
    if opts.baselines:
        report["baselines"] = _baselines(clf, scored, model_dir, opts, metrics)
    if opts.challenge:
        report["challenge"] = run_challenge(clf, opts.challenge_path)
    report["_errors_all"] = errors
    return report, scored


def write_report(report: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write every artefact into `out_dir` atomically (all of them or none)."""
    from framelens.training.evaluation.figures import render_figures
    from framelens.training.evaluation.render_html import render_html
    from framelens.training.evaluation.render_md import render_markdown

    errors = report.pop("_errors_all", report["errors"]["top"])
    out_dir = Path(out_dir)
    with atomic_directory(out_dir) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        write_errors_csv(errors, report["labels"], tmp / "errors.csv")
        figures = render_figures(report, tmp)
        (tmp / "report.md").write_text(render_markdown(report, figures), encoding="utf-8")
        (tmp / "report.html").write_text(render_html(report, figures), encoding="utf-8")
        names = sorted(p.name for p in tmp.iterdir())
    return [out_dir / n for n in names]


def headline(report: dict[str, Any]) -> str:
    m = report["metrics"]
    f1, acc = m["macro_f1"], m["accuracy"]
    return (f"{report['task']} on {Path(report['data']).name} (n={report['n']}): macro-F1 "
            f"{f1['value']:.3f} [{f1['ci'][0]:.3f}, {f1['ci'][1]:.3f}], accuracy "
            f"{acc['value']:.3f} [{acc['ci'][0]:.3f}, {acc['ci'][1]:.3f}], ECE {m['ece']:.3f}")
