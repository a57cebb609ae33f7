"""`framelens train`: options derive from `TrainConfig`; the command only forwards them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console
from framelens.training.config import TrainConfig

Opt = typer.Option
# Help texts quote the one place defaults live, so they can never disagree with it.
D = TrainConfig()


def train(
    task: Annotated[str | None, Opt(help=f"Built-in task (frame, stance) or the \\[task] table "
                                    f"of --config. Default: {D.task}.")] = None,
    tasks: Annotated[str | None, Opt(help="Train these tasks jointly with one shared encoder "
                                     "(comma-separated, e.g. frame,stance); --out becomes a "
                                     "bundle.")] = None,
    train_file: Annotated[Path | None, Opt("--train", help="Training file (CSV/TSV/JSONL/"
                                           "Parquet). Default: the bundled corpus train split.")
                          ] = None,
    dev_file: Annotated[Path | None, Opt("--dev", help="Dev file for early stopping and "
                                         "calibration. Default: the bundled dev split.")] = None,
    out: Annotated[Path, Opt(help="Output model directory.")] = Path("runs/model"),
    overwrite: Annotated[bool, Opt("--overwrite", help="Replace a framelens model already at "
                                   "--out (anything else there is never replaced).")] = False,
    config: Annotated[Path | None, Opt(help="Recipe TOML; command-line options override it.")
                      ] = None,
    base_model: Annotated[str | None, Opt(help="Registry name, local directory or hub id. "
                                          f"Default: {D.base_model}.")] = None,
    text_column: Annotated[str | None, Opt(help="Column holding the sentence (default: text).")
                           ] = None,
    label_column: Annotated[str | None, Opt(help="Column holding the label (default: the task "
                                            "name).")] = None,
    epochs: Annotated[float | None, Opt(help=f"Maximum epochs (early stopping may end sooner). "
                                        f"Default: {D.epochs:g}.")] = None,
    batch_size: Annotated[int | None, Opt(help=f"Training batch size. Default: {D.batch_size}.")
                          ] = None,
    learning_rate: Annotated[float | None, Opt(help=f"Peak learning rate. Default: "
                                               f"{D.learning_rate:g}.")] = None,
    max_length: Annotated[int | None, Opt(help=f"Truncate sentences to this many tokens. "
                                          f"Default: {D.max_length}.")] = None,
    seed: Annotated[int | None, Opt(help=f"Random seed. Default: {D.seed}.")] = None,
    class_weights: Annotated[bool | None, Opt("--class-weights/--no-class-weights",
                                              help="Weight the loss by inverse class frequency."
                                              )] = None,
    patience: Annotated[int | None, Opt(help="Early-stopping patience in epochs. Default: "
                                        f"{D.early_stopping_patience}.")] = None,
    device: Annotated[str | None, Opt(help="auto, cpu, cuda or mps. Default: auto.")] = None,
    precision: Annotated[str | None, Opt(help="auto, fp32, bf16 or fp16 (CUDA only).")] = None,
    calibrate: Annotated[bool | None, Opt("--calibrate/--no-calibrate",
                                          help="Fit temperature scaling on dev after training "
                                          "(default: on).")] = None,
    report_to: Annotated[str | None, Opt(help="Training logs: none or tensorboard (offline, "
                                         "beside the checkpoints).")] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue from the last checkpoint.")] = False,
    keep_checkpoints: Annotated[bool, Opt("--keep-checkpoints",
                                          help="Keep the checkpoint folder after success.")
                                ] = False,
) -> None:
    """Fine-tune a transformer for one task and save a Hugging Face model directory."""
    from framelens.training.config import load_config
    from framelens.training.multitask import train_joint_and_save
    from framelens.training.trainer import train_and_save

    cfg = load_config(
        config, task=task, tasks=[t.strip() for t in tasks.split(",") if t.strip()] if tasks
        else None, train=_s(train_file), dev=_s(dev_file), out=str(out),
        base_model=base_model, text_column=text_column, label_column=label_column,
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
        max_length=max_length, seed=seed, class_weights=class_weights,
        early_stopping_patience=patience, device=device, precision=precision,
        calibrate=calibrate, report_to=report_to, resume=resume or None,
        keep_checkpoints=keep_checkpoints or None,
    )
    if cfg.tasks:
        bundle = train_joint_and_save(cfg, overwrite=overwrite)
        console.print(f"[bold green]done[/bold green] {bundle.summary()}", highlight=False)
        results = list(bundle.results.values())
    else:
        result = train_and_save(cfg, overwrite=overwrite)
        console.print(f"[bold green]done[/bold green] {result.summary()}", highlight=False)
        results = [result]
    for r in results:
        if r.calibration is not None:
            console.print(f"{r.task.name}: {r.calibration.summary()}", highlight=False)
        elif r.calibration_skipped:
            console.print(f"[yellow]{r.task.name}: {r.calibration_skipped}[/yellow]",
                          highlight=False)


def _s(path: Path | None) -> str | None:
    return str(path) if path is not None else None
