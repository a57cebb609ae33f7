"""Task definitions: a task is declared (name, columns, ordered labels), not hard-coded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from framelens.data.errors import ConfigError


@dataclass(frozen=True)
class Task:
    """A labelling task.

    The label order is part of the task: it fixes the model's class ids, so a
    model trained on a task always maps id 0 to `labels[0]`.
    """

    name: str
    labels: tuple[str, ...]
    text_column: str = "text"
    label_column: str = ""
    # Weight of this task's loss when it is trained jointly with others on one encoder
    # (a recipe's task_weights overrides it).
    loss_weight: float = 1.0
    # Short natural-language descriptions of each label, used by the model
    # card and by the zero-shot baseline.
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.labels:
            raise ConfigError(f"task {self.name!r} declares no labels")
        if len(set(self.labels)) != len(self.labels):
            raise ConfigError(f"task {self.name!r} has duplicate labels: {self.labels}")
        if not self.label_column:
            object.__setattr__(self, "label_column", self.name)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    @property
    def problem_type(self) -> str:
        return "single_label_classification"

    def with_columns(self, text_column: str | None = None, label_column: str | None = None) -> Task:
        """The same task reading its text/labels from other columns."""
        return replace(
            self,
            text_column=text_column or self.text_column,
            label_column=label_column or self.label_column,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "labels": list(self.labels),
            "text_column": self.text_column,
            "label_column": self.label_column,
            "descriptions": dict(self.descriptions),
            "loss_weight": self.loss_weight,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Task:
        if d.get("multi_label"):
            # Refused rather than half-supported: evaluation, calibration and the output
            # schema all assume one label per sentence.
            raise ConfigError(
                f"task {d.get('name', '?')!r}: multi-label tasks are not supported; declare "
                "one single-label task per label set (e.g. one task per frame)"
            )
        try:
            return cls(
                name=str(d["name"]),
                labels=tuple(str(x) for x in d["labels"]),
                text_column=str(d.get("text_column", "text")),
                label_column=str(d.get("label_column", "")),
                descriptions=dict(d.get("descriptions", {})),
                loss_weight=float(d.get("loss_weight", 1.0)),
            )
        except KeyError as exc:
            raise ConfigError(f"task definition is missing {exc.args[0]!r}") from None


FRAME = Task(
    name="frame",
    labels=("humanitarian", "counter_terrorism", "neutral"),
    descriptions={
        "humanitarian": "harm to civilians, siege, hunger, displacement, aid access, attacks on "
        "hospitals and schools, war crimes against civilians",
        "counter_terrorism": "fighting terrorists, extremists or militants, security operations, "
        "eliminating fighters, liberating areas, threats to national security",
        "neutral": "troop movements, territorial control, diplomacy, procedure, background, "
        "soldiers' deaths, without either frame",
    },
)

STANCE = Task(
    name="stance",
    labels=("supportive", "critical", "neutral"),
    # Stance is the harder task: with equal weights the shared encoder served it 0.026
    # macro-F1 worse than a stance-only model; 1.5 closed the gap (README, joint vs separate).
    loss_weight=1.5,
    descriptions={
        "supportive": "justifies, praises or defends the use of force: legitimate targets, "
        "precision, liberation, success, denial of civilian harm",
        "critical": "condemns or questions the use of force: civilian harm blamed on it, "
        "indiscriminate attacks, calls to stop, war crimes",
        "neutral": "no evaluation of the use of force: plain facts, aid logistics, diplomacy",
    },
)

BUILTIN_TASKS: dict[str, Task] = {t.name: t for t in (FRAME, STANCE)}


def get_task(name: str) -> Task:
    """Look up a built-in task by name, with a helpful error."""
    try:
        return BUILTIN_TASKS[name]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_TASKS))
        raise ConfigError(
            f"unknown task {name!r}; built-in tasks are {known} "
            "(declare your own in a config file under [task])"
        ) from None
