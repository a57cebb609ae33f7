"""framelens: label conflict-news sentences by frame and stance.

from framelens import Classifier
clf = Classifier.load("runs/bundle")
clf.predict("Aid convoys have not reached the besieged district.")["frame"].label
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("framelens")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from framelens.serving import Analysis, Classifier, Result

__all__ = ["Analysis", "Classifier", "Result", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy: `import framelens` (and the CLI's --help) stays fast; torch loads only when a
    # model is actually used.
    if name in {"Classifier", "Result", "Analysis"}:
        from framelens import serving

        return getattr(serving, name)
    raise AttributeError(f"module 'framelens' has no attribute {name!r}")
