"""Fine-tune a transformer for one task with the Hugging Face Trainer.

Reads top to bottom: `load_data` validates both files before any model loads (a bad row
fails in seconds), `fit` trains with early stopping on dev macro-F1 and restores the best
epoch, `train` calibrates on the dev logits it already has and returns the trained model
in memory. Saving is a separate step (`TrainResult.save`), so callers that only want to
score the model (cross-validation) never touch the disk.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from framelens.data.corpus import split_path
from framelens.data.errors import DataError, EnvironmentProblem
from framelens.data.labelled import load_labelled, log_warnings, overlap_warning
from framelens.data.tasks import Task
from framelens.models.card import CardInfo, render_model_card
from framelens.models.loading import load_base_for_task
from framelens.models.metadata import ModelMetadata
from framelens.models.predictor import TaskModel, pick_device
from framelens.training.calibrate import Calibration, apply_calibration, fit_calibration
from framelens.training.config import TrainConfig
from framelens.training.metrics import classification_metrics
from transformers import (
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Trainer,
    TrainingArguments,
    set_seed,
)

log = logging.getLogger(__name__)

# What the card lists under "Training procedure".
CARD_HYPERPARAMETERS = ("epochs", "batch_size", "learning_rate", "weight_decay", "warmup_ratio",
                        "max_length", "seed", "class_weights", "early_stopping_patience")

DataSource = str | Path | datasets.Dataset | None


@dataclass
class LabelledData:
    """One split ready for training: the dataset (with integer `labels`) and its name."""

    dataset: datasets.Dataset
    source: str  # for training_config.json and the card: never a local absolute path


@dataclass
class TrainResult:
    """What `train` made, in memory: the model (calibrated) and how it got there."""

    model: TaskModel
    config: TrainConfig
    dev_metrics: dict[str, Any]
    history: list[dict[str, Any]]
    epochs_run: float
    best_metric: float | None
    seconds: float
    n_train: int
    n_dev: int
    sources: dict[str, str]
    device: str
    calibration: Calibration | None = None
    # Why the model was not calibrated although the recipe asked for it (e.g. dev too small).
    calibration_skipped: str | None = None
    saved_to: Path | None = field(default=None)

    @property
    def task(self) -> Task:
        return self.model.task

    def summary(self) -> str:
        where = f", saved to {self.saved_to}" if self.saved_to else ""
        return (f"{self.task.name}: dev macro-F1 {self.dev_metrics['macro_f1']:.3f}, "
                f"accuracy {self.dev_metrics['accuracy']:.3f}, {self.epochs_run:g} epochs in "
                f"{self.seconds:.0f}s{where}")

    def metrics_record(self) -> dict[str, Any]:
        return {"task": self.task.name, "dev": self.dev_metrics, "epochs_run": self.epochs_run,
                "best_checkpoint_metric": self.best_metric,
                "train_seconds": round(self.seconds, 1), "n_train": self.n_train,
                "n_dev": self.n_dev, "history": self.history}

    def training_config(self) -> dict[str, Any]:
        """The resolved recipe as saved: data named by source, never by absolute path."""
        cfg = self.config.to_dict() | self.sources | {"device": self.device}
        cfg["out"] = Path(cfg["out"]).name if cfg.get("out") else None
        cfg["base_model"] = self.model.metadata.base_model
        return cfg

    def card(self) -> str:
        cfg = self.training_config()
        return render_model_card(CardInfo(
            task=self.task, base_model=self.model.metadata.base_model,
            train_file=self.sources["train"], dev_file=self.sources["dev"],
            n_train=self.n_train, n_dev=self.n_dev, dev_metrics=self.dev_metrics,
            hyperparameters={k: cfg[k] for k in CARD_HYPERPARAMETERS},
            train_seconds=self.seconds,
        ))

    def save(self, out: str | Path, overwrite: bool = False) -> Path:
        """Write the model directory atomically (refusing to replace what is not ours)."""
        self.saved_to = self.model.save(out, metrics=self.metrics_record(),
                                        training_config=self.training_config(),
                                        card=self.card(), overwrite=overwrite)
        return self.saved_to


def checkpoint_dir(out: str | Path) -> Path:
    """Checkpoints live beside, never inside, the final model directory."""
    out = Path(out)
    return out.parent / f".{out.name}.checkpoints"


def last_complete_checkpoint(ckpt: Path) -> Path | None:
    """The newest checkpoint that was written to the end, or None.

    A run killed while saving leaves a `checkpoint-N` without `trainer_state.json` (the
    Trainer writes it last); resuming from it would fail, so it is removed and the one
    before it is used.
    """
    found = sorted((p for p in Path(ckpt).glob("checkpoint-*") if p.name[11:].isdigit()),
                   key=lambda p: int(p.name[11:]))
    for candidate in reversed(found):
        if (candidate / "trainer_state.json").is_file():
            return candidate
        shutil.rmtree(candidate, ignore_errors=True)
    return None


# -- load ---------------------------------------------------------------------------------------
def _source_name(given: str | Path) -> str:
    path = Path(given)
    return path.name if path.is_absolute() else str(path)


def load_split(data: DataSource, split: str, task: Task) -> LabelledData:
    """A labelled split from a file, an in-memory dataset, or (None) the bundled corpus."""
    if isinstance(data, datasets.Dataset):
        return LabelledData(_encode(data, task, split), f"in-memory {split} ({len(data)} rows)")
    if data is None:
        path = split_path(split)
        if not path.is_file():
            raise DataError.single(path, None, "(file)",
                                   f"the bundled corpus split is missing; pass --{split} FILE")
        return LabelledData(load_labelled(path, task)[0], f"bundled:{split}")
    return LabelledData(load_labelled(data, task)[0], _source_name(data))


def _encode(ds: datasets.Dataset, task: Task, split: str) -> datasets.Dataset:
    if "labels" in ds.column_names:
        return ds
    l2i = task.label2id
    bad = [i for i, v in enumerate(ds[task.label_column]) if v not in l2i]
    if bad:
        raise DataError.single(f"in-memory {split}", bad[0] + 1, task.label_column,
                               f"unknown label {ds[task.label_column][bad[0]]!r}")
    return ds.add_column("labels", [l2i[v] for v in ds[task.label_column]])


def load_data(config: TrainConfig, train: DataSource = None,
              dev: DataSource = None) -> tuple[Task, LabelledData, LabelledData]:
    """Resolve the task and validate both splits before any model is loaded."""
    task = config.resolve_task()
    train_data = load_split(train if train is not None else config.train, "train", task)
    dev_data = load_split(dev if dev is not None else config.dev, "dev", task)
    # Dev rows also in train inflate every dev score: say so before the training starts.
    overlap = overlap_warning(train_data.dataset[task.text_column],
                              dev_data.dataset[task.text_column], train_data.source,
                              dev_data.source, task.text_column)
    log_warnings([overlap] if overlap else [])
    return task, train_data, dev_data


# -- fit ------------------------------------------------------------------------------------------
def _precision_flags(config: TrainConfig, device: str) -> dict[str, bool]:
    if not device.startswith("cuda") or config.precision == "fp32":
        return {"bf16": False, "fp16": False}
    if config.precision == "bf16" or (config.precision == "auto" and torch.cuda.is_bf16_supported()):
        return {"bf16": True, "fp16": False}
    return {"bf16": False, "fp16": True}


def _report_to(config: TrainConfig) -> list[str]:
    if config.report_to == "none":
        return []
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise EnvironmentProblem("--report-to tensorboard needs the tensorboard package: "
                                 "pip install 'framelens[tensorboard]'") from None
    return [config.report_to]


def training_arguments(config: TrainConfig, ckpt: Path, device: str, n_train: int,
                       **extra: Any) -> TrainingArguments:
    """The Trainer's settings for a recipe: evaluate and save every epoch, keep the best
    by dev macro-F1 (restored at the end), and nothing sent anywhere unless asked."""
    steps_per_epoch = max(1, -(-n_train // config.batch_size))
    return TrainingArguments(
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
        report_to=_report_to(config),
        disable_tqdm=not config.progress,
        dataloader_num_workers=0,
        # Batches of similar length: less padding, the main cost of a CPU step.
        train_sampling_strategy="group_by_length",
        **_precision_flags(config, device),
        **extra,
    )


def _compute_metrics(task: Task):
    def compute(eval_pred) -> dict[str, float]:
        full = classification_metrics(np.argmax(eval_pred.predictions, axis=1),
                                      eval_pred.label_ids, task.labels)
        # The Trainer logs scalars only; per-class detail goes to metrics.json.
        return {k: v for k, v in full.items() if isinstance(v, float)}

    return compute


def _class_weight_loss(train_labels: list[int], num_labels: int):
    """Inverse-frequency class weights, so rare classes are not drowned out."""
    counts = np.bincount(np.asarray(train_labels), minlength=num_labels).astype(float)
    weights = torch.tensor(counts.sum() / (num_labels * np.maximum(counts, 1.0)), dtype=torch.float)

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs.logits
        return torch.nn.functional.cross_entropy(logits, labels, weight=weights.to(logits.device))

    return loss


def fit(config: TrainConfig, task: Task, train_ds: datasets.Dataset, dev_ds: datasets.Dataset,
        ckpt: Path, device: str) -> tuple[Trainer, Any, Any]:
    """Fine-tune with early stopping; returns the trainer (best model loaded) and the best
    model's dev predictions."""
    set_seed(config.seed)  # before the head is created, so its init is reproducible
    model, tokenizer, resolved = load_base_for_task(config.base_model, task)

    def tokenize(batch):
        return tokenizer(batch[task.text_column], truncation=True, max_length=config.max_length)

    def prepare(ds: datasets.Dataset) -> datasets.Dataset:
        drop = [c for c in ds.column_names if c != "labels"]
        return ds.map(tokenize, batched=True, remove_columns=drop)

    train_tok, dev_tok = prepare(train_ds), prepare(dev_ds)
    args = training_arguments(config, ckpt, device, len(train_tok))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_tok,
        eval_dataset=dev_tok,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_compute_metrics(task),
        compute_loss_func=(_class_weight_loss(train_ds["labels"], len(task.labels))
                           if config.class_weights else None),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)],
    )
    resume = last_complete_checkpoint(ckpt) if config.resume else None
    if config.resume and not resume:
        log.warning("--resume: no checkpoint in %s, starting from scratch", ckpt)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    # The best epoch's weights are loaded back: score them once more, with per-class detail.
    trainer.model.eval()
    return trainer, trainer.predict(dev_tok), resolved


