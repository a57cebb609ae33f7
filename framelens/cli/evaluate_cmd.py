"""`framelens evaluate`"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from framelens.cli.render import confusion_table, console, metrics_table

if TYPE_CHECKING:  # the CLI imports torch and the evaluation code lazily: --help stays fast
    from framelens.models.predictor import Predictor, TaskModel
    from framelens.training.evaluation.report import ReportOptions

Opt = typer.Option


def evaluate(
    model: Annotated[Path, Opt(help="Trained model directory or bundle.")],
    data: Annotated[Path, Opt(help="Labelled file (CSV/TSV/JSONL/Parquet).")],
    out: Annotated[Path | None, Opt(help="Write the full report (metrics.json, errors.csv, "
                                    "figures, report.html, report.md) here.")] = None,
    overwrite: Annotated[bool, Opt("--overwrite", help="Replace an earlier report at --out "
                                   "(anything else there is never replaced).")] = False,
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
    from framelens.data.errors import ConfigError
    from framelens.models.predictor import Predictor

    if out is not None:
        from framelens.training.evaluation.report import check_report_target

        if text_column or label_column:
            raise ConfigError("--out reports read the task's own columns; rename the columns "
                              "or use the basic evaluation without --out")
        check_report_target(out, overwrite)  # before minutes of scoring, not after

    if json_out is not None:
        from framelens.data.outputs import check_writable

        check_writable(json_out)  # an unwritable --json fails now, not after the scoring
    predictor = Predictor.load(model)
    tasks = predictor.tasks if task is None else [predictor.model(task).task.name]
    if out is None:
        for name in tasks:
            _basic(predictor.model(name), model, data, text_column, label_column, json_out)
        return

    from framelens.training.evaluation.report import ReportOptions

    opts = ReportOptions(slices=slice_by or [], train=train, dev=dev, baselines=baselines,
                         zero_shot=zero_shot, challenge=challenge, resamples=resamples)
    _full(predictor, tasks, model, data, out, opts, overwrite)


def _basic(task_model: TaskModel, model: Path, data: Path, text_column: str | None,
           label_column: str | None, json_out: Path | None) -> None:
    from framelens.data.outputs import atomic_file
    from framelens.training.evaluation.scoring import score_file

    scored = score_file(task_model, data, text_column, label_column, batch_size=64, progress=True)
    labels = scored.task.labels
    console.print(metrics_table(scored.metrics, labels, f"{scored.task.name} on {data.name}"))
    console.print(confusion_table(scored.metrics["confusion_matrix"], labels))
    if json_out:
        payload = {"task": scored.task.name, "model": str(model), "data": str(data),
                   "n": len(scored.texts), **scored.metrics}
        with atomic_file(json_out) as fh:
            fh.write(json.dumps(payload, indent=2) + "\n")
        console.print(f"metrics written to {json_out}")


def _full(predictor: Predictor, tasks: list[str], model: Path, data: Path, out: Path,
          opts: ReportOptions, overwrite: bool) -> None:
    """One report per task; a bundle's reports go into one folder together, all or none."""
    from framelens.training.evaluation.report import build_report, write_report, write_reports

    results = {}
    for name in tasks:
        result = build_report(model, data, predictor.model(name), opts)
        _print_summary(result.report, result.headline())
        results[name] = result
    if len(results) > 1:
        files = write_reports(results, out, overwrite)
    else:
        files = write_report(next(iter(results.values())), out, overwrite)
    html = sorted(str(p) for p in files if p.name == "report.html")
    console.print(f"report: {', '.join(html)} ({len(files)} files)")


def _print_summary(report: dict[str, Any], headline: str) -> None:
    console.print(headline, highlight=False)
    for b in report.get("baselines") or []:
        lo, hi = (-x for x in reversed(b["delta_ci"]))  # stored as baseline - model
        console.print(f"  vs {b['name']}: macro-F1 {b['macro_f1']['value']:.3f} "
                      f"(model - baseline {-b['delta_macro_f1']:+.3f}, 95% CI [{lo:+.3f}, {hi:+.3f}]"
                      f"{', CIs overlap' if b['ci_overlap'] else ''})", highlight=False)
    if report.get("baselines_note"):
        console.print(f"  {report['baselines_note']}", highlight=False)
    if "challenge" in report:
        console.print(f"  challenge set: {report['challenge']['pass_rate']:.1%} of "
                      f"{report['challenge']['n']} items pass", highlight=False)
