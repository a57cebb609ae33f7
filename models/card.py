"""Model cards: README.md with Hugging Face front matter for a trained model.

The front matter is built by `huggingface_hub` (`ModelCardData` + `EvalResult`), not
by string formatting: the library quotes values as YAML needs (a base model named
`org/model: v2` used to break the card) and writes only fields the Hub knows, with the
dev scores as a `model-index` the Hub renders as an evaluation widget. Label names are
not front-matter metadata: they live in config.json's `id2label` and in the card's
body, where a reader sees them with their descriptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from framelens.data.tasks import Task


@dataclass
class CardInfo:
    """Everything the card says about one trained model."""

    task: Task
    base_model: str
    train_file: str
    dev_file: str
    n_train: int
    n_dev: int
    dev_metrics: dict[str, Any]
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0


# (key in dev_metrics, model-index metric type, display name, metric args)
_INDEX_METRICS: tuple[tuple[str, str, str | None, dict[str, Any] | None], ...] = (
    ("accuracy", "accuracy", None, None),
    ("macro_f1", "f1", "macro F1", {"average": "macro"}),
)


def _eval_results(info: CardInfo) -> list[Any]:
    """The dev scores as model-index entries (only the scores that were computed)."""
    from huggingface_hub import EvalResult

    results = []
    for key, metric_type, name, args in _INDEX_METRICS:
        value = info.dev_metrics.get(key)
        if value is None:
            continue
        results.append(
            EvalResult(
                task_type="text-classification",
                task_name=f"{info.task.name} classification",
                dataset_type="framelens-corpus",
                dataset_name=info.dev_file,
                dataset_split="dev",
                metric_type=metric_type,
                metric_name=name,
                metric_args=args,
                # float(): numpy scalars would be dumped as Python-object YAML tags.
                metric_value=round(float(value), 4),
            )
        )
    return results


def _card_data(info: CardInfo) -> Any:
    from huggingface_hub import ModelCardData

    # The Hub accepts only owner/name ids here; a local directory's name stays in the body.
    hub_id = re.fullmatch(r"[\w.-]+/[\w.-]+", info.base_model or "")
    return ModelCardData(
        model_name=f"framelens-{info.task.name}",
        base_model=info.base_model if hub_id else None,
        library_name="transformers",
        pipeline_tag="text-classification",
        language=["en"],
        license="apache-2.0",
        tags=["framelens", "framing", info.task.name],
        metrics=["accuracy", "f1"],
        eval_results=_eval_results(info) or None,
    )


def _label_lines(task: Task) -> str:
    lines = []
    for i, label in enumerate(task.labels):
        description = task.descriptions.get(label, "")
        lines.append(f"- `{label}` (id {i})" + (f": {description}" if description else ""))
    return "\n".join(lines)


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


def _body(info: CardInfo) -> str:
    task = info.task
    hp = "\n".join(f"- {k}: {v}" for k, v in sorted(info.hyperparameters.items()))
    m = info.dev_metrics
    return f"""
# framelens {task.name} classifier

Fine-tuned from `{info.base_model}` by framelens to label
sentences of conflict news for the task **{task.name}**.

## Labels
{_label_lines(task)}

The same names and ids are in `config.json` (`id2label`, `label2id`).

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


def render_model_card(info: CardInfo) -> str:
    """The text of README.md: Hub front matter, then the card's body."""
    from huggingface_hub import ModelCard

    card = ModelCard(f"---\n{_card_data(info).to_yaml()}\n---\n{_body(info)}")
    return str(card)
