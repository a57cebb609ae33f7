"""Fine-tune a transformer for one task with the Hugging Face Trainer.

Read top to bottom: resolve the task and data, load the base model with a new
head, tokenize, train with early stopping on dev macro-F1, then write a clean
Hugging Face model directory (weights, tokenizer, card, metrics, config) in one
atomic step.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from framelens.data.corpus import split_path
from framelens.data.labelled import load_labelled
from framelens.data.outputs import atomic_directory
from framelens.data.tasks import Task
from framelens.models.card import CardInfo, render_model_card
from framelens.models.loading import load_base_for_task
from framelens.models.metadata import ModelMetadata
from framelens.training.calibrate import record_calibration
from framelens.training.config import TrainConfig
from framelens.training.evaluation.calibration import temperature_scaling
from framelens.training.metrics import classification_metrics
from transformers import (
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Trainer,
    TrainingArguments,
    set_seed,
)

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    out_dir: Path
    task: Task
    dev_metrics: dict[str, Any]
    seconds: float
    epochs_run: float

    def summary(self) -> str:
        return (
            f"{self.task.name}: dev macro-F1 {self.dev_metrics['macro_f1']:.3f}, "
            f"accuracy {self.dev_metrics['accuracy']:.3f}, {self.epochs_run:g} epochs in "
            f"{self.seconds:.0f}s, saved to {self.out_dir}"
        )


def checkpoint_dir(out: str | Path) -> Path:
    """Checkpoints live beside, never inside, the final model directory."""
    out = Path(out)
    return out.parent / f".{out.name}.checkpoints"


def _data_path(given: str | None, split: str) -> Path:
    if given:
        return Path(given)
    path = split_path(split)
    if not path.is_file():
        raise FileNotFoundError(f"the bundled corpus split {path} is missing; pass --{split} FILE")
    return path


def _precision_flags(config: TrainConfig, device: str) -> dict[str, bool]:
    if device != "cuda" or config.precision == "fp32":
        return {"bf16": False, "fp16": False}
    if config.precision == "bf16" or (
        config.precision == "auto" and torch.cuda.is_bf16_supported()
    ):
        return {"bf16": True, "fp16": False}
    return {"bf16": False, "fp16": True}


def _metrics_fn(task: Task):
    def compute(eval_pred) -> dict[str, float]:
        logits, labels = eval_pred.predictions, eval_pred.label_ids
        if task.multi_label:
            return _multi_label_scores(logits, labels)
        full = classification_metrics(np.argmax(logits, axis=1), labels, task.labels)
        # The Trainer logs scalars only; per-class detail goes to metrics.json.
        return {k: v for k, v in full.items() if isinstance(v, float)}

    return compute


def _multi_label_scores(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    pred = (logits > 0).astype(int)
    gold = labels.astype(int)
    return {
        "accuracy": float(accuracy_score(gold, pred)),  # exact-match ratio
        "macro_f1": float(f1_score(gold, pred, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(gold, pred, average="micro", zero_division=0)),
    }


def _class_weight_loss(train_labels: list[int], num_labels: int):
    """Inverse-frequency class weights, so rare classes are not drowned out."""
    counts = np.bincount(np.asarray(train_labels), minlength=num_labels).astype(float)
    weights = torch.tensor(counts.sum() / (num_labels * np.maximum(counts, 1.0)), dtype=torch.float)

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs.logits
        return torch.nn.functional.cross_entropy(logits, labels, weight=weights.to(logits.device))

    return loss


def train(config: TrainConfig) -> TrainResult:
    started = time.time()
    task = config.resolve_task()
    train_path, dev_path = _data_path(config.train, "train"), _data_path(config.dev, "dev")

    # Validate both files before any model is loaded: a bad row fails in seconds.
    train_ds, _ = load_labelled(train_path, task)
    dev_ds, _ = load_labelled(dev_path, task)

    set_seed(config.seed)  # before the head is created, so its init is reproducible
    model, tokenizer, resolved = load_base_for_task(config.base_model, task)

    def tokenize(batch):
        return tokenizer(batch[task.text_column], truncation=True, max_length=config.max_length)

    keep = {"labels"}
    train_tok = train_ds.map(
        tokenize, batched=True, remove_columns=[c for c in train_ds.column_names if c not in keep]
    )
    dev_tok = dev_ds.map(
        tokenize, batched=True, remove_columns=[c for c in dev_ds.column_names if c not in keep]
    )

    device = "cuda" if config.device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    if config.device == "cuda" and device != "cuda":
        raise RuntimeError("--device cuda was asked for, but no CUDA device is available")
    ckpt = checkpoint_dir(config.out)
    steps_per_epoch = max(1, -(-len(train_tok) // config.batch_size))
    args = TrainingArguments(
        output_dir=str(ckpt),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.eval_batch_size,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=int(config.warmup_ratio * steps_per_epoch * config.epochs),
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=2,  # the best and the latest: enough to resume and to restore
        seed=config.seed,
        use_cpu=device == "cpu",
        report_to=[],
        disable_tqdm=not config.progress,
        dataloader_num_workers=0,
        **_precision_flags(config, device),
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_tok,
        eval_dataset=dev_tok,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_metrics_fn(task),
        compute_loss_func=(
            _class_weight_loss(train_ds["labels"], len(task.labels))
            if config.class_weights and not task.multi_label
            else None
        ),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)],
    )
    resume = config.resume and any(ckpt.glob("checkpoint-*"))
    if config.resume and not resume:
        log.warning("--resume: no checkpoint in %s, starting from scratch", ckpt)
    trainer.train(resume_from_checkpoint=True if resume else None)

    # The best model is loaded back; score it once more with full per-class detail.
    dev_pred = trainer.predict(dev_tok)
    if task.multi_label:
        dev_metrics = _multi_label_scores(dev_pred.predictions, dev_pred.label_ids)
    else:
        dev_metrics = classification_metrics(
            np.argmax(dev_pred.predictions, axis=1), dev_pred.label_ids, task.labels
        )
    epochs_run = float(trainer.state.epoch or 0)
    seconds = time.time() - started

    meta = ModelMetadata(
        task=task,
        base_model=resolved.card_id,
        max_length=config.max_length,
        framelens_version=_version(),
    )
    if config.calibrate and not task.multi_label:
        # The best model's dev logits are already in hand: fit the temperature on them
        # instead of reloading the saved model and predicting dev again.
        t, before, after = temperature_scaling(dev_pred.predictions, dev_pred.label_ids)
        record_calibration(meta, t, before, after, dev_path)
        log.info("temperature %.3f: dev ECE %.3f -> %.3f", t, before, after)

    with atomic_directory(config.out) as tmp:
        trainer.model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        meta.save(tmp)
        metrics = {
            "task": task.name,
            "dev": dev_metrics,
            "epochs_run": epochs_run,
            "best_checkpoint_metric": trainer.state.best_metric,
            "train_seconds": round(seconds, 1),
            "n_train": len(train_ds),
            "n_dev": len(dev_ds),
            "history": [h for h in trainer.state.log_history if "eval_macro_f1" in h],
        }
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        resolved_config = config.to_dict() | {
            "train": str(train_path),
            "dev": str(dev_path),
            "device": device,
        }
        (tmp / "training_config.json").write_text(json.dumps(resolved_config, indent=2) + "\n")
        card = CardInfo(
            task=task,
            base_model=resolved.card_id,
            train_file=train_path.name,
            dev_file=dev_path.name,
            n_train=len(train_ds),
            n_dev=len(dev_ds),
            dev_metrics=dev_metrics,
            train_seconds=seconds,
            hyperparameters={
                k: resolved_config[k]
                for k in (
                    "epochs",
                    "batch_size",
                    "learning_rate",
                    "weight_decay",
                    "warmup_ratio",
                    "max_length",
                    "seed",
                    "class_weights",
                    "early_stopping_patience",
                )
            },
        )
        (tmp / "README.md").write_text(render_model_card(card))

    if not config.keep_checkpoints:
        shutil.rmtree(ckpt, ignore_errors=True)
    return TrainResult(Path(config.out), task, dev_metrics, seconds, epochs_run)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("framelens")
    except PackageNotFoundError:
        return "0+unknown"
