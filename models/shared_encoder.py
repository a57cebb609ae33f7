"""One encoder, one classification head per task (BERT family).

Frame and stance read the same sentence; with one shared encoder both labels cost one
forward pass instead of two. The trained model still saves as one standard Hugging Face
`BertForSequenceClassification` directory per task (encoder weights copied into each), so
`pipeline("text-classification")` loads any task on its own; the bundle file records that
the tasks share their encoder and `Predictor` then runs it once per batch.

The head is exactly BERT's own (dropout then a linear layer on the pooled [CLS] output),
so a saved task directory computes the same logits as the joint model.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
from framelens.data.errors import ConfigError
from framelens.data.tasks import Task
from torch import nn

SHARED_MODEL_TYPES = ("bert",)


def check_shareable(config) -> None:
    if getattr(config, "model_type", None) not in SHARED_MODEL_TYPES:
        raise ConfigError(
            f"a shared encoder is implemented for {', '.join(SHARED_MODEL_TYPES)} base models; "
            f"this one is {getattr(config, 'model_type', '?')!r} (train the tasks separately)"
        )


class MultiTaskBert(nn.Module):
    """A BERT encoder with a head per task; the loss is the weighted sum of the tasks'."""

    def __init__(self, encoder, tasks: Mapping[str, Task],
                 loss_weights: Mapping[str, float] | None = None):
        super().__init__()
        check_shareable(encoder.config)
        self.encoder = encoder
        self.tasks = dict(tasks)
        self.loss_weights = {t: float((loss_weights or {}).get(t, 1.0)) for t in self.tasks}
        config = encoder.config
        p = config.classifier_dropout if config.classifier_dropout is not None \
            else config.hidden_dropout_prob
        self.dropout = nn.Dropout(p)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(config.hidden_size, len(task.labels)) for name, task in tasks.items()}
        )
        for head in self.heads.values():  # BERT's own head initialisation
            head.weight.data.normal_(mean=0.0, std=config.initializer_range)
            head.bias.data.zero_()

    @property
    def config(self):
        return self.encoder.config

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **labels):
        pooled = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).pooler_output
        pooled = self.dropout(pooled)
        out: dict[str, torch.Tensor] = {}
        loss = None
        for name, head in self.heads.items():
            logits = head(pooled)
            out[f"logits_{name}"] = logits
            gold = labels.get(f"labels_{name}")
            if gold is not None:
                term = self.loss_weights[name] * nn.functional.cross_entropy(logits, gold)
                loss = term if loss is None else loss + term
        return ({"loss": loss} if loss is not None else {}) | out

    def task_model(self, name: str):
        """A standalone `BertForSequenceClassification` for one task (a copy of the weights)."""
        from transformers import BertForSequenceClassification

        task = self.tasks[name]
        config = copy.deepcopy(self.encoder.config)
        config.num_labels = len(task.labels)
        config.id2label = task.id2label
        config.label2id = task.label2id
        config.problem_type = task.problem_type
        config.architectures = ["BertForSequenceClassification"]
        model = BertForSequenceClassification(config)
        model.bert.load_state_dict(self.encoder.state_dict())
        model.classifier.load_state_dict(self.heads[name].state_dict())
        return model.eval()


def bert_head_logits(task_model, pooled: torch.Tensor) -> torch.Tensor:
    """What `BertForSequenceClassification.forward` does after the encoder (eval mode)."""
    return task_model.classifier(task_model.dropout(pooled))


def tie_encoders(task_models: list) -> bool:
    """Make every task model use the first one's encoder (one copy in memory).

    Returns False, and leaves the models alone, unless they are all BERT classifiers whose
    encoder weights are identical — the bundle's claim is checked, not trusted.
    """
    from transformers import BertForSequenceClassification

    if not task_models or not all(isinstance(m, BertForSequenceClassification)
                                  for m in task_models):
        return False
    first = task_models[0].bert.state_dict()
    for other in task_models[1:]:
        theirs = other.bert.state_dict()
        if theirs.keys() != first.keys() or not all(torch.equal(first[k], theirs[k])
                                                    for k in first):
            return False
    for other in task_models[1:]:
        other.bert = task_models[0].bert
    return True
