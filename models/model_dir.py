"""The one module that reads and writes a trained model directory.

A framelens model directory is a standard Hugging Face sequence-classification
directory (config.json, model.safetensors, tokenizer files, README.md card) plus
three framelens files: framelens.json (task, calibration, provenance), metrics.json
(dev scores and history) and training_config.json (the resolved recipe). A bundle is a
folder of such directories with framelens_bundle.json naming them by task.

Nobody else opens these files: callers go through the functions here, so a change of
layout has one place to change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from framelens.data.errors import ModelError
from framelens.data.outputs import atomic_directory, atomic_file, guard_output_dir
from framelens.models.metadata import ModelMetadata

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
METADATA_FILE = "framelens.json"
METRICS_FILE = "metrics.json"
TRAINING_CONFIG_FILE = "training_config.json"
CARD_FILE = "README.md"
BUNDLE_FILE = "framelens_bundle.json"
# Weight files that unpickle arbitrary Python objects when loaded.
PICKLE_WEIGHTS = ("pytorch_model.bin", "model.pt", "model.bin", "tf_model.h5")


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc}); the model directory is damaged") from None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    with atomic_file(path) as fh:
        fh.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# -- what a path is ---------------------------------------------------------------------------
def is_bundle(path: str | Path) -> bool:
    return Path(path, BUNDLE_FILE).is_file()


def is_model_dir(path: str | Path) -> bool:
    return Path(path, CONFIG_FILE).is_file()


def is_framelens_model(path: str | Path) -> bool:
    """A directory framelens wrote (a model or a bundle): safe to replace with --overwrite."""
    return Path(path, METADATA_FILE).is_file() or is_bundle(path)


# -- the framelens files ----------------------------------------------------------------------
def read_metadata(path: str | Path) -> ModelMetadata | None:
    data = _read_json(Path(path, METADATA_FILE))
    return ModelMetadata.from_dict(data) if data is not None else None


def write_metadata(path: str | Path, meta: ModelMetadata) -> None:
    _write_json(Path(path, METADATA_FILE), meta.to_dict())


def read_metrics(path: str | Path) -> dict[str, Any] | None:
    return _read_json(Path(path, METRICS_FILE))


def read_training_config(path: str | Path) -> dict[str, Any] | None:
    return _read_json(Path(path, TRAINING_CONFIG_FILE))


def read_card(path: str | Path) -> str | None:
    card = Path(path, CARD_FILE)
    return card.read_text(encoding="utf-8") if card.is_file() else None


def card_body(path: str | Path, max_lines: int | None = None) -> str | None:
    """The model card without its YAML front matter (what a report shows)."""
    text = read_card(path)
    if text is None:
        return None
    body = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S).strip()
    lines = body.splitlines()
    return "\n".join(lines[:max_lines] if max_lines else lines)


def bundle_shares_encoder(path: str | Path) -> bool:
    """Whether the bundle's tasks were trained with one shared encoder."""
    data = _read_json(Path(path, BUNDLE_FILE)) or {}
    return bool(data.get("shared_encoder", False))


def read_bundle(path: str | Path) -> dict[str, str]:
    """task name -> sub-directory (relative) of a multi-task bundle."""
    data = _read_json(Path(path, BUNDLE_FILE))
    if not data or not isinstance(data.get("tasks"), dict) or not data["tasks"]:
        raise ModelError(f"{Path(path, BUNDLE_FILE)}: names no tasks; the bundle is damaged")
    return {str(k): str(v) for k, v in data["tasks"].items()}


def write_bundle(path: str | Path, tasks: Mapping[str, str], shared_encoder: bool = False) -> None:
    _write_json(Path(path, BUNDLE_FILE), {"tasks": dict(tasks), "shared_encoder": shared_encoder})


# -- weights ----------------------------------------------------------------------------------
def check_weights(path: str | Path, allow_pickle: bool = False) -> None:
    """Refuse a directory whose weights are missing, or pickle-only unless allowed.

    Unpickling a downloaded .bin can run arbitrary code; safetensors cannot.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"{path}: no such model directory")
    if not is_model_dir(path):
        raise ModelError(
            f"{path} is not a trained model directory (no {CONFIG_FILE}); "
            "train one with `framelens train` or pass the directory it wrote"
        )
    if any(path.glob("*.safetensors")):
        return
    pickles = [p.name for p in path.iterdir() if p.name in PICKLE_WEIGHTS]
    if pickles and not allow_pickle:
        raise ModelError(
            f"{path}: weights are only in pickle format ({', '.join(pickles)}), which can run "
            "code when loaded; convert them to safetensors, or pass --allow-pickle if you trust "
            "the source"
        )
    if not pickles:
        raise ModelError(f"{path}: no weights ({WEIGHTS_FILE} is missing)")


def load_weights(path: str | Path, device: str = "cpu", allow_pickle: bool = False):
    """(model, tokenizer) of a fine-tuned directory, in eval mode on `device`."""
    from framelens.models.loading import quiet_transformers
    from safetensors import SafetensorError
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    check_weights(path, allow_pickle)
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(str(path))
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path), use_safetensors=not allow_pickle or None, trust_remote_code=False
            )
    except (OSError, ValueError, RuntimeError, SafetensorError) as exc:
        # A truncated or corrupt safetensors file surfaces as one of these.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: the model could not be loaded ({first[:200]})") from None
    model.eval()
    return model.to(device), tokenizer


# -- saving -----------------------------------------------------------------------------------
def save_model_dir(target: str | Path, *, overwrite: bool = False, **files: Any) -> Path:
    """Write every file of a model directory in one atomic step (`files`: the keywords of
    `write_model_files`).

    An existing target is replaced only if framelens wrote it and `overwrite` is set;
    anything else already at the path is refused, never deleted.
    """
    target = Path(target)
    guard_output_dir(target, overwrite, is_ours=is_framelens_model, kind="model directory")
    with atomic_directory(target) as tmp:
        write_model_files(tmp, **files)
    return target


def write_model_files(
    directory: Path,
    *,
    model,
    tokenizer,
    metadata: ModelMetadata,
    metrics: Mapping[str, Any] | None = None,
    training_config: Mapping[str, Any] | None = None,
    card: str | None = None,
) -> None:
    """The files of one model directory, into an existing (temporary) directory."""
    model.save_pretrained(directory, safe_serialization=True)
    # pipeline() truncates to the tokenizer's model_max_length; framelens to the metadata's.
    # One value for both, so every entry point sees the same tokens.
    tokenizer.model_max_length = metadata.max_length
    tokenizer.save_pretrained(directory)
    write_metadata(directory, metadata)
    if metrics is not None:
        _write_json(directory / METRICS_FILE, metrics)
    if training_config is not None:
        _write_json(directory / TRAINING_CONFIG_FILE, training_config)
    if card is not None:
        (directory / CARD_FILE).write_text(card, encoding="utf-8")
