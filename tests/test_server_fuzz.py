"""The API under generated input: no body a client sends gets a 5xx, and a client that hangs
up mid-request does not hurt the server."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlparse

import httpx
import pytest

pytest.importorskip("fastapi")
hypothesis = pytest.importorskip("hypothesis")

from fastapi.testclient import TestClient  # noqa: E402
from framelens.serving import Classifier  # noqa: E402
from framelens.serving.server import create_app, serve_in_thread  # noqa: E402
from framelens.serving.settings import ServeSettings  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Any JSON value, biased toward the shapes the API expects so that fuzzing reaches the
# deeper checks (texts, documents, ids) and not only the top-level type test.
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
    max_size=40)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_bodies = (
    _json
    | st.fixed_dictionaries({"texts": _json})
    | st.fixed_dictionaries({"texts": st.lists(_scalars, max_size=5)})
    | st.fixed_dictionaries({"text": _json})
    | st.fixed_dictionaries({"documents": st.lists(
        st.fixed_dictionaries({"id": _scalars, "text": _scalars}), max_size=3)})
)


@pytest.fixture(scope="module")
def client(trained_bundle):
    app = create_app(Classifier.load(trained_bundle), ServeSettings(max_wait_ms=1))
    with TestClient(app) as c:
        yield c


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies, path=st.sampled_from(["/v1/classify", "/v1/analyze"]))
def test_no_generated_body_gets_a_server_error(client, body, path):
    response = client.post(path, content=json.dumps(body), headers={
        "content-type": "application/json"})
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert "error" in response.json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_no_raw_bytes_get_a_server_error(client, raw):
    response = client.post("/v1/classify", content=raw, headers={
        "content-type": "application/json"})
    assert response.status_code < 500


def test_a_client_that_hangs_up_mid_request_does_not_hurt_the_server(trained_bundle):
    app = create_app(Classifier.load(trained_bundle), ServeSettings())
    with serve_in_thread(app) as url:
        host, port = urlparse(url).hostname, urlparse(url).port
        for _ in range(5):  # headers promise a body that never comes, then the socket closes
            with socket.create_connection((host, port), timeout=5) as sock:
                sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                             b'{"texts": ["Aid arr')
            time.sleep(0.05)
        ok = httpx.post(f"{url}/v1/classify", json={"texts": ["Aid arrived."]}, timeout=30)
        assert ok.status_code == 200
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
