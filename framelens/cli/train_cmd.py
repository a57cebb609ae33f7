"""`framelens train`"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console

Opt = typer.Option


def train(
    task: Annotated[
        str | None, Opt(help="Built-in task (frame, stance) or the [task] of --config.")
    ] = None,
    train_file: Annotated[
        Path | None,
        Opt(
            "--train",
            help="Training file (CSV/TSV/JSONL/Parquet). Default: the bundled corpus train split.",
        ),
    ] = None,
    dev_file: Annotated[
        Path | None,
        Opt("--dev", help="Dev file for early stopping. Default: the bundled corpus dev split."),
    ] = None,
    out: Annotated[Path, Opt(help="Output model directory.")] = Path("runs/model"),
    config: Annotated[
        Path | None, Opt(help="Recipe TOML; command-line options override it.")
    ] = None,
    base_model: Annotated[
        str | None, Opt(help="Registry name (minilm), local directory or hub id.")
    ] = None,
    text_column: Annotated[str | None, Opt(help="Column holding the sentence.")] = None,
    label_column: Annotated[
        str | None, Opt(help="Column holding the label (default: task name).")
    ] = None,
    epochs: Annotated[
        float | None, Opt(help="Maximum epochs (early stopping may end sooner).")
    ] = None,
    batch_size: Annotated[int | None, Opt(help="Training batch size.")] = None,
    learning_rate: Annotated[float | None, Opt(help="Peak learning rate.")] = None,
    max_length: Annotated[int | None, Opt(help="Truncate sentences to this many tokens.")] = None,
    seed: Annotated[int | None, Opt(help="Random seed.")] = None,
    class_weights: Annotated[
        bool | None,
        Opt(
            "--class-weights/--no-class-weights", help="Weight the loss by inverse class frequency."
        ),
    ] = None,
    patience: Annotated[int | None, Opt(help="Early-stopping patience in epochs.")] = None,
    device: Annotated[str | None, Opt(help="auto, cpu or cuda.")] = None,
    precision: Annotated[str | None, Opt(help="auto, fp32, bf16 or fp16 (CUDA only).")] = None,
    calibrate: Annotated[bool | None, Opt("--calibrate/--no-calibrate",
                                          help="Fit temperature scaling on dev after training "
                                          "(recipe default: on).")] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue from the last checkpoint.")] = False,
    keep_checkpoints: Annotated[
        bool, Opt("--keep-checkpoints", help="Keep the checkpoint folder after success.")
    ] = False,
) -> None:
    """Fine-tune a transformer for one task and save a Hugging Face model directory."""
    from framelens.training.config import load_config
    from framelens.training.trainer import train as run_training

    cfg = load_config(
        config,
        task=task,
        train=_s(train_file),
        dev=_s(dev_file),
        out=str(out),
        base_model=base_model,
        text_column=text_column,
        label_column=label_column,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        max_length=max_length,
        seed=seed,
        class_weights=class_weights,
        early_stopping_patience=patience,
        device=device,
        precision=precision,
        calibrate=calibrate, resume=resume or None,
        keep_checkpoints=keep_checkpoints or None,
    )
    result = run_training(cfg)
    console.print(f"[bold green]done[/bold green] {result.summary()}", highlight=False)
    cal = json.loads((result.out_dir / "framelens.json").read_text()).get("extra", {})
    if "calibration" in cal:
        c = cal["calibration"]
        console.print(f"calibrated on dev: ECE {c['ece_before']:.3f} -> {c['ece_after']:.3f}")


def _s(path: Path | None) -> str | None:
    return str(path) if path is not None else None
