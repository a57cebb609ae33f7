"""Load base models for fine-tuning and trained models for prediction."""

from __future__ import annotations

import contextlib
from pathlib import Path

from framelens.data.tasks import Task
from framelens.models.metadata import ModelMetadata
from framelens.models.registry import ModelNotAvailable, ResolvedModel, resolve_base_model
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.utils import logging as hf_logging


@contextlib.contextmanager
def quiet_transformers():
    """Hide the expected 'newly initialized classifier' notice: a fresh head is the point."""
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)


def load_base_for_task(
    base_model: str, task: Task
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, ResolvedModel]:
    """A base encoder with a new classification head sized and named for `task`."""
    resolved = resolve_base_model(base_model)
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(resolved.path)
            model = AutoModelForSequenceClassification.from_pretrained(
                resolved.path,
                num_labels=len(task.labels),
                id2label=task.id2label,
                label2id=task.label2id,
                problem_type=task.problem_type,
            )
    except OSError as exc:
        raise ModelNotAvailable(f"could not load base model {base_model!r}: {exc}") from None
    return model, tokenizer, resolved


def task_from_config(model: PreTrainedModel) -> Task:
    """Rebuild a task from a plain HF model's config (for dirs not made by framelens)."""
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    labels = tuple(id2label[i] for i in sorted(id2label))
    multi = model.config.problem_type == "multi_label_classification"
    return Task(name="task", labels=labels, multi_label=multi)


def load_trained(
    model_dir: str | Path, device: str | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, ModelMetadata]:
    """A fine-tuned model directory (framelens's or any HF sequence classifier)."""
    path = Path(model_dir)
    if not (path / "config.json").is_file():
        raise ModelNotAvailable(
            f"{path} is not a trained model directory (no config.json); "
            "train one with `framelens train` or pass the directory it wrote"
        )
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForSequenceClassification.from_pretrained(str(path))
    model.eval()
    if device:
        model.to(device)
    meta = ModelMetadata.load(path) or ModelMetadata(task=task_from_config(model))
    return model, tokenizer, meta
