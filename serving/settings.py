"""How the HTTP server runs: one dataclass holds every default and checks every value.

The `framelens serve` options derive from these fields, and the bench and the tests build
the same object, so a default lives in one place. Values are checked when the object is
built, before the model loads: `--port 0x` fails in milliseconds, not after a minute of
loading weights. This module imports nothing beyond the standard library, so the CLI's
`--help` stays fast and a missing `framelens[serve]` extra is reported before FastAPI is
imported.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from framelens.data.errors import ConfigError, EnvironmentProblem

TOKEN_ENV = "FRAMELENS_API_TOKEN"
SERVE_EXTRA = ("fastapi", "uvicorn")
# JSON may spell one character as up to 12 bytes (a \ud83d\ude00 surrogate pair); clients
# normally send raw UTF-8 (at most 4). Allowing 8 bytes per permitted character plus room
# for keys and ids keeps honest bodies well inside the cap and bounds what is parsed.
BODY_BYTES_PER_CHAR = 8
BODY_OVERHEAD_BYTES = 1 << 20


def _token_from_env() -> str | None:
    return os.environ.get(TOKEN_ENV, "").strip() or None


@dataclass
class ServeSettings:
    """Network, batching and limits of one server; defaults suit a laptop and one user."""

    host: str = "127.0.0.1"
    port: int = 8000
    # Micro-batching: requests waiting together are merged into one model call of at most
    # this many texts (one larger request still runs whole). 1 turns merging off.
    max_batch_size: int = 32
    # How long the first request of a batch waits for company. Small: at low load it is
    # pure latency; under load the queue fills while the previous batch runs anyway.
    max_wait_ms: float = 5.0
    # Per request: texts (or documents) and characters over all of them.
    max_texts: int = 256
    max_chars: int = 200_000
    # Requests waiting for the model beyond the batch that is running; more get 429.
    queue_size: int = 64
    cors_origins: tuple[str, ...] = ()
    # Bearer token every /v1 call must carry; None = no authentication (loopback use).
    token: str | None = field(default_factory=_token_from_env, repr=False)
    # Seconds uvicorn waits for in-flight requests on shutdown before giving up.
    graceful_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        self.cors_origins = tuple(self.cors_origins)
        if not isinstance(self.host, str) or not self.host.strip():
            raise ConfigError("host must be a host name or IP address, e.g. 127.0.0.1")
        _whole("port", self.port, 0, 65535)
        _whole("max_batch_size", self.max_batch_size, 1, 100_000)
        _whole("max_texts", self.max_texts, 1, 1_000_000)
        _whole("max_chars", self.max_chars, 1, 100_000_000)
        _whole("queue_size", self.queue_size, 1, 1_000_000)
        for name in ("max_wait_ms", "graceful_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 60_000:
                raise ConfigError(f"{name} must be a number from 0 to 60000, got {value!r}")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigError(f"CORS origin {origin!r} must be '*' or start with http:// "
                                  "or https://, e.g. https://newsroom.example")
        if self.token is not None and (not self.token.isascii() or not self.token.isprintable()):
            raise ConfigError(f"{TOKEN_ENV} must be printable ASCII (it travels in an HTTP header)")

    @property
    def max_body_bytes(self) -> int:
        """Bodies larger than this are refused (413) before they are parsed."""
        return BODY_BYTES_PER_CHAR * self.max_chars + BODY_OVERHEAD_BYTES

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def limits(self) -> dict[str, Any]:
        """What a client may send (shown by /v1/info)."""
        return {"max_texts": self.max_texts, "max_chars": self.max_chars,
                "max_body_bytes": self.max_body_bytes, "max_batch_size": self.max_batch_size,
                "max_wait_ms": self.max_wait_ms, "queue_size": self.queue_size}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["token"] = "set" if self.token else None  # never echo a secret
        return out


def _whole(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")


def require_serve_extra() -> None:
    """One line of advice instead of an ImportError when the optional extra is missing."""
    missing = [name for name in SERVE_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise EnvironmentProblem(f"the server needs {' and '.join(missing)}, which are not "
                                 "installed: pip install 'framelens[serve]'")
