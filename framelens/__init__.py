"""framelens: label conflict-news sentences by frame and stance.

from framelens import Classifier
clf = Classifier.load("runs/frame")
clf.predict(["Aid convoys have not reached the besieged district."])
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("framelens")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from framelens.models.predictor import BundleClassifier, Classifier, Prediction

__all__ = ["BundleClassifier", "Classifier", "Prediction", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy: `import framelens` (and the CLI's --help) stays fast; torch loads
    # only when a model is actually used.
    if name in {"Classifier", "BundleClassifier", "Prediction"}:
        from framelens.models import predictor

        return getattr(predictor, name)
    raise AttributeError(f"module 'framelens' has no attribute {name!r}")
