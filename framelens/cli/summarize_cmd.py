"""`framelens summarize`: label shares per group of a `framelens classify` output.

A thin command: `framelens.serving.batch.summarize.summarize` computes the shares and
their intervals, `framelens.serving.batch.charts.write_report` writes the folder; this
module only prints the table. Both are imported inside the command to keep `--help` fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console

Opt = typer.Option


def summarize(
    output: Annotated[Path, typer.Argument(
        metavar="OUTPUT", help="A .parquet, .csv or .jsonl file written by framelens classify.")],
    by: Annotated[str, Opt(help="Column to group by, e.g. outlet or country (a --keep-columns "
                                "column, or doc_id).")],
    over: Annotated[str | None, Opt(help="Date column: shares per group and period.")] = None,
    freq: Annotated[str | None, Opt(help="Period with --over: day, week, month (default), quarter "
                                         "or year.")] = None,
    out: Annotated[Path | None, Opt(
        help="Folder for shares.csv, summary.json, PNG charts and summary.html. "
        "Default: OUTPUT-summary beside OUTPUT.")] = None,
    overwrite: Annotated[bool, Opt("--overwrite", help="Replace a previous summary folder.")
                         ] = False,
    resamples: Annotated[int | None, Opt(help="Bootstrap resamples per share. Default: 1000.")
                         ] = None,
    seed: Annotated[int | None, Opt(help="Bootstrap seed. Default: 13.")] = None,
    min_sentences: Annotated[int | None, Opt(
        help="Flag groups with fewer sentences than this. Default: 30.")] = None,
) -> None:
    """Frame and stance shares per group (and period), with counts, bootstrap 95% intervals
    and small groups flagged: a table here, charts and an HTML page in a folder."""
    from rich.table import Table

    from framelens.serving.batch.charts import SMALL_MARK, write_report
    from framelens.serving.batch.summarize import summarize as compute

    # Options left out stay None and `summarize` fills them in: a default lives there only.
    given = dict(freq=freq, resamples=resamples, seed=seed, min_sentences=min_sentences)
    shares = compute(output, by, over, **{k: v for k, v in given.items() if v is not None})
    target = out or output.with_name(f"{output.stem}-summary")
    page = write_report(shares, target, str(output), overwrite=overwrite)
    for task, labels in shares.labels.items():
        rows = shares.table[shares.table["task"] == task]
        table = Table(title=f"{task} by {by}" + (f" and {over}" if over else ""),
                      title_justify="left")
        for column in [*shares.group_columns, "n"]:
            table.add_column(column, justify="right" if column == "n" else "left")
        for label in labels:
            table.add_column(f"{label} [{shares.level:.0%} CI]", justify="right")
        for key, group in rows.groupby(shares.group_columns, sort=True):
            group = group.set_index("label")
            first = group.iloc[0]
            mark = f" {SMALL_MARK}" if first["small"] else ""
            cells = [str(k) for k in (key if isinstance(key, tuple) else (key,))]
            cells[0] += mark
            cells.append(f"{int(first['sentences']):,}")
            cells += [f"{group.loc[lab, 'share']:.0%} [{group.loc[lab, 'ci_low']:.0%}–"
                      f"{group.loc[lab, 'ci_high']:.0%}]" for lab in labels]
            table.add_row(*cells)
        console.print(table)
    for note in shares.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"{SMALL_MARK} fewer than {shares.min_sentences} sentences. Charts and tables: {page}",
                  highlight=False, soft_wrap=True)
