"""Load a base encoder with a fresh classification head for fine-tuning.

Trained model directories are read by `framelens.models.model_dir`."""

from __future__ import annotations

import contextlib

from framelens.data.tasks import Task
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
                trust_remote_code=False,
            )
    except OSError as exc:
        raise ModelNotAvailable(f"could not load base model {base_model!r}: {exc}") from None
    return model, tokenizer, resolved


def load_base_for_tasks(base_model: str, tasks: dict[str, Task],
                        loss_weights: dict[str, float] | None = None):
    """A base encoder with one fresh head per task, sharing the encoder (BERT family)."""
    from framelens.models.shared_encoder import MultiTaskBert, check_shareable
    from transformers import AutoConfig, AutoModel

    resolved = resolve_base_model(base_model)
    try:
        with quiet_transformers():
            check_shareable(AutoConfig.from_pretrained(resolved.path))
            tokenizer = AutoTokenizer.from_pretrained(resolved.path)
            encoder = AutoModel.from_pretrained(resolved.path, trust_remote_code=False)
    except OSError as exc:
        raise ModelNotAvailable(f"could not load base model {base_model!r}: {exc}") from None
    return MultiTaskBert(encoder, tasks, loss_weights), tokenizer, resolved