# -- train: load → fit → calibrate, in memory ------------------------------------------------------
def train(config: TrainConfig, train_data: DataSource = None,
          dev_data: DataSource = None) -> TrainResult:
    """Train one task and return the model in memory; `result.save(out)` writes it."""
    started = time.time()
    task, train_split, dev_split = load_data(config, train_data, dev_data)
    device = pick_device(config.device)
    temp_ckpt = None if config.out else Path(tempfile.mkdtemp(prefix="framelens-ckpt-"))
    ckpt = checkpoint_dir(config.out) if config.out else temp_ckpt
    try:
        trainer, dev_pred, resolved = fit(config, task, train_split.dataset, dev_split.dataset,
                                          ckpt, device)
    finally:
        if temp_ckpt is not None:
            shutil.rmtree(temp_ckpt, ignore_errors=True)

    dev_logits, dev_gold = dev_pred.predictions, dev_pred.label_ids
    metadata = ModelMetadata(task=task, base_model=resolved.card_id,
                             max_length=config.max_length, framelens_version=_version())
    model = TaskModel(trainer.model, trainer.processing_class, metadata, device=device)
    calibration, skipped = None, None
    if config.calibrate:
        try:
            calibration = fit_calibration(dev_logits, dev_gold, dev_split.source)
        except DataError as exc:  # a small dev set: train anyway, uncalibrated, and say so
            skipped = f"not calibrated: {exc}"
            log.warning(skipped)
        else:
            apply_calibration(model, calibration, dev_split.source)
            log.info(calibration.summary())

    result = TrainResult(
        model=model, config=config,
        dev_metrics=classification_metrics(np.argmax(dev_logits, axis=1), dev_gold, task.labels),
        history=[h for h in trainer.state.log_history if "eval_macro_f1" in h],
        epochs_run=float(trainer.state.epoch or 0), best_metric=trainer.state.best_metric,
        seconds=time.time() - started, n_train=len(train_split.dataset),
        n_dev=len(dev_split.dataset),
        sources={"train": train_split.source, "dev": dev_split.source},
        device=device, calibration=calibration, calibration_skipped=skipped,
    )
    return result


def train_and_save(config: TrainConfig, overwrite: bool = False) -> TrainResult:
    """The `framelens train` job: train, save to `config.out`, then drop the checkpoints."""
    if not config.out:
        raise TypeError("train_and_save needs config.out")  # a caller bug, not a user error
    from framelens.data.outputs import guard_output_dir
    from framelens.models.model_dir import is_framelens_model

    # Refuse a bad output path before an hour of training, not after.
    guard_output_dir(Path(config.out), overwrite, is_ours=is_framelens_model,
                     kind="model directory")
    result = train(config)
    result.save(config.out, overwrite=overwrite)
    if not config.keep_checkpoints:
        shutil.rmtree(checkpoint_dir(config.out), ignore_errors=True)
    return result


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("framelens")
    except PackageNotFoundError:
        return "0+unknown"
