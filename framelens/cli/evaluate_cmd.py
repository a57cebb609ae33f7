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
    task: Annotated[
        str | None, Opt(help="Task to evaluate (needed for a multi-task bundle).")
    ] = None,
    text_column: Annotated[str | None, Opt(help="Column holding the sentence.")] = None,
    label_column: Annotated[str | None, Opt(help="Column holding the gold label.")] = None,
    json_out: Annotated[Path | None, Opt("--json", help="Write the metrics as JSON here.")] = None,
    batch_size: Annotated[int, Opt(help="Prediction batch size.")] = 64,
) -> None:
    """Accuracy, macro and per-class precision/recall/F1 and the confusion matrix."""
    from framelens.data.outputs import atomic_file
    from framelens.models.predictor import Classifier
    from framelens.training.evaluation.scoring import pick_classifier, score_file

    clf = pick_classifier(Classifier.load(model), task)
    scored = score_file(clf, data, text_column, label_column, batch_size=batch_size, progress=True)
    labels = scored.task.labels
    console.print(metrics_table(scored.metrics, labels, f"{scored.task.name} on {data.name}"))
    console.print(confusion_table(scored.metrics["confusion_matrix"], labels))
    if json_out:
        payload = {
            "task": scored.task.name,
            "model": str(model),
            "data": str(data),
            "n": len(scored.texts),
            **scored.metrics,
        }
        with atomic_file(json_out) as fh:
            fh.write(json.dumps(payload, indent=2) + "\n")
        console.print(f"metrics written to {json_out}")
