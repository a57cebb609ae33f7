"""The HTTP service: `create_app(model, settings)` builds it, `serve(...)` runs it.

One FastAPI app serves the JSON API (/v1/classify, /v1/analyze, /v1/info), the probes
(/healthz, /readyz), the page (/) and an offline API reference (/docs, from
/openapi.json). The model loads once, in the lifespan, and all scoring goes through the
micro-batcher of `InferenceService`, so the event loop never runs the model. Everything a
client can get wrong is a 4xx with a JSON error (`http_errors`); the guards that run before
a route (token, content type, body size, access log) are in `middleware`.

Nothing a client sends is ever used as a path: the model path comes from the command
line, and the page's files are a fixed list read once at start-up.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name request models built inside create_app().

import contextlib
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from framelens.data.errors import EnvironmentProblem

try:
    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse, Response
except ImportError:  # the optional extra: one line of advice, not a traceback
    raise EnvironmentProblem("the server needs FastAPI and uvicorn, which are not installed: "
                             "pip install 'framelens[serve]'") from None

from framelens.serving.batcher import NotRunning
from framelens.serving.classifier import Classifier
from framelens.serving.http_errors import install_handlers
from framelens.serving.middleware import AccessLog, BearerAuth, BodyGuard
from framelens.serving.schemas import request_models
from framelens.serving.service import InferenceService
from framelens.serving.settings import ServeSettings

log = logging.getLogger("framelens.serve")
JSON_PATHS = ("/v1/classify", "/v1/analyze")
# The page's files, served from memory under fixed names: no client-chosen path is looked up.
PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"),
              "/docs": ("docs.html", "text/html; charset=utf-8"),
              "/static/app.css": ("app.css", "text/css; charset=utf-8"),
              "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
              "/static/docs.js": ("docs.js", "text/javascript; charset=utf-8")}
# Everything the page needs comes from this server; nothing may load from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
ERRORS = {
    401: {"description": "Missing or wrong bearer token (when FRAMELENS_API_TOKEN is set)."},
    413: {"description": "Too many texts, characters or bytes."},
    415: {"description": "The body is not sent as application/json."},
    422: {"description": "The body is not valid JSON or does not match the schema."},
    429: {"description": "The queue is full; retry after Retry-After seconds."},
    503: {"description": "The model is not loaded yet, or the server is stopping."},
}


def create_app(model: "str | os.PathLike[str] | Classifier",
               settings: ServeSettings | None = None, *,
               model_path: "str | os.PathLike[str] | None" = None) -> FastAPI:
    """The app for one model: a model directory or bundle (loaded in the lifespan), or a
    loaded Classifier (then `model_path`, if given, is where /v1/info finds its metrics)."""
    from framelens import __version__

    settings = settings or ServeSettings()
    load_path = Path(model) if isinstance(model, str | os.PathLike) else None
    model_path = load_path or (Path(model_path) if model_path is not None else None)
    ClassifyRequest, AnalyzeRequest = request_models(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        clf = (await anyio.to_thread.run_sync(Classifier.load, load_path)
               if load_path is not None else model)
        service = InferenceService(clf, settings, model_path)
        await service.start()
        app.state.service = service
        log.info("model ready: tasks %s", ", ".join(clf.tasks))
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(title="framelens", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  description="Frame and stance of news sentences and articles. All /v1 routes "
                  "take and return JSON; errors are {\"error\": {\"code\", \"message\"}}.")
    app.state.service = None
    app.state.settings = settings
    install_handlers(app)

    def service_of(request: Request) -> InferenceService:
        service = request.app.state.service
        if service is None or not service.ready:
            raise NotRunning("the model is not ready")
        return service

    @app.post("/v1/classify", tags=["api"], responses=ERRORS,
              summary="Label sentences (no splitting)")
    async def classify(body: ClassifyRequest, request: Request) -> JSONResponse:
        """One result per text, in order: per task the label, its confidence and every
        class probability."""
        request.state.n_texts = len(body.texts)
        results = await service_of(request).classify(body.texts)
        return JSONResponse({"results": [r.to_dict() for r in results]})

    @app.post("/v1/analyze", tags=["api"], responses=ERRORS,
              summary="Split articles into sentences and label each")
    async def analyze(body: AnalyzeRequest, request: Request) -> JSONResponse:
        """`{"text": ...}` gives one analysis (sentences with character offsets, and a
        summary); `{"documents": [...]}` gives `{"documents": [...]}`, one per input."""
        docs = ([(None, body.text)] if body.documents is None
                else [(d.doc_id, d.text) for d in body.documents])
        request.state.n_texts = len(docs)
        analyses = await service_of(request).analyze(docs)
        if body.documents is None:
            return JSONResponse(analyses[0].to_dict())
        return JSONResponse({"documents": [a.to_dict() for a in analyses]})

    @app.get("/v1/info", tags=["api"], responses={401: ERRORS[401], 503: ERRORS[503]},
             summary="Tasks, labels, model metadata, version and limits")
    async def info(request: Request) -> JSONResponse:
        service = service_of(request)
        return JSONResponse({"framelens_version": __version__, **service.info(),
                             "limits": settings.limits(), "auth_required": bool(settings.token),
                             "batching": service.batcher.stats.to_dict()})

    @app.get("/healthz", tags=["probes"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["probes"], responses={503: ERRORS[503]},
             summary="The model is loaded and taking requests")
    async def readyz(request: Request) -> dict[str, str]:
        service_of(request)
        return {"status": "ready"}

    _add_page(app)
    _add_middleware(app, settings)
    return app


def _add_page(app: FastAPI) -> None:
    static = resources.files(__package__).joinpath("static")
    for route, (name, media_type) in PAGE_FILES.items():
        app.add_api_route(route, _page(static.joinpath(name).read_bytes(), media_type),
                          methods=["GET"], include_in_schema=False)


def _page(content: bytes, media_type: str):
    """A route answering one fixed file (a closure: FastAPI would read arguments as
    query parameters)."""

    async def page() -> Response:
        return Response(content, media_type=media_type, headers=PAGE_HEADERS)

    return page


def _add_middleware(app: FastAPI, settings: ServeSettings) -> None:
    # add_middleware wraps: the last one added runs first.
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, json_paths=JSON_PATHS)
    if settings.token:
        app.add_middleware(BearerAuth, token=settings.token)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(AccessLog)


# -- running it ---------------------------------------------------------------------------------
def uvicorn_config(app: FastAPI, settings: ServeSettings, **overrides: Any) -> "uvicorn.Config":
    """Our uvicorn settings: its own access log off (ours is JSON), no Server header, and a
    bounded wait for in-flight requests on shutdown."""
    values: dict[str, Any] = dict(host=settings.host, port=settings.port, access_log=False,
                                  server_header=False, log_config=None, lifespan="on",
                                  timeout_graceful_shutdown=settings.graceful_timeout_s)
    values.update(overrides)
    return uvicorn.Config(app, **values)


def setup_logging() -> None:
    """Access lines as bare JSON on stdout; server messages as plain lines on stderr."""
    access = logging.getLogger("framelens.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    for name in ("framelens.serve", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


def serve(model: "str | os.PathLike[str]", settings: ServeSettings) -> None:
    """`framelens serve`: load the model, then answer until Ctrl+C or SIGTERM."""
    # Loading before uvicorn starts makes a bad path a one-line error, not a lifespan trace.
    clf = Classifier.load(model)
    setup_logging()
    if not settings.loopback and not settings.token:
        log.warning("listening on %s without FRAMELENS_API_TOKEN: anyone who can reach this "
                    "address can use the model", settings.host)
    app = create_app(clf, settings, model_path=model)
    server = uvicorn.Server(uvicorn_config(app, settings))
    log.info("serving %s on http://%s:%d (Ctrl+C stops after in-flight requests)",
             model, settings.host, settings.port)
    server.run()
    if not server.started:
        raise EnvironmentProblem(f"the server could not start on {settings.host}:{settings.port} "
                                 "(is the port in use?)")


@contextlib.contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1",
                    timeout_s: float = 120.0) -> Iterator[str]:
    """Run `app` under uvicorn in a background thread on a free port; yields its base URL.

    For tests and the load bench: the real server, sockets and all, stopped gracefully
    (in-flight requests finish) when the block ends.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, app.state.settings, host=host, port=port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="framelens-uvicorn")
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start (see the log above)")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
        sock.close()


__all__ = ["create_app", "serve", "serve_in_thread", "uvicorn_config"]
