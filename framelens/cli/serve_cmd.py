"""`framelens serve`: options forward to `ServeSettings`, which holds every default.

Options left out stay None and `ServeSettings` fills them in, so a default lives in one
place. The settings are imported inside the command, not here: importing
`framelens.serving` loads torch, and `framelens --help` must stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

Opt = typer.Option
TOKEN_ENV = "FRAMELENS_API_TOKEN"


def serve(
    model: Annotated[Path, typer.Argument(metavar="MODEL_OR_BUNDLE",
                                          help="Trained model directory or bundle.")],
    host: Annotated[str | None, Opt(help="Address to listen on. Default: 127.0.0.1 (this "
                                    "machine only); anything else exposes the model to the "
                                    f"network, so set {TOKEN_ENV}.")] = None,
    port: Annotated[int | None, Opt(help="TCP port. Default: 8000.")] = None,
    max_batch_size: Annotated[int | None, Opt(help="Merge waiting requests into model calls of "
                                              "up to this many texts (1 = no merging).")] = None,
    max_wait_ms: Annotated[float | None, Opt(help="How long a request may wait for others to "
                                             "share its model call.")] = None,
    max_texts: Annotated[int | None, Opt(help="Most texts (or documents) in one request; more "
                                         "get 413.")] = None,
    max_chars: Annotated[int | None, Opt(help="Most characters in one request; more get 413.")
                         ] = None,
    queue_size: Annotated[int | None, Opt(help="Requests that may wait for the model; more get "
                                          "429 with Retry-After.")] = None,
    cors_origin: Annotated[list[str] | None, Opt(
        "--cors-origin", help="Allow browser pages from this origin to call the API "
        "(repeatable; default: none).")] = None,
) -> None:
    """Serve a model over HTTP: a JSON API, a page at / and the API reference at /docs.

    Set FRAMELENS_API_TOKEN to require 'Authorization: Bearer <token>' on the /v1 routes.
    GET /v1/info shows the limits in force.
    """
    from framelens.serving.settings import ServeSettings, require_serve_extra

    given: dict[str, Any] = dict(host=host, port=port, max_batch_size=max_batch_size,
                                 max_wait_ms=max_wait_ms, max_texts=max_texts,
                                 max_chars=max_chars, queue_size=queue_size)
    settings = ServeSettings(**{k: v for k, v in given.items() if v is not None},
                             cors_origins=tuple(cors_origin or ()))
    require_serve_extra()
    from framelens.serving.server import serve as run_server

    run_server(model, settings)
