"""Metrics from framelens's local `evaluate` module (no hub fetch)."""

from framelens.training.metrics.classification import classification_metrics, load_metric

__all__ = ["classification_metrics", "load_metric"]
