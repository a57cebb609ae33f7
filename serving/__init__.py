"""framelens.serving — inference for applications: the `Classifier` module, its typed
results (the one output schema), and the HTTP server with its page (builds on data and
models; never imported by training)."""

from framelens.serving.classifier import Classifier
from framelens.serving.results import Analysis, DocumentSummary, Result, SentenceResult, TaskResult

__all__ = ["Analysis", "Classifier", "DocumentSummary", "Result", "SentenceResult", "TaskResult"]
