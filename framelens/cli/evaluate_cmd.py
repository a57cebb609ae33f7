"""`framelens evaluate`"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import confusion_table, console, metrics_table

Opt = typer.Option


def evaluate(
    model: Annotated[Path, Opt(help="Trained model directory or bundle.")],
    data: Annotated[Path, Opt(help="Labelled file (CSV/TSV/JSONL/Parquet).")],
    out: Annotated[Path | None, Opt(help="Write the full report (metrics.json, errors.csv, "
                                    "figures, report.html, report.md) here.")] = None,
    task: Annotated[str | None, Opt(help="Task to evaluate (a bundle without it: all).")] = None,
    slice_by: Annotated[list[str] | None, Opt("--slice", help="Also report per value of this "
                                              "column (repeatable): conflict, register ...")] = None,
    train: Annotated[Path | None, Opt(help="Training data for the TF-IDF baseline "
                                      "(default: the model's own).")] = None,
    dev: Annotated[Path | None, Opt(help="Dev data to tune the TF-IDF baseline.")] = None,
    baselines: Annotated[bool, Opt("--baselines/--no-baselines")] = True,
    zero_shot: Annotated[bool, Opt("--zero-shot/--no-zero-shot")] = True,
    challenge: Annotated[bool, Opt("--challenge/--no-challenge",
                                   help="Score the behavioural challenge set.")] = True,
    resamples: Annotated[int, Opt(help="Bootstrap resamples for the CIs.")] = 1000,
    text_column: Annotated[str | None, Opt(help="Column holding the sentence.")] = None,
    label_column: Annotated[str | None, Opt(help="Column holding the gold label.")] = None,
    json_out: Annotated[Path | None, Opt("--json", help="Write the basic metrics as JSON.")] = None,
) -> None:
    """Evaluate a model: metrics with CIs, calibration, slices, baselines, challenge set."""
    from framelens.models.predictor import BundleClassifier, Classifier
    from framelens.training.evaluation.scoring import pick_classifier

    loaded = Classifier.load(model)
    if task is None and isinstance(loaded, BundleClassifier):
        tasks = loaded.tasks
    else:
        tasks = [pick_classifier(loaded, task).task.name]
    for name in tasks:
        clf = pick_classifier(loaded, name)
        if out is None:
            _basic(clf, model, data, text_column, label_column, json_out)
            continue
        if text_column or label_column:
            raise ValueError("--out reports read the task's own columns; rename the columns "
                             "or use the basic evaluation without --out")
        target = out / name if len(tasks) > 1 else out
        _full(clf, model, data, target, slice_by or [], train, dev, baselines, zero_shot,
              challenge, resamples)


def _basic(clf, model, data, text_column, label_column, json_out) -> None:
    from framelens.data.outputs import atomic_file
    from framelens.training.evaluation.scoring import score_file

    scored = score_file(clf, data, text_column, label_column, batch_size=64, progress=True)
    labels = scored.task.labels
    console.print(metrics_table(scored.metrics, labels, f"{scored.task.name} on {data.name}"))
    console.print(confusion_table(scored.metrics["confusion_matrix"], labels))
    if json_out:
        payload = {"task": scored.task.name, "model": str(model), "data": str(data),
                   "n": len(scored.texts), **scored.metrics}
        with atomic_file(json_out) as fh:
            fh.write(json.dumps(payload, indent=2) + "\n")
        console.print(f"metrics written to {json_out}")


def _full(clf, model, data, target, slices, train, dev, baselines, zero_shot, challenge,
          resamples) -> None:
    from framelens.training.evaluation.report import (
        ReportOptions,
        build_report,
        headline,
        write_report,
    )

    opts = ReportOptions(slices=slices, train=train, dev=dev, baselines=baselines,
                         zero_shot=zero_shot, challenge=challenge, resamples=resamples)
    report, scored = build_report(model, data, clf, opts)
    console.print(headline(report), highlight=False)
    for b in report.get("baselines", []):
        lo, hi = (-x for x in reversed(b["delta_ci"]))  # stored as baseline - model
        console.print(f"  vs {b['name']}: macro-F1 {b['macro_f1']['value']:.3f} "
                      f"(model - baseline {-b['delta_macro_f1']:+.3f}, 95% CI [{lo:+.3f}, {hi:+.3f}]"
                      f"{', CIs overlap' if b['ci_overlap'] else ''})", highlight=False)
    if "challenge" in report:
        console.print(f"  challenge set: {report['challenge']['pass_rate']:.1%} of "
                      f"{report['challenge']['n']} items pass", highlight=False)
    files = write_report(report, target)
    console.print(f"report: {target / 'report.html'} ({len(files)} files)")
