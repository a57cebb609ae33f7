"""Entry point of the `framelens` command."""

from __future__ import annotations

import os
import sys

import typer

from framelens.cli import (
    calibrate_cmd,
    classify_cmd,
    crossval_cmd,
    data_cmd,
    demo_cmd,
    evaluate_cmd,
    models_cmd,
    train_cmd,
)
from framelens.cli.errors import USER_ERRORS
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
app.add_typer(data_cmd.app, name="data")


def main() -> None:
    # Tokenizers' Rust threads warn when a process forks later (datasets does); quiet it.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app()
    except USER_ERRORS as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
