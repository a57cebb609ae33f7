"""`framelens data validate|stats`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console, err_console

app = typer.Typer(help="Inspect and check labelled corpora.", no_args_is_help=True)

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Corpus files (JSONL/CSV/TSV/Parquet). Default: the bundled corpus."),
]


def _paths(paths: list[Path] | None) -> list[Path]:
    from framelens.data.corpus import corpus_files

    if paths:
        return paths
    files = corpus_files()
    if not files:
        raise FileNotFoundError("the bundled corpus is missing; pass corpus files explicitly")
    return files


@app.command("validate")
def validate(
    paths: PathsArg = None,
    show_warnings: Annotated[bool, typer.Option("--warnings", help="List warnings too.")] = False,
) -> None:
    """Check schema, labels, empty/duplicate texts, near-duplicates and split leakage."""
    from framelens.data.validate import validate_corpus

    report = validate_corpus(_paths(paths))
    for issue in report.errors:
        err_console.print(f"[red]error[/red] {issue}", highlight=False)
    if show_warnings:
        for issue in report.warnings:
            err_console.print(f"[yellow]warning[/yellow] {issue}", highlight=False)
    status = "[green]valid[/green]" if report.ok else "[red]invalid[/red]"
    console.print(
        f"{status}: {report.n_rows} rows in {len(report.files)} file(s), "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("stats")
def stats(
    paths: PathsArg = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown tables.")] = False,
) -> None:
    """Counts by label x conflict x register, hard-case tags and lengths."""
    from framelens.data.stats import corpus_frame, stats_markdown
    from framelens.data.validate import load_rows

    rows, _ = load_rows(_paths(paths))
    df = corpus_frame([r.data for r in rows])
    text = stats_markdown(df)
    if markdown:
        print(text, end="")
    else:
        from rich.markdown import Markdown

        console.print(Markdown(text))
