"""framelens.json: what framelens stores next to a Hugging Face model directory.

config.json already carries id2label/label2id/problem_type; this file adds the
full task definition, the calibration temperature and provenance, so a model
directory is self-describing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from framelens.data.tasks import Task

METADATA_FILE = "framelens.json"
BUNDLE_FILE = "framelens_bundle.json"


@dataclass
class ModelMetadata:
    task: Task
    base_model: str = ""
    max_length: int = 128
    # Softmax temperature fitted on dev data (1.0 = uncalibrated).
    temperature: float = 1.0
    framelens_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, model_dir: str | Path) -> None:
        data = asdict(self)
        data["task"] = self.task.to_dict()
        Path(model_dir, METADATA_FILE).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, model_dir: str | Path) -> ModelMetadata | None:
        path = Path(model_dir, METADATA_FILE)
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        data["task"] = Task.from_dict(data["task"])
        return cls(**data)


def is_bundle(path: str | Path) -> bool:
    return Path(path, BUNDLE_FILE).is_file()


def bundle_tasks(path: str | Path) -> dict[str, str]:
    """task name -> sub-directory (relative) of a multi-task bundle."""
    data = json.loads(Path(path, BUNDLE_FILE).read_text())
    return dict(data["tasks"])


def write_bundle(path: str | Path, tasks: dict[str, str]) -> None:
    Path(path, BUNDLE_FILE).write_text(json.dumps({"tasks": tasks}, indent=2) + "\n")
