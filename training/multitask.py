"""Train several tasks jointly: one shared encoder, a head per task, the losses summed.

Frame and stance are read from the same sentence, so one encoder can serve both: training
costs one model instead of two, and prediction one forward pass instead of two. Reads top
to bottom like the single-task trainer: load every task's labels (validated) → fit with
early stopping on the mean dev macro-F1 → split the joint model into one standard Hugging
Face directory per task, each calibrated on its own dev logits → a bundle marked
`shared_encoder`, which `Predictor` runs with one encoder pass.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
from framelens.data.errors import DataError
from framelens.data.outputs import atomic_directory, guard_output_dir
from framelens.data.tasks import Task
from framelens.models.loading import load_base_for_tasks
from framelens.models.metadata import ModelMetadata
from framelens.models.model_dir import is_framelens_model, write_bundle
from framelens.models.predictor import TaskModel, pick_device
from framelens.training.calibrate import apply_calibration, fit_calibration
from framelens.training.config import TrainConfig
from framelens.training.metrics import classification_metrics
from framelens.training.trainer import (
    DataSource,
    TrainResult,
    _version,
    checkpoint_dir,
    load_split,
    training_arguments,
)
from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer
from transformers import set_seed as hf_set_seed


@dataclass
class BundleResult:
    """What joint training made: one TrainResult per task, sharing one encoder."""

    results: dict[str, TrainResult]
    seconds: float
    saved_to: Path | None = field(default=None)

    def summary(self) -> str:
        parts = [f"{name} dev macro-F1 {r.dev_metrics['macro_f1']:.3f}"
                 for name, r in self.results.items()]
        first = next(iter(self.results.values()))
        where = f", saved to {self.saved_to}" if self.saved_to else ""
        return (f"{' + '.join(self.results)} (shared encoder): {', '.join(parts)}; "
                f"{first.epochs_run:g} epochs in {self.seconds:.0f}s{where}")

    def save(self, out: str | Path, overwrite: bool = False) -> Path:
        """A bundle: one standard model directory per task + framelens_bundle.json."""
        out = Path(out)
        guard_output_dir(out, overwrite, is_ours=is_framelens_model, kind="model bundle")
        with atomic_directory(out) as tmp:
            for name, result in self.results.items():
                result.model.write(tmp / name, metrics=result.metrics_record(),
                                   training_config=result.training_config(), card=result.card())
            write_bundle(tmp, {name: name for name in self.results}, shared_encoder=True)
        for name, result in self.results.items():
            result.saved_to = out / name
        self.saved_to = out
        return out


def _joint_split(data: DataSource, split: str, tasks: dict[str, Task]) -> tuple[datasets.Dataset, str]:
    """The text and every task's integer labels (`labels_<task>`), validated per task."""
    per_task = {name: load_split(data, split, task) for name, task in tasks.items()}
    first = next(iter(per_task.values()))
    text_column = next(iter(tasks.values())).text_column
    columns = {text_column: first.dataset[text_column]}
    for name, loaded in per_task.items():
        if len(loaded.dataset) != len(first.dataset):  # cannot happen for one file; guard anyway
            raise DataError.single(first.source, None, name, "row counts differ between tasks")
        columns[f"labels_{name}"] = loaded.dataset["labels"]
    return datasets.Dataset.from_dict(columns), first.source


def _compute_metrics(tasks: dict[str, Task]):
    names = list(tasks)

    def compute(eval_pred) -> dict[str, float]:
        preds = eval_pred.predictions
        golds = eval_pred.label_ids
        out: dict[str, float] = {}
        for i, name in enumerate(names):
            m = classification_metrics(np.argmax(preds[i], axis=1), golds[i], tasks[name].labels)
            out[f"{name}_macro_f1"] = m["macro_f1"]
            out[f"{name}_accuracy"] = m["accuracy"]
        # Model selection weighs the tasks equally.
        out["macro_f1"] = float(np.mean([out[f"{n}_macro_f1"] for n in names]))
        return out

    return compute


