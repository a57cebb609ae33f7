"""`framelens demo`"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console, predictions_table


def demo(
    article: Annotated[
        str,
        typer.Option(
            help="A bundled sample (humanitarian_siege, counter_terror_operation, mixed_offensive, "
            "diplomacy_talks) or a path to a text file."
        ),
    ] = "mixed_offensive",
    out: Annotated[Path, typer.Option(help="Where the per-sentence outputs go.")] = Path(
        "outputs/demo"
    ),
) -> None:
    """Train the default model on the bundled corpus (once, cached), then classify an article."""
    from framelens.demo import DEMO_TASKS, default_bundle_dir, run_demo

    started = time.time()
    bundle = default_bundle_dir()
    if not (bundle / "framelens_bundle.json").is_file():
        console.print(
            f"no cached default model: training {', '.join(DEMO_TASKS)} on the bundled "
            f"corpus into {bundle} (a few minutes on a CPU, once)"
        )
    result = run_demo(article=article, out_dir=out, bundle_dir=bundle)
    for t in result.trained:
        console.print(f"trained {t.summary()}", highlight=False)
    console.print(predictions_table(result.rows, list(DEMO_TASKS)))
    if result.gold_agreement:
        g = result.gold_agreement
        console.print(
            f"agreement with the article's hand labels "
            f"({int(g['sentences_with_gold'])} sentences): "
            + ", ".join(f"{t} {g[t]:.0%}" for t in DEMO_TASKS)
        )
    console.print(f"model: {result.bundle_dir}")
    console.print("outputs: " + ", ".join(str(p) for p in result.outputs))
    console.print(f"demo finished in {time.time() - started:.0f}s")
