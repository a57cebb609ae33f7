"""Training configuration: defaults < recipe TOML < command-line overrides."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from framelens.data.tasks import Task, get_task

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
DEFAULT_RECIPE = RECIPES_DIR / "default.toml"


@dataclass
class TrainConfig:
    task: str = "frame"
    # None means the bundled corpus split (data/corpus/{train,dev}.jsonl).
    train: str | None = None
    dev: str | None = None
    out: str = "runs/model"
    base_model: str = "minilm"
    text_column: str | None = None
    label_column: str | None = None
    epochs: float = 6
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 8e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 96
    seed: int = 13
    early_stopping_patience: int = 2
    class_weights: bool = False
    # Fit temperature scaling on dev after training (stored in framelens.json).
    calibrate: bool = True
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (auto: bf16/fp16 on CUDA, fp32 on CPU)
    resume: bool = False
    keep_checkpoints: bool = False
    progress: bool = True
    # A custom task declared under [task] in the TOML (name, labels, ...).
    task_definition: dict[str, Any] | None = field(default=None)

    def resolve_task(self) -> Task:
        task = Task.from_dict(self.task_definition) if self.task_definition else get_task(self.task)
        return task.with_columns(self.text_column, self.label_column)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = {f.name for f in fields(TrainConfig)}


def load_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Build a config from the default recipe, an optional TOML file and overrides.

    Overrides that are None are ignored, so CLI options left unset keep the
    file's value.
    """
    values: dict[str, Any] = {}
    for source in (DEFAULT_RECIPE, path):
        if source is None:
            continue
        values.update(_read_toml(Path(source)))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ValueError(f"{path}: config file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name == "task" and isinstance(value, dict):
            values["task_definition"] = value
            values["task"] = value.get("name", "custom")
        elif name in _FIELDS:
            values[name] = value
        else:
            raise ValueError(
                f"{path}: unknown setting {key!r} (known: {', '.join(sorted(_FIELDS))})"
            )
    return values
