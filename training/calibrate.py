"""Temperature scaling fitted on dev data and stored with the model.

The temperature lives in framelens.json; `Classifier.predict` divides logits
by it. It never changes which label wins (argmax is unchanged), only how much
the probabilities can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from framelens.models.metadata import ModelMetadata
from framelens.models.predictor import Classifier, probabilities
from framelens.training.evaluation.calibration import expected_calibration_error, fit_temperature
from framelens.training.evaluation.scoring import score_file


@dataclass
class CalibrationResult:
    temperature: float
    ece_before: float
    ece_after: float
    n: int


def calibrate_model(model_dir: str | Path, dev_path: str | Path) -> CalibrationResult:
    clf = Classifier.load(model_dir)
    if not isinstance(clf, Classifier):
        raise ValueError("calibrate one task directory at a time (a bundle's sub-directory)")
    if clf.task.multi_label:
        raise ValueError("temperature scaling is implemented for single-label tasks only")
    scored = score_file(clf, dev_path)
    temperature = fit_temperature(scored.logits, scored.gold)
    before = expected_calibration_error(probabilities(scored.logits, 1.0), scored.gold)
    after = expected_calibration_error(probabilities(scored.logits, temperature), scored.gold)
    meta = ModelMetadata.load(model_dir) or clf.metadata
    meta.temperature = temperature
    meta.extra["calibration"] = {"dev": str(dev_path), "ece_before": before, "ece_after": after}
    meta.save(model_dir)
    return CalibrationResult(temperature, before, after, len(scored.texts))
