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
    from framelens.training.calibrate import calibrate_model

    r = calibrate_model(model, dev)
    console.print(f"temperature {r.temperature:.3f} fitted on {r.n} rows: ECE {r.ece_before:.3f} "
                  f"-> {r.ece_after:.3f}; stored in {model / 'framelens.json'}")


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
