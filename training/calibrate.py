"""Temperature scaling fitted on dev data and stored with the model.

The temperature lives in framelens.json; `Classifier.predict` divides logits
by it. It never changes which label wins (argmax is unchanged), only how much
the probabilities can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from framelens.models.metadata import ModelMetadata
from framelens.models.predictor import Classifier
from framelens.training.evaluation.calibration import temperature_scaling
from framelens.training.evaluation.scoring import score_file


@dataclass
class CalibrationResult:
    temperature: float
    ece_before: float
    ece_after: float
    n: int


def record_calibration(meta: ModelMetadata, temperature: float, ece_before: float,
                       ece_after: float, dev_path: str | Path) -> None:
    meta.temperature = temperature
    meta.extra["calibration"] = {"dev": str(dev_path), "ece_before": ece_before,
                                 "ece_after": ece_after}


def calibrate_model(model_dir: str | Path, dev_path: str | Path) -> CalibrationResult:
    clf = Classifier.load(model_dir)
    if not isinstance(clf, Classifier):
        raise ValueError("calibrate one task directory at a time (a bundle's sub-directory)")
    if clf.task.multi_label:
        raise ValueError("temperature scaling is implemented for single-label tasks only")
    scored = score_file(clf, dev_path)
    temperature, before, after = temperature_scaling(scored.logits, scored.gold)
    meta = ModelMetadata.load(model_dir) or clf.metadata
    record_calibration(meta, temperature, before, after, dev_path)
    meta.save(model_dir)
    return CalibrationResult(temperature, before, after, len(scored.texts))
