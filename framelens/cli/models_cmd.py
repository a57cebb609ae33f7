"""`framelens models`"""

from __future__ import annotations

from rich.table import Table

from framelens.cli.render import console


def models() -> None:
    """List the registered base models (any local directory or hub id works too)."""
    from framelens.models.registry import BASE_MODELS, DEFAULT_BASE_MODEL

    table = Table(title="base models")
    table.add_column("name")
    table.add_column("description")
    for name, spec in BASE_MODELS.items():
        table.add_row(name + (" (default)" if name == DEFAULT_BASE_MODEL else ""), spec.description)
    console.print(table)
