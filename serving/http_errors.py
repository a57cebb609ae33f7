"""Every error the server sends has one JSON shape: {"error": {"code", "message", "details"}}.

Clients branch on `code`, people read `message`. Validation details name the field
(`body.texts.3`) but never echo the input: a rejected 2 MB body must not come back
inside the error, and a token-like string should not land in someone's logs.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from framelens.serving.batcher import NotRunning, QueueFull
from framelens.serving.schemas import is_limit_error
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("framelens.serve")
# Enough to fix a batch of mistakes at once, short enough to read (as for data errors).
MAX_DETAILS = 20
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 408: "timeout", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid_request", 429: "busy", 500: "internal", 503: "not_ready"}


def error_body(status: int, message: str, code: str | None = None,
               details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code or CODES.get(status, "error"), "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(status: int, message: str, code: str | None = None,
                   details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, code, details), status_code=status,
                        headers=headers)


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    return {"loc": loc or "body", "message": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "invalid"))}


def _limit_detail(error: dict[str, Any]) -> dict[str, Any]:
    """Say which limit, in the request's own terms (texts, documents, characters)."""
    detail, ctx = _detail(error), error.get("ctx") or {}
    field = next((p for p in reversed(error.get("loc", ())) if isinstance(p, str)), "")
    if error["type"] == "too_long" and "max_length" in ctx:
        detail["message"] = (f"{ctx.get('actual_length', 'too many')} {field} in one request; "
                             f"the limit is {ctx['max_length']}")
    elif error["type"] == "string_too_long" and "max_length" in ctx:
        detail["message"] = (f"a text longer than {ctx['max_length']} characters; the limit is "
                             f"{ctx['max_length']} characters per request")
    return detail


def validation_response(errors: list[dict[str, Any]]) -> JSONResponse:
    """422 for a malformed request, 413 when the only trouble is its size."""
    details = [_detail(e) for e in errors[:MAX_DETAILS]]
    if len(errors) > MAX_DETAILS:
        details.append({"loc": "body", "message": f"... and {len(errors) - MAX_DETAILS} more",
                        "type": "more"})
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(422, "the body is not valid JSON", "invalid_json", details)
    limits = [_limit_detail(e) for e in errors if is_limit_error(e)]
    if limits:
        return error_response(413, limits[0]["message"], "too_large", limits[:MAX_DETAILS])
    first = details[0] if details else {"loc": "body", "message": "invalid request"}
    return error_response(422, f"{first['loc']}: {first['message']}", "invalid_request", details)


def install_handlers(app: FastAPI) -> None:
    """Map every exception a request can raise to the JSON error shape."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:
            # FastAPI's answer to a body json.loads could not take (nested thousands
            # deep, not UTF-8, a 5000-digit number): the client's, and said plainly.
            message = ("the body could not be parsed as JSON (not UTF-8, nested too deeply, "
                       "or a number too long)")
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(QueueFull)
    async def _busy(request: Request, exc: QueueFull) -> JSONResponse:
        return error_response(429, str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(NotRunning)
    async def _not_ready(request: Request, exc: NotRunning) -> JSONResponse:
        return error_response(503, str(exc), headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # Only a bug reaches here; its traceback goes to the log, not to the client.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal error; the server log has the details")
