"""framelens.serving — inference for applications: the `Classifier` module, its typed
results (the one output schema), batch engines, and the HTTP server with its page (builds
on data and models; never imported by training).

Names load lazily, so `framelens --help` and the CLI's option defaults (which quote
`ServeSettings`) never import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framelens.serving.classifier import Classifier
    from framelens.serving.results import (
        Analysis,
        DocumentSummary,
        Result,
        SentenceResult,
        TaskResult,
    )

_WHERE = {"Classifier": "classifier", "Analysis": "results", "DocumentSummary": "results",
          "Result": "results", "SentenceResult": "results", "TaskResult": "results"}
__all__ = ["Analysis", "Classifier", "DocumentSummary", "Result", "SentenceResult", "TaskResult"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"framelens.serving.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'framelens.serving' has no attribute {name!r}")
