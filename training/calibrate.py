"""Temperature scaling fitted on dev logits (Guo et al., 2017).

The temperature lives in the model's metadata; prediction divides logits by it. It never
changes which label wins, only how far the probabilities can be trusted. Two guards keep
it honest: too few dev rows give a temperature fitted to noise, so they are refused; and a
temperature that does not lower the dev negative log-likelihood is not kept (T stays 1).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
from framelens.data.errors import DataError
from framelens.models.predictor import TaskModel, probabilities
from framelens.training.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    log_loss,
)

log = logging.getLogger(__name__)

# Below this many dev rows a fitted temperature follows noise (a 1-row fit gave T = 0.2,
# after which every confidence read 1.0).
MIN_CALIBRATION_ROWS = 50


@dataclass(frozen=True)
class Calibration:
    temperature: float
    ece_before: float
    ece_after: float
    nll_before: float
    nll_after: float
    n: int
    kept: bool  # False: scaling did not lower the NLL, so T = 1 was kept

    def to_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)

    def summary(self) -> str:
        if not self.kept:
            return (f"temperature scaling did not lower the dev NLL on {self.n} rows; "
                    f"kept T = 1 (ECE {self.ece_before:.3f})")
        return (f"temperature {self.temperature:.3f} fitted on {self.n} dev rows: ECE "
                f"{self.ece_before:.3f} -> {self.ece_after:.3f}")


def fit_calibration(logits: np.ndarray, gold: np.ndarray, source: str = "dev") -> Calibration:
    """Fit T on held-out logits; refuse too few rows; keep T = 1 unless the NLL drops."""
    n = len(gold)
    if n < MIN_CALIBRATION_ROWS:
        raise DataError.single(source, None, "(rows)",
                               f"{n} rows are too few to calibrate on; at least "
                               f"{MIN_CALIBRATION_ROWS} labelled rows are needed")
    raw = probabilities(logits, 1.0)
    t = fit_temperature(logits, gold)
    scaled = probabilities(logits, t)
    nll_before, nll_after = log_loss(raw, gold), log_loss(scaled, gold)
    kept = nll_after < nll_before - 1e-6
    return Calibration(
        temperature=t if kept else 1.0,
        ece_before=expected_calibration_error(raw, gold),
        ece_after=expected_calibration_error(scaled if kept else raw, gold),
        nll_before=nll_before, nll_after=nll_after if kept else nll_before, n=n, kept=kept,
    )


def apply_calibration(model: TaskModel, calibration: Calibration, source: str) -> None:
    """Store the temperature and its provenance in the model's metadata (in memory)."""
    model.metadata.temperature = calibration.temperature
    model.metadata.extra["calibration"] = calibration.to_dict() | {"dev": source}


def calibrate_model(model: TaskModel, texts: list[str], gold: np.ndarray,
                    source: str) -> Calibration:
    """Fit temperature scaling for a trained model on labelled held-out texts."""
    calibration = fit_calibration(model.logits(texts, batch_size=64), np.asarray(gold), source)
    apply_calibration(model, calibration, source)
    return calibration
