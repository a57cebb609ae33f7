"""`framelens classify`: a thin command over `framelens.serving.batch`.

The options become one `BatchOptions` (which checks them and holds every default), and
one library call does the work: `run_batch` for an output file, `classify_rows` for the
table printed when a single article comes without `--out`. The batch package is imported
inside the command: it loads torch, and `framelens --help` must stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console, err_console, predictions_table

Opt = typer.Option


def classify(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUT",
        help="Text files (one article each), folders of .txt files, globs, CSV/TSV/JSONL/"
        "Parquet tables, or - for stdin.")],
    model: Annotated[Path, Opt(help="Trained model directory or bundle.")],
    out: Annotated[Path | None, Opt(
        help="Write rows to a .jsonl, .csv or .parquet file. Without it, one article is "
        "printed as a table.")] = None,
    unit: Annotated[str | None, Opt(
        help="document: split each text into sentences (with offsets); sentence: each row or "
        "line is one sentence. Default: document.")] = None,
    text_column: Annotated[str | None, Opt(help="Table column holding the text. Default: text.")
                           ] = None,
    id_column: Annotated[str | None, Opt(
        help="Table column naming each document. Default: the row number.")] = None,
    keep_columns: Annotated[str, Opt(
        help="Comma-separated table columns copied to every output row, e.g. outlet,date.")] = "",
    summary: Annotated[Path | None, Opt(
        help="Also write per-document summaries (.jsonl/.csv/.parquet): sentence count, share "
        "of each label, dominant label, mean confidence.")] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue an interrupted run.")] = False,
    overwrite: Annotated[bool, Opt("--overwrite", help="Replace an existing output.")] = False,
    chunk_size: Annotated[int | None, Opt(
        help="Sentences per committed chunk (memory, de-duplication, and what an interruption "
        "can cost). Default: 1000.")] = None,
    batch_size: Annotated[int | None, Opt(help="Prediction batch size. Default: 32.")] = None,
    on_error: Annotated[str | None, Opt(
        help="fail (default): stop at an unreadable document or row, writing nothing; skip: "
        "write it to OUTPUT.rejects.jsonl and go on.")] = None,
    quiet: Annotated[bool, Opt("--quiet", help="No progress bar; one summary line.")] = False,
    backend: Annotated[str, Opt(help="auto (ONNX int8 when an export passed its parity check), "
                                "torch or onnx.")] = "auto",
    device: Annotated[str | None, Opt(help="auto, cpu, cuda or mps (torch backend).")] = None,
    engine: Annotated[str, Opt(help="local, or ray: Ray Data actors over Parquet in and out "
                               "(RAY_ADDRESS for a cluster).")] = "local",
    lines: Annotated[bool, Opt("--lines", help="Input has one sentence per line (--unit sentence, "
                                              "with the source line number).")] = False,
) -> None:
    """Label every sentence of articles, tables or folders with frame/stance and class
    probabilities."""
    from framelens.data.errors import ConfigError
    from framelens.serving.batch import BatchOptions, Interrupted, classify_rows, run_batch

    if lines and unit == "document":
        raise ConfigError("--lines means one sentence per line; it cannot go with --unit document")
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine must be local or ray, got {engine!r}")
    if engine == "ray":
        _classify_with_ray(inputs, model, out, unit, text_column, id_column, keep_columns,
                           backend, device, batch_size)
        return
    # Options left out stay None and BatchOptions fills them in: a default lives there only.
    given = dict(unit="sentence" if lines else unit, text_column=text_column,
                 chunk_size=chunk_size, batch_size=batch_size, on_error=on_error)
    options = BatchOptions(
        inputs=tuple(inputs), model=model, out=out, id_column=id_column,
        keep_columns=tuple(keep_columns.split(",")) if keep_columns else (),
        summary=summary, resume=resume, overwrite=overwrite, backend=backend, device=device,
        progress=not quiet and sys.stderr.isatty(),
        **{name: value for name, value in given.items() if value is not None},
    )
    if out is None:
        rows, tasks = classify_rows(options)
        console.print(predictions_table(rows, tasks))
        return
    try:
        report = run_batch(options)
    except Interrupted as exc:
        err_console.print(exc.hint)
        raise
    console.print(report.line(), highlight=False, soft_wrap=True)


def _classify_with_ray(inputs, model, out, unit, text_column, id_column, keep_columns, backend,
                       device, batch_size) -> None:
    """The same Classifier in Ray Data actors: one Parquet file in, a Parquet dataset out."""
    from framelens.data.errors import ConfigError
    from framelens.serving.ray_engine import classify_parquet_with_ray

    if len(inputs) != 1 or not str(inputs[0]).endswith(".parquet") or out is None:
        raise ConfigError("--engine ray reads one .parquet input and needs --out (a Parquet "
                          "output folder)")
    run = classify_parquet_with_ray(
        model, inputs[0], out, text_column or "text", unit=unit or "sentence",
        id_column=id_column, keep_columns=keep_columns.split(",") if keep_columns else None,
        backend=backend, device=device, batch_size=batch_size or 32)
    console.print(f"{run.rows} sentences classified with Ray ({run.address}) in "
                  f"{run.seconds:.1f}s, written to {run.output}", highlight=False)
