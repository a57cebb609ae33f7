"""Model cards: README.md with Hugging Face front matter for a trained model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framelens.data.tasks import Task


@dataclass
class CardInfo:
    task: Task
    base_model: str
    train_file: str
    dev_file: str
    n_train: int
    n_dev: int
    dev_metrics: dict[str, Any]
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0


def _front_matter(info: CardInfo) -> str:
    acc = info.dev_metrics.get("accuracy", 0.0)
    f1 = info.dev_metrics.get("macro_f1", 0.0)
    labels = "\n".join(f"  - {label}" for label in info.task.labels)
    return f"""---
library_name: transformers
pipeline_tag: text-classification
language:
  - en
license: apache-2.0
base_model: {info.base_model}
tags:
  - framelens
  - framing
  - {info.task.name}
metrics:
  - accuracy
  - f1
labels:
{labels}
model-index:
  - name: framelens-{info.task.name}
    results:
      - task:
          type: text-classification
          name: {info.task.name} classification
        dataset:
          name: {info.dev_file}
          type: framelens-corpus
          split: dev
        metrics:
          - type: accuracy
            value: {acc:.4f}
          - type: f1
            name: macro F1
            value: {f1:.4f}
---
"""


def _metrics_table(metrics: dict[str, Any], task: Task) -> str:
    rows = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label in task.labels:
        m = metrics.get("per_class", {}).get(label)
        if m:
            rows.append(
                f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
                f"| {m['support']} |"
            )
    return "\n".join(rows)


def render_model_card(info: CardInfo) -> str:
    task = info.task
    label_lines = "\n".join(
        f"- `{label}`: {task.descriptions.get(label, '')}".rstrip(": ") for label in task.labels
    )
    hp = "\n".join(f"- {k}: {v}" for k, v in sorted(info.hyperparameters.items()))
    m = info.dev_metrics
    return f"""{_front_matter(info)}
# framelens {task.name} classifier

Fine-tuned from `{info.base_model}` by framelens to label
sentences of conflict news for the task **{task.name}**.

## Labels
{label_lines}

## Training data
- train: `{info.train_file}` ({info.n_train} sentences)
- dev: `{info.dev_file}` ({info.n_dev} sentences), used for early stopping and model selection
- The bundled framelens corpus is written by the framelens project (see its data card);
  it is not a sample of real news.

## Evaluation (dev split)
accuracy {m.get("accuracy", 0):.3f} · macro-F1 {m.get("macro_f1", 0):.3f}

{_metrics_table(m, task)}

Dev scores choose the checkpoint, so they are optimistic: run `framelens evaluate` on
held-out data for an honest estimate.

## Training procedure
{hp}
- training time: {info.train_seconds:.0f} s

## Intended use
Research on how news, official statements and advocacy frame armed conflict: measuring
the share of humanitarian vs counter-terrorism framing across outlets, time or actors,
with human review of samples. Sentence-level labels; aggregate before drawing conclusions.

## Limits
- Trained on project-written English sentences; real news differs in style and topic, so
  expect lower accuracy on new sources and conflicts. Validate on a labelled sample of your
  own corpus before publishing numbers.
- A frame label says which frame a sentence evokes, not whether the claim is true.
- Not for moderation, targeting, or judging individuals.

## How to use
```python
from transformers import pipeline
clf = pipeline("text-classification", model="PATH/TO/THIS/DIR")
clf("Relief convoys have not reached the besieged district for six weeks.")
```
"""
