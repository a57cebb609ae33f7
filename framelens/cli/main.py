"""Entry point of the `framelens` command."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from framelens.cli import (
    calibrate_cmd,
    classify_cmd,
    crossval_cmd,
    data_cmd,
    demo_cmd,
    evaluate_cmd,
    export_cmd,
    models_cmd,
    push_cmd,
    serve_cmd,
    summarize_cmd,
    train_cmd,
)
from framelens.cli.errors import EXIT_USER_ERROR, USER_ERRORS, debug_enabled
from framelens.cli.render import err_console

app = typer.Typer(
    name="framelens",
    help="Label conflict-news sentences by frame (humanitarian / counter_terrorism / neutral) "
    "and stance toward the use of force.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("train")(train_cmd.train)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("classify")(classify_cmd.classify)
app.command("demo")(demo_cmd.demo)
app.command("crossval")(crossval_cmd.crossval)
app.command("calibrate")(calibrate_cmd.calibrate)
app.command("compare")(calibrate_cmd.compare)
app.command("models")(models_cmd.models)
app.command("push")(push_cmd.push)
app.command("serve")(serve_cmd.serve)
app.command("summarize")(summarize_cmd.summarize)
app.add_typer(data_cmd.app, name="data")
app.add_typer(export_cmd.app, name="export")


def _print_version(value: bool) -> None:
    if value:
        from framelens import __version__

        typer.echo(f"framelens {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of user errors too.")
    ] = False,
) -> None:
    """Options that apply before any command."""
    if debug:
        os.environ["FRAMELENS_DEBUG"] = "1"


def main() -> None:
    # Tokenizers' Rust threads warn when a process forks later (datasets does); quiet it.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app()
    except USER_ERRORS as exc:
        if debug_enabled():
            raise
        from rich.markup import escape

        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
