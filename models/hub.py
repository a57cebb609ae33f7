"""Publish a trained model directory to the Hugging Face Hub.

A framelens model directory is already a Hub repository's worth of files (weights,
tokenizer, config with id2label, README.md card with front matter), so publishing is
create-the-repo plus upload-the-folder, nothing to convert. What this module adds is
the framelens way of failing: framelens is offline by design, so no network, offline
mode or a missing token ends in one line that says what to do (a ModelError), never a
stack of HTTP-client tracebacks.
"""

from __future__ import annotations

import os
from pathlib import Path

from framelens.data.errors import ModelError
from framelens.models.model_dir import check_weights

_OFFLINE_ADVICE = (
    "connect to the internet and unset HF_HUB_OFFLINE, then run `framelens push` again "
    "(or upload the folder yourself from a connected machine)"
)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").strip().lower() in {"1", "true", "yes", "on"}


def _network_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'could not reach the Hub' rather than 'the Hub said no'."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    errors: list[type[BaseException]] = [OfflineModeIsEnabled, ConnectionError, TimeoutError]
    try:
        # huggingface_hub >= 1 re-exports its HTTP client as `httpx` across major versions.
        from huggingface_hub.utils import httpx

        errors.append(httpx.TransportError)
    except ImportError:  # huggingface_hub < 1 talks through requests
        import requests

        errors += [requests.ConnectionError, requests.Timeout]
    return tuple(errors)


def push_to_hub(
    model_dir: str | Path, repo_id: str, *, private: bool = False, token: str | None = None
) -> str:
    """Upload a trained model directory to the Hub repository `repo_id`; return its URL.

    The repository is created if it does not exist (`private` applies only then).
    Raises ModelError for a folder that is not a trained model, and for every reason
    the Hub cannot be reached or refuses the upload, with the fix in the message.
    """
    model_dir = Path(model_dir)
    check_weights(model_dir)  # a trained model: config.json and safetensors weights
    if _offline():
        raise ModelError(f"cannot push {model_dir} to {repo_id}: HF_HUB_OFFLINE is set; {_OFFLINE_ADVICE}")

    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

    api = HfApi(token=token)
    try:
        repo = api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo.repo_id,
            folder_path=model_dir,
            commit_message=f"Upload framelens model from {model_dir.name}",
        )
    except LocalTokenNotFoundError:
        raise ModelError(
            f"cannot push to {repo_id}: no Hugging Face token; run `hf auth login`, set HF_TOKEN, "
            "or pass --token"
        ) from None
    except _network_errors() as exc:
        raise ModelError(
            f"cannot push {model_dir} to {repo_id}: the Hugging Face Hub is not reachable "
            f"({type(exc).__name__}); {_OFFLINE_ADVICE}"
        ) from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise ModelError(
                f"cannot push to {repo_id}: the Hub refused the token (HTTP {status}); use a token "
                "with write access to that namespace (--token or `hf auth login`)"
            ) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot push to {repo_id}: the Hub refused the upload ({first[:200]})") from None
    return str(repo)
