"""`framelens push`: publish a trained model directory to the Hugging Face Hub.

Thin on purpose: the work and every failure message live in framelens.models.hub, so
the Python API and the command behave the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console


def push(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by `framelens train`.")],
    repo_id: Annotated[str, typer.Argument(help="Hub repository, owner/name.")],
    private: Annotated[
        bool, typer.Option("--private", help="Create the repository as private (new repos only).")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(help="Hub token with write access (default: HF_TOKEN or `hf auth login`)."),
    ] = None,
) -> None:
    """Upload a trained model directory (weights, tokenizer, model card) to the Hub."""
    from framelens.models.hub import push_to_hub

    url = push_to_hub(model_dir, repo_id, private=private, token=token)
    console.print(f"[bold green]pushed[/bold green] {model_dir} -> {url}", highlight=False)
