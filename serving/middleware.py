"""The guards every request passes before a route sees it, as plain ASGI middleware.

Order, outermost first: the access log (so it sees every answer, refusals included),
CORS when configured, the bearer token (an unauthenticated body is never read), then the
body guard (JSON content type, size cap). Each is a few lines of ASGI rather than
Starlette's BaseHTTPMiddleware, which buffers streaming and costs a task per request.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from framelens.serving.http_errors import error_response

Scope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[ASGIMessage]]
Send = Callable[[ASGIMessage], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("framelens.access")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# A client that opens a request and then trickles its body holds a connection; cut it off.
BODY_READ_TIMEOUT_S = 30.0


class AccessLog:
    """One JSON line per request: time, method, path, status, milliseconds, texts.

    Routes record how many texts a request carried in `request.state.n_texts`; the text
    itself is never logged.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app dies before answering, that is what the client sees

        async def send_status(message: ASGIMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        scope.setdefault("state", {})
        try:
            await self.app(scope, receive, send_status)
        finally:
            line = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "method": scope.get("method"), "path": scope.get("path"), "status": status,
                    "ms": round(1000 * (time.perf_counter() - started), 2),
                    "n_texts": scope["state"].get("n_texts")}
            access_log.info(json.dumps(line, ensure_ascii=True))


class BearerAuth:
    """Requests under the protected prefixes must send `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str, prefixes: Iterable[str] = ("/v1/",)):
        self.app = app
        self.token = token.encode("ascii")
        self.prefixes = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            given = _header(scope, b"authorization")
            scheme, _, value = given.partition(b" ")
            # compare_digest: the time taken does not reveal how much of a guess was right.
            ok = scheme.lower() == b"bearer" and hmac.compare_digest(value.strip(), self.token)
            if not ok:
                message = ("missing bearer token: send 'Authorization: Bearer <token>'"
                           if not given else "wrong bearer token")
                response = error_response(401, message, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyGuard:
    """JSON routes get JSON (else 415) of at most `max_bytes` (else 413), read here once.

    The size is checked from Content-Length before anything is read, and again while
    reading, for chunked bodies that announce no length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, json_paths: Iterable[str],
                 read_timeout_s: float = BODY_READ_TIMEOUT_S):
        self.app = app
        self.max_bytes = max_bytes
        self.json_paths = frozenset(json_paths)
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in BODY_METHODS
                or scope["path"] not in self.json_paths):
            await self.app(scope, receive, send)
            return
        refusal = self._check_headers(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout_s)
            except TimeoutError:
                await error_response(408, f"the body did not arrive within {self.read_timeout_s:g} s",
                                     "timeout")(scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> ASGIMessage:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for a disconnect as usual

        await self.app(scope, replay, send)

    def _check_headers(self, scope: Scope):
        content_type = _header(scope, b"content-type").decode("latin-1")
        parsed = Message()
        parsed["content-type"] = content_type
        subtype = parsed.get_content_subtype()
        if parsed.get_content_maintype() != "application" or not (
                subtype == "json" or subtype.endswith("+json")) or not content_type:
            return error_response(415, "send the body as JSON with 'Content-Type: "
                                  f"application/json' (got {content_type[:60] or 'none'!r})")
        length = _header(scope, b"content-length")
        if length.isdigit() and int(length) > self.max_bytes:
            return self._too_large()
        return None

    def _too_large(self):
        return error_response(413, f"the body is larger than {self.max_bytes} bytes", "too_large")


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return b""
