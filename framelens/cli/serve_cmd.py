"""`framelens serve`: options derive from `ServeSettings`; the command only forwards them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.serving.settings import TOKEN_ENV, ServeSettings

Opt = typer.Option
# Help texts quote the one place defaults live, so they can never disagree with it.
D = ServeSettings(token=None)


def serve(
    model: Annotated[Path, typer.Argument(metavar="MODEL_OR_BUNDLE",
                                          help="Trained model directory or bundle.")],
    host: Annotated[str, Opt(help="Address to listen on; anything but loopback exposes the "
                             f"model to the network (set {TOKEN_ENV}).")] = D.host,
    port: Annotated[int, Opt(help="TCP port.")] = D.port,
    max_batch_size: Annotated[int, Opt(help="Merge waiting requests into model calls of up to "
                                       "this many texts (1 = no merging).")] = D.max_batch_size,
    max_wait_ms: Annotated[float, Opt(help="How long a request may wait for others to share "
                                      "its model call.")] = D.max_wait_ms,
    max_texts: Annotated[int, Opt(help="Most texts (or documents) in one request; more "
                                  "get 413.")] = D.max_texts,
    max_chars: Annotated[int, Opt(help="Most characters in one request; more get 413.")
                         ] = D.max_chars,
    queue_size: Annotated[int, Opt(help="Requests that may wait for the model; more get 429 "
                                   "with Retry-After.")] = D.queue_size,
    cors_origin: Annotated[list[str] | None, Opt(
        "--cors-origin", help="Allow browser pages from this origin to call the API "
        "(repeatable; default: none).")] = None,
) -> None:
    """Serve a model over HTTP: a JSON API, a page at / and the API reference at /docs.

    Set FRAMELENS_API_TOKEN to require 'Authorization: Bearer <token>' on /v1 routes.
    """
    from framelens.serving.settings import require_serve_extra

    settings = ServeSettings(host=host, port=port, max_batch_size=max_batch_size,
                             max_wait_ms=max_wait_ms, max_texts=max_texts, max_chars=max_chars,
                             queue_size=queue_size, cors_origins=tuple(cors_origin or ()))
    require_serve_extra()
    from framelens.serving.server import serve as run_server

    run_server(model, settings)
