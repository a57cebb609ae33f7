"""framelens.json: what framelens stores next to a Hugging Face model directory.

config.json already carries id2label/label2id/problem_type; this adds the full task
definition, the calibration temperature and provenance, so a model directory is
self-describing. Reading and writing the file is `framelens.models.model_dir`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framelens.data.tasks import Task

# One truncation length for training, prediction and the saved tokenizer, so a sentence is
# cut at the same token by `pipeline`, `Classifier` and the trainer. 128 word pieces hold
# the longest sentences of real news (about 60 words) with room to spare.
DEFAULT_MAX_LENGTH = 128


@dataclass
class ModelMetadata:
    task: Task
    base_model: str = ""
    max_length: int = DEFAULT_MAX_LENGTH
    # Softmax temperature fitted on dev data (1.0 = uncalibrated).
    temperature: float = 1.0
    framelens_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task.to_dict(),
            "base_model": self.base_model,
            "max_length": self.max_length,
            "temperature": self.temperature,
            "framelens_version": self.framelens_version,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        return cls(
            task=Task.from_dict(data["task"]),
            base_model=str(data.get("base_model", "")),
            max_length=int(data.get("max_length", DEFAULT_MAX_LENGTH)),
            temperature=float(data.get("temperature", 1.0)),
            framelens_version=str(data.get("framelens_version", "")),
            extra=dict(data.get("extra", {})),
        )
