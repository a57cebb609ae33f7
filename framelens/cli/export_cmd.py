"""`framelens export onnx`: a thin command over `framelens.models.onnx_export.export_onnx`.

The library writes the graphs and the parity report; this command checks its options, calls
it, prints the report as a table and exits 1 when a graph failed parity (the graphs stay
on disk, and `--backend auto` will not pick them). Heavy imports stay inside the command so
`framelens --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console

app = typer.Typer(help="Export a trained model for other runtimes.", no_args_is_help=True)


@app.command("onnx")
def onnx(
    model: Annotated[Path, typer.Argument(metavar="MODEL_OR_BUNDLE",
                                          help="Trained model directory or bundle.")],
    quantize: Annotated[str | None, typer.Option(
        help="Also write an int8 graph (dynamic int8, per-channel weights; FFN output "
        "projections block-wise), the fastest on a CPU.",
        metavar="int8")] = None,
    data: Annotated[Path | None, typer.Option(
        help="Labelled file to check the graphs against torch on (a column per task). "
        "Default: the bundled dev split.")] = None,
    batch_size: Annotated[int, typer.Option(help="Sentences per batch in the parity check.")
                          ] = 32,
    exporter: Annotated[str, typer.Option(
        help="torch exporter: torchscript (its graph gets attention fused) or dynamo.",
        metavar="torchscript|dynamo")] = "torchscript",
) -> None:
    """Write ONNX graphs next to the model and a parity report against torch.

    A bundle that shares one encoder gets one graph with every task's head. The report
    (onnx/parity.json) holds, per task, the largest probability difference, argmax agreement
    and macro-F1 of both backends; a graph passes at ≥ 99% agreement and macro-F1 within
    half a point. `--backend auto` uses the int8 graph only when it passed.
    """
    from framelens.models.onnx_export import export_onnx

    graphs = export_onnx(model, quantize=quantize, data=data, batch_size=batch_size,
                         exporter=exporter)
    console.print(_table(graphs))
    for graph in graphs:
        console.print(f"written to {graph.folder}", highlight=False)
    if not all(g.passed for g in graphs):
        console.print("[red]parity failed[/red]: the ONNX backend will not be picked "
                      "automatically (see parity.json)")
        raise typer.Exit(1)


def _table(graphs):
    from rich.table import Table

    from framelens.models.onnx_export import MAX_MACRO_F1_DIFFERENCE, MIN_ARGMAX_AGREEMENT

    first = graphs[0].report
    table = Table(title=f"ONNX parity vs torch on {first.data} (pass: agreement ≥ "
                  f"{MIN_ARGMAX_AGREEMENT:.0%}, |ΔF1| ≤ {MAX_MACRO_F1_DIFFERENCE * 100:.1f} pt)",
                  title_justify="left")
    for col in ("task", "graph", "rows", "max |Δp|", "argmax agree", "macro-F1 torch",
                "macro-F1 onnx", "passed"):
        table.add_column(col, justify="left" if col in ("task", "graph", "passed") else "right")
    for graph in graphs:
        for variant in graph.report.variants.values():
            for task, t in variant.tasks.items():
                table.add_row(task, variant.file, str(t.rows), f"{t.max_prob_diff:.2e}",
                              f"{t.argmax_agreement:.2%}", f"{t.macro_f1_torch * 100:.2f}",
                              f"{t.macro_f1_onnx * 100:.2f}",
                              "[green]yes[/green]" if t.passed else "[red]no[/red]")
    return table
