"""framelens.models — base-model registry, load/save, model cards, prediction backends."""

from framelens.models.registry import BASE_MODELS, ModelNotAvailable, resolve_base_model

__all__ = ["BASE_MODELS", "ModelNotAvailable", "resolve_base_model"]
