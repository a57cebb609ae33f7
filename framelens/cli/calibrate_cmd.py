"""`framelens calibrate` and `framelens compare`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console


def calibrate(
    model: Annotated[Path, typer.Option(help="Trained model directory (one task).")],
    dev: Annotated[Path, typer.Option(help="Labelled dev file to fit the temperature on.")],
) -> None:
    """Fit temperature scaling on dev data and store it with the model."""
    import numpy as np

    from framelens.data.labelled import load_labelled
    from framelens.models.model_dir import write_metadata
    from framelens.models.predictor import Predictor
    from framelens.training.calibrate import calibrate_model

    task_model = Predictor.load(model).model()
    ds, _ = load_labelled(dev, task_model.task)
    result = calibrate_model(task_model, list(ds[task_model.task.text_column]),
                             np.asarray(ds["labels"]), dev.name)
    write_metadata(model, task_model.metadata)
    console.print(f"{result.summary()}; stored in {model}", highlight=False)


def compare(
    reports: Annotated[list[Path], typer.Argument(help="Report folders from `evaluate --out`.")],
    out: Annotated[Path | None, typer.Option(help="Also write the table as Markdown.")] = None,
) -> None:
    """One leaderboard table across evaluation reports."""
    from rich.table import Table

    from framelens.data.outputs import atomic_file
    from framelens.training.compare import leaderboard, leaderboard_markdown, load_reports

    rows = leaderboard(load_reports(reports))
    table = Table(title="leaderboard")
    for col in ("task", "model", "data", "n", "macro-F1 [95% CI]", "accuracy", "ECE", "challenge"):
        table.add_column(col)
    for r in rows:
        lo, hi = r["macro_f1_ci"]
        table.add_row(r["task"], r["model"], r["data"], str(r["n"]),
                      f"{r['macro_f1']:.3f} [{lo:.3f}, {hi:.3f}]", f"{r['accuracy']:.3f}",
                      f"{r['ece']:.3f}" if r["ece"] is not None else "—",
                      f"{r['challenge']:.1%}" if r["challenge"] is not None else "—")
    console.print(table)
    if out:
        with atomic_file(out) as fh:
            fh.write(leaderboard_markdown(rows))
        console.print(f"written to {out}")
