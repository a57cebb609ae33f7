"""`framelens crossval`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console

Opt = typer.Option


def crossval(
    by: Annotated[str, Opt(help="Column whose values are held out one at a time.")] = "conflict",
    task: Annotated[str, Opt(help="Task: frame or stance.")] = "frame",
    data: Annotated[list[Path] | None, Opt(help="Corpus files (default: the bundled corpus; "
                                           "rows keep their train/dev split column).")] = None,
    out: Annotated[Path, Opt(help="Output folder (finished folds are reused).")] = Path("runs/crossval"),
    methods: Annotated[str, Opt(help="Comma-separated: transformer (one model per task), joint "
                                "(one shared encoder for frame and stance), tfidf.")
                       ] = "joint,tfidf",
    groups: Annotated[str | None, Opt(help="Only these comma-separated groups.")] = None,
    config: Annotated[Path | None, Opt(help="Recipe TOML for the transformer folds.")] = None,
    epochs: Annotated[float | None, Opt(help="Max epochs per fold (default: the recipe's).")
                      ] = None,
    base_model: Annotated[str | None, Opt(help="Base model for the transformer folds "
                                          "(default: the registry's default).")] = None,
) -> None:
    """Leave-one-group-out evaluation (train without a conflict, test on it) vs TF-IDF+LR."""
    from framelens.data.corpus import corpus_files
    from framelens.training.config import load_config
    from framelens.training.crossval import METHODS, read_rows
    from framelens.training.crossval import crossval as run

    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    bad = [m for m in chosen if m not in METHODS]
    if bad:
        from framelens.data.errors import ConfigError

        raise ConfigError(f"unknown method(s) {bad}; choose from {', '.join(METHODS)}")
    cfg = load_config(config, task=task, epochs=epochs, base_model=base_model, progress=False)
    rows = read_rows(data or corpus_files())

    def report(method: str, group: str, res: dict) -> None:
        console.print(f"{method:12s} {group:16s} n={res['n']:4d} macro-F1 {res['macro_f1']:.3f}")

    summary = run(rows, cfg.resolve_task(), by, out, cfg, chosen,
                  groups.split(",") if groups else None, on_fold=report)
    for m, agg in summary["methods"].items():
        console.print(f"[bold]{m}[/bold]: mean macro-F1 {agg['mean_macro_f1']:.3f} ± "
                      f"{agg['sd_macro_f1']:.3f} over {len(summary['groups'])} held-out {by} values")
    console.print(f"written: {out / f'crossval-{task}.json'}, {out / f'crossval-{task}.md'}")