def fit_joint(config: TrainConfig, tasks: dict[str, Task], train_ds: datasets.Dataset,
              dev_ds: datasets.Dataset, ckpt: Path, device: str):
    """Fine-tune the shared encoder and heads; the best epoch (mean macro-F1) is restored."""
    hf_set_seed(config.seed)
    weights = {name: (config.task_weights or {}).get(name, task.loss_weight)
               for name, task in tasks.items()}
    model, tokenizer, resolved = load_base_for_tasks(config.base_model, tasks, weights)
    text_column = next(iter(tasks.values())).text_column
    label_names = [f"labels_{name}" for name in tasks]

    def tokenize(batch):
        return tokenizer(batch[text_column], truncation=True, max_length=config.max_length)

    def prepare(ds: datasets.Dataset) -> datasets.Dataset:
        return ds.map(tokenize, batched=True, remove_columns=[text_column])

    train_tok, dev_tok = prepare(train_ds), prepare(dev_ds)
    args = training_arguments(config, ckpt, device, len(train_tok), label_names=label_names)
    trainer = Trainer(
        model=model, args=args, train_dataset=train_tok, eval_dataset=dev_tok,
        processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_compute_metrics(tasks),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)],
    )
    resume = config.resume and any(ckpt.glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume else None)
    trainer.model.eval()
    return trainer, trainer.predict(dev_tok), resolved, tokenizer


def train_joint(config: TrainConfig, train_data: DataSource = None,
                dev_data: DataSource = None) -> BundleResult:
    """Train `config.tasks` jointly; returns one calibrated TaskModel per task, in memory."""
    started = time.time()
    tasks = config.resolve_tasks()
    train_ds, train_source = _joint_split(train_data if train_data is not None else config.train,
                                          "train", tasks)
    dev_ds, dev_source = _joint_split(dev_data if dev_data is not None else config.dev, "dev",
                                      tasks)
    device = pick_device(config.device)
    temp_ckpt = None if config.out else Path(tempfile.mkdtemp(prefix="framelens-ckpt-"))
    ckpt = checkpoint_dir(config.out) if config.out else temp_ckpt
    try:
        trainer, dev_pred, resolved, tokenizer = fit_joint(config, tasks, train_ds, dev_ds, ckpt,
                                                           device)
    finally:
        if temp_ckpt is not None:
            shutil.rmtree(temp_ckpt, ignore_errors=True)

    joint = trainer.model
    seconds = time.time() - started
    history = [h for h in trainer.state.log_history if "eval_macro_f1" in h]
    results: dict[str, TrainResult] = {}
    for i, (name, task) in enumerate(tasks.items()):
        logits, gold = dev_pred.predictions[i], dev_pred.label_ids[i]
        metadata = ModelMetadata(task=task, base_model=resolved.card_id,
                                 max_length=config.max_length, framelens_version=_version(),
                                 extra={"shared_encoder_with": [t for t in tasks if t != name]})
        model = TaskModel(joint.task_model(name).to(device), tokenizer, metadata, device=device)
        calibration, skipped = None, None
        if config.calibrate:
            try:
                calibration = fit_calibration(logits, gold, dev_source)
                apply_calibration(model, calibration, dev_source)
            except DataError as exc:
                skipped = f"not calibrated: {exc}"
        results[name] = TrainResult(
            model=model, config=config,
            dev_metrics=classification_metrics(np.argmax(logits, axis=1), gold, task.labels),
            history=history, epochs_run=float(trainer.state.epoch or 0),
            best_metric=trainer.state.best_metric, seconds=seconds, n_train=len(train_ds),
            n_dev=len(dev_ds), sources={"train": train_source, "dev": dev_source},
            device=device, calibration=calibration, calibration_skipped=skipped,
        )
    return BundleResult(results, time.time() - started)


def train_joint_and_save(config: TrainConfig, overwrite: bool = False) -> BundleResult:
    """The `framelens train --tasks ...` job: train jointly, save the bundle, drop checkpoints."""
    if not config.out:
        raise TypeError("train_joint_and_save needs config.out")  # a caller bug
    guard_output_dir(Path(config.out), overwrite, is_ours=is_framelens_model, kind="model bundle")
    result = train_joint(config)
    result.save(config.out, overwrite=overwrite)
    if not config.keep_checkpoints:
        shutil.rmtree(checkpoint_dir(config.out), ignore_errors=True)
    return result
