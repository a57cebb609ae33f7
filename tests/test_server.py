"""The HTTP service on tiny models: every endpoint, the limits (413/422/429), the token,
a catalogue of junk bodies that must each get a 4xx with a JSON error (never a 5xx),
parity with `Classifier.analyze`, and micro-batching merging concurrent requests."""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402
from framelens.data.errors import ConfigError, EnvironmentProblem, ModelError  # noqa: E402
from framelens.serving import Classifier  # noqa: E402
from framelens.serving.results import row_columns  # noqa: E402
from framelens.serving.server import create_app, serve_in_thread  # noqa: E402
from framelens.serving.settings import ServeSettings  # noqa: E402

ARTICLE = (
    "Aid blocked in the north\n\n"
    "KARDAN (wire) - Shelling killed eleven residents of the Tamar district, medics said. "
    "The ministry said its   aircraft destroyed an extremist depot.\n"
    "Talks are due to resume in Geneva next week.\n"
)
SENTENCES = ["Aid convoys reached the camp.", "Troops destroyed a militant depot.",
             "Talks resume on Monday."]
TOKEN = "s3cret-token"


class Probe(Classifier):
    """The tiny model, counting the batches it is asked for and optionally slow."""

    def __init__(self, base: Classifier, delay_s: float = 0.0):
        super().__init__(base.predictor, base.batch_size)
        self.delay_s = delay_s
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def predict(self, texts, batch_size=None):
        if not isinstance(texts, str):
            with self.lock:
                self.calls.append(len(texts))
            time.sleep(self.delay_s)
        return super().predict(texts, batch_size)


def settings(**overrides) -> ServeSettings:
    values = dict(token=None, max_texts=8, max_chars=2000, max_wait_ms=0.0)
    values.update(overrides)
    return ServeSettings(**values)


@pytest.fixture(scope="module")
def clf(trained_bundle) -> Classifier:
    return Classifier.load(trained_bundle)


@pytest.fixture(scope="module")
def client(trained_bundle):
    with TestClient(create_app(trained_bundle, settings()), raise_server_exceptions=True) as c:
        yield c


def assert_error(response: httpx.Response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    if status is not None:
        assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    return error


def concurrently(n: int, call) -> list:
    """Run `call(i)` in n threads released together; results in order."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        out[i] = call(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


# -- endpoints ---------------------------------------------------------------------------------
def test_probes(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_info_lists_tasks_labels_columns_metadata_and_limits(client, clf):
    from framelens import __version__

    info = client.get("/v1/info").json()
    assert info["tasks"] == ["frame", "stance"]
    assert info["labels"] == {t: list(v) for t, v in clf.label_sets.items()}
    assert info["row_columns"] == row_columns(clf.label_sets)
    assert info["framelens_version"] == __version__
    assert info["limits"]["max_texts"] == 8 and info["limits"]["max_chars"] == 2000
    assert info["auth_required"] is False
    frame = info["models"]["frame"]
    assert frame["labels"] == list(clf.labels("frame")) and frame["max_length"] == 32
    assert "metrics" in frame  # read through model_dir from the bundle's frame directory


def test_classify_matches_the_module(client, clf):
    response = client.post("/v1/classify", json={"texts": SENTENCES})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    expected = [r.to_dict() for r in clf.predict(SENTENCES)]
    assert [r["text"] for r in results] == SENTENCES
    for got, want in zip(results, expected, strict=True):
        for task in ("frame", "stance"):
            assert got[task]["label"] == want[task]["label"]
            assert got[task]["probabilities"] == pytest.approx(want[task]["probabilities"], abs=2e-4)


def test_classify_empty_list_is_empty(client):
    assert client.post("/v1/classify", json={"texts": []}).json() == {"results": []}


# A sentence longer than the tiny models read (32 tokens) and a non-Latin one: their notes
# must come through the server exactly as the module writes them.
LONG = " ".join(["Aid convoys waited at the checkpoint for many days"] * 6) + "."
CYRILLIC = "Гуманитарная помощь не дошла до города."


@pytest.mark.parametrize("article", [ARTICLE, ARTICLE + LONG, CYRILLIC + " " + CYRILLIC, ""])
def test_analyze_equals_classifier_analyze(client, clf, article):
    got = client.post("/v1/analyze", json={"text": article}).json()
    want = clf.analyze(article).to_dict()
    assert got["id"] is None and got["notes"] == want["notes"]
    assert len(got["sentences"]) == len(want["sentences"])
    for g, w in zip(got["sentences"], want["sentences"], strict=True):
        assert set(g) == set(w) and g.get("notes") == w.get("notes")
        assert (g["index"], g["start"], g["end"], g["text"]) == (w["index"], w["start"], w["end"], w["text"])
        for task in ("frame", "stance"):
            assert g[task]["label"] == w[task]["label"]
            assert g[task]["probabilities"] == pytest.approx(w[task]["probabilities"], abs=2e-4)
    assert got["summary"]["sentences"] == want["summary"]["sentences"]
    assert got["summary"]["shares"] == want["summary"]["shares"]
    assert got["summary"]["dominant"] == want["summary"]["dominant"]


def test_analyze_documents_echo_ids(client, clf):
    body = {"documents": [{"id": "a", "text": ARTICLE}, {"id": 7, "text": "Troops advanced."},
                          {"text": ""}]}
    docs = client.post("/v1/analyze", json=body).json()["documents"]
    assert [d["id"] for d in docs] == ["a", "7", None]
    assert len(docs[0]["sentences"]) == len(clf.analyze(ARTICLE).sentences)
    assert docs[2]["sentences"] == [] and docs[2]["summary"]["sentences"] == 0


def test_page_and_docs_are_served_offline(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert 'id="article"' in html and 'id="analyze"' in html and "/static/app.js" in html
    assert "http://" not in html and "https://" not in html  # no CDN, no external font
    for path in ("/static/app.js", "/static/app.css", "/static/docs.js"):
        response = client.get(path)
        assert response.status_code == 200 and response.content
        assert "https://" not in response.text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text and "cdn" not in docs.text.lower()
    spec = client.get("/openapi.json").json()
    assert {"/v1/classify", "/v1/analyze", "/v1/info", "/healthz", "/readyz"} <= set(spec["paths"])
    schemas = json.dumps(spec["components"]["schemas"])
    assert '"maxItems": 8' in schemas  # the limits are part of the published schema


@pytest.mark.parametrize("path", ["/static/../serving/server.py", "/static/app.py",
                                  "/static/%2e%2e/settings.py", "/etc/passwd", "/static/"])
def test_no_client_chosen_file_is_served(client, path):
    assert_error(client.get(path), 404)


# -- limits ------------------------------------------------------------------------------------
def test_too_many_texts_is_413(client):
    error = assert_error(client.post("/v1/classify", json={"texts": ["a"] * 9}), 413)
    assert error["code"] == "too_large"
    assert_error(client.post("/v1/analyze", json={"documents": [{"text": "a"}] * 9}), 413)


def test_too_many_characters_is_413(client):
    assert_error(client.post("/v1/classify", json={"texts": ["a" * 1500, "b" * 600]}), 413)
    assert_error(client.post("/v1/analyze", json={"text": "x" * 2001}), 413)
    assert_error(client.post("/v1/analyze", json={"documents": [{"text": "x" * 1200}] * 2}), 413)


def test_too_many_bytes_is_413_before_parsing(client):
    big = b'{"texts": ["' + b"a" * (2 << 20) + b'"]}'
    assert_error(client.post("/v1/classify", content=big,
                             headers={"content-type": "application/json"}), 413)

    def chunks():  # no Content-Length: the cap holds while reading
        for _ in range(40):
            yield b" " * 65536

    assert_error(client.post("/v1/classify", content=chunks(),
                             headers={"content-type": "application/json"}), 413)


def test_bad_schema_is_422_naming_the_field(client):
    error = assert_error(client.post("/v1/classify", json={"texts": ["ok", 3]}), 422)
    assert error["details"][0]["loc"] == "body.texts.1"
    assert "3" not in json.dumps(error["details"][0]["message"])  # the input is not echoed
    assert_error(client.post("/v1/analyze", json={"text": "a", "documents": []}), 422)
    assert_error(client.post("/v1/analyze", json={}), 422)


def test_queue_full_is_429_with_retry_after(trained_bundle, clf):
    probe = Probe(clf, delay_s=0.6)
    app = create_app(probe, settings(queue_size=1, max_batch_size=1))
    with TestClient(app) as c:
        responses = concurrently(5, lambda i: c.post("/v1/classify", json={"texts": [f"s {i}"]}))
    codes = sorted(r.status_code for r in responses)
    assert 429 in codes and set(codes) <= {200, 429} and codes.count(200) >= 1, codes
    for r in responses:
        if r.status_code == 429:
            assert assert_error(r)["code"] == "busy"
            assert int(r.headers["retry-after"]) >= 1


# -- auth --------------------------------------------------------------------------------------
def test_bearer_token(trained_bundle):
    with TestClient(create_app(trained_bundle, settings(token=TOKEN))) as c:
        body = {"texts": ["Aid arrived."]}
        assert_error(c.post("/v1/classify", json=body), 401)
        wrong = c.post("/v1/classify", json=body, headers={"Authorization": "Bearer nope"})
        assert assert_error(wrong, 401)["code"] == "unauthorized"
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert_error(c.post("/v1/classify", json=body, headers={"Authorization": TOKEN}), 401)
        assert_error(c.get("/v1/info", headers={"Authorization": "Basic " + TOKEN}), 401)
        # Unauthenticated junk is refused before its body is read.
        assert_error(c.post("/v1/classify", content=b"{{{", headers={"content-type": "text/plain"}), 401)
        ok = c.post("/v1/classify", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and len(ok.json()["results"]) == 1
        assert c.get("/v1/info", headers={"Authorization": f"bearer {TOKEN}"}).json()["auth_required"]
        # Probes and the page stay open: the page asks for the token itself.
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200
        assert c.get("/").status_code == 200


def test_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("FRAMELENS_API_TOKEN", "  from-env ")
    assert ServeSettings().token == "from-env"
    monkeypatch.setenv("FRAMELENS_API_TOKEN", "")
    assert ServeSettings().token is None
    assert "from-env" not in repr(ServeSettings(token="from-env"))


# -- junk never makes a 5xx ----------------------------------------------------------------------
JSON = "application/json"
JUNK = {
    "not json": (b"texts=hello", JSON),
    "truncated json": (b'{"texts": ["a"', JSON),
    "empty body": (b"", JSON),
    "json null": (b"null", JSON),
    "json string": (b'"Aid arrived."', JSON),
    "json number": (b"42", JSON),
    "top-level array": (b'["Aid arrived."]', JSON),
    "texts is a string": (b'{"texts": "Aid arrived."}', JSON),
    "texts is null": (b'{"texts": null}', JSON),
    "null element": (b'{"texts": [null]}', JSON),
    "number element": (b'{"texts": [123]}', JSON),
    "bool element": (b'{"texts": [true]}', JSON),
    "object element": (b'{"texts": [{"text": "a"}]}', JSON),
    "nested arrays": (b'{"texts": [["a", ["b"]]]}', JSON),
    "huge array": (b'{"texts": [' + b",".join([b"1"] * 300_000) + b"]}", JSON),
    "huge array of strings": (b'{"texts": [' + b",".join([b'"a"'] * 100_000) + b"]}", JSON),
    "deeply nested": (b'{"texts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON),
    "deeply nested objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON),
    "unknown field": (b'{"texts": ["a"], "path": "/etc/passwd"}', JSON),
    "lone surrogate": (b'{"texts": ["\\ud800"]}', JSON),
    "invalid utf-8": (b'{"texts": ["\xff\xfe"]}', JSON),
    "nan": (b'{"texts": [NaN]}', JSON),
    "5000-digit number": (b'{"texts": [' + b"9" * 5000 + b"]}", JSON),
    "wrong content type": (b'{"texts": ["a"]}', "text/plain"),
    "form content type": (b"texts=a", "application/x-www-form-urlencoded"),
    "multipart": (b"--x\r\n\r\na\r\n--x--", "multipart/form-data; boundary=x"),
    "no content type": (b'{"texts": ["a"]}', None),
    "garbage content type": (b'{"texts": ["a"]}', "\x01;;==json"),
    "binary": (bytes(range(256)) * 10, JSON),
}
ANALYZE_JUNK = {
    "text is a list": b'{"text": ["a"]}',
    "text is null and no documents": b'{"text": null}',
    "documents is an object": b'{"documents": {"id": 1, "text": "a"}}',
    "document without text": b'{"documents": [{"id": 1}]}',
    "document id is an object": b'{"documents": [{"id": {"a": 1}, "text": "a"}]}',
    "document id too long": b'{"documents": [{"id": "' + b"x" * 500 + b'", "text": "a"}]}',
    "document id huge number": b'{"documents": [{"id": ' + b"9" * 40 + b', "text": "a"}]}',
    "documents nested": b'{"documents": [[{"text": "a"}]]}',
    "both": b'{"text": "a", "documents": [{"text": "b"}]}',
}


@pytest.mark.parametrize("name", list(JUNK))
def test_junk_body_is_a_json_4xx(client, name):
    content, content_type = JUNK[name]
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/v1/classify", "/v1/analyze"):
        response = client.post(path, content=content, headers=headers)
        assert_error(response)


@pytest.mark.parametrize("name", list(ANALYZE_JUNK))
def test_analyze_junk_is_a_json_4xx(client, name):
    assert_error(client.post("/v1/analyze", content=ANALYZE_JUNK[name],
                             headers={"content-type": JSON}))


@pytest.mark.parametrize("method,path", [("GET", "/v1/classify"), ("PUT", "/v1/analyze"),
                                         ("DELETE", "/v1/info"), ("POST", "/healthz"),
                                         ("GET", "/v2/classify"), ("POST", "/")])
def test_wrong_method_or_path_is_a_json_4xx(client, method, path):
    assert_error(client.request(method, path))


def test_the_server_still_answers_after_the_junk(client):
    assert client.post("/v1/classify", json={"texts": ["Aid arrived."]}).status_code == 200


# -- micro-batching, logs, CORS, shutdown --------------------------------------------------------
def test_concurrent_requests_share_model_calls(clf):
    probe = Probe(clf, delay_s=0.05)
    app = create_app(probe, settings(max_wait_ms=300, max_batch_size=64))
    with TestClient(app) as c:
        responses = concurrently(8, lambda i: c.post("/v1/classify", json={"texts": [SENTENCES[i % 3]]}))
        stats = c.get("/v1/info").json()["batching"]
    assert [r.status_code for r in responses] == [200] * 8
    assert [r.json()["results"][0]["text"] for r in responses] == [SENTENCES[i % 3] for i in range(8)]
    assert sum(probe.calls) == 8 and len(probe.calls) < 8, probe.calls
    assert stats["batches"] == len(probe.calls) and stats["texts"] == 8


def test_batching_off_runs_each_request_alone(clf):
    probe = Probe(clf)
    with TestClient(create_app(probe, settings(max_batch_size=1, max_wait_ms=300))) as c:
        responses = concurrently(6, lambda i: c.post("/v1/classify", json={"texts": ["Aid arrived."]}))
    assert [r.status_code for r in responses] == [200] * 6
    assert probe.calls == [1] * 6


def test_classify_and_analyze_share_a_batch(clf):
    probe = Probe(clf, delay_s=0.05)
    with TestClient(create_app(probe, settings(max_wait_ms=300, max_batch_size=64))) as c:
        def call(i):
            if i % 2:
                return c.post("/v1/classify", json={"texts": SENTENCES})
            return c.post("/v1/analyze", json={"text": ARTICLE})

        responses = concurrently(4, call)
    assert [r.status_code for r in responses] == [200] * 4
    assert len(probe.calls) < 4, probe.calls


def test_access_log_is_one_json_line_per_request(client, caplog, monkeypatch):
    access = logging.getLogger("framelens.access")
    level = access.level
    monkeypatch.setattr(access, "propagate", False)  # as `serve` sets it: one copy per line
    access.setLevel(logging.INFO)  # setLevel, not the attribute: it clears the level cache
    access.addHandler(caplog.handler)
    try:
        client.post("/v1/classify", json={"texts": SENTENCES})
        client.post("/v1/classify", json={"texts": [1]})
        client.get("/healthz")
    finally:
        access.removeHandler(caplog.handler)
        access.setLevel(level)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "framelens.access"]
    assert [(x["method"], x["path"], x["status"], x["n_texts"]) for x in lines] == [
        ("POST", "/v1/classify", 200, 3), ("POST", "/v1/classify", 422, None),
        ("GET", "/healthz", 200, None)]
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 and x["ts"] for x in lines)
    assert "Aid convoys" not in caplog.text  # texts are never logged


def test_cors_is_off_unless_configured(client, clf):
    origin = {"Origin": "https://newsroom.example"}
    assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    app = create_app(clf, settings(cors_origins=("https://newsroom.example",), token=TOKEN))
    with TestClient(app) as c:
        pre = c.options("/v1/classify", headers=origin | {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://newsroom.example"
        denied = c.post("/v1/classify", json={"texts": ["a"]}, headers=origin)
        assert denied.status_code == 401
        assert denied.headers["access-control-allow-origin"] == "https://newsroom.example"


def test_graceful_shutdown_finishes_in_flight_requests(clf):
    probe = Probe(clf, delay_s=1.0)
    app = create_app(probe, settings())
    result: dict = {}
    with serve_in_thread(app) as url:
        def call() -> None:
            result["response"] = httpx.post(f"{url}/v1/classify", json={"texts": ["Aid arrived."]},
                                            timeout=30)

        thread = threading.Thread(target=call)
        thread.start()
        deadline = time.monotonic() + 10
        while not probe.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert probe.calls, "the request never reached the model"
    # Leaving the block asked the server to stop while the request was still in the model.
    thread.join(30)
    response = result["response"]
    assert response.status_code == 200 and response.json()["results"][0]["text"] == "Aid arrived."


def test_a_bad_model_path_fails_at_start_up(tmp_path):
    with pytest.raises(ModelError), TestClient(create_app(tmp_path / "missing", settings())):
        pass


# -- settings and the command ------------------------------------------------------------------
@pytest.mark.parametrize("overrides", [{"port": -1}, {"port": "80"}, {"max_batch_size": 0},
                                       {"max_wait_ms": -1}, {"max_texts": True},
                                       {"cors_origins": ("newsroom.example",)}, {"host": " "},
                                       {"token": "t\u00e9"}])
def test_settings_are_checked(overrides):
    with pytest.raises(ConfigError):
        ServeSettings(**overrides)


def test_serve_command_is_registered_with_its_options():
    from typer.testing import CliRunner

    from framelens.cli.main import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--max-batch-size", "--max-wait-ms", "--max-texts",
                   "--max-chars", "--queue-size", "--cors-origin"):
        assert option in result.output
    assert "127.0.0.1" in result.output


def test_serve_command_errors_are_one_line(tmp_path):
    from typer.testing import CliRunner

    from framelens.cli.main import app

    result = CliRunner().invoke(app, ["serve", str(tmp_path / "missing"), "--port", "1"])
    assert isinstance(result.exception, ModelError)
    result = CliRunner().invoke(app, ["serve", str(tmp_path), "--max-texts", "0"])
    assert isinstance(result.exception, ConfigError)


def test_missing_extra_says_what_to_install(monkeypatch, tmp_path):
    import sys

    from typer.testing import CliRunner

    from framelens.cli.main import app

    monkeypatch.setitem(sys.modules, "fastapi", None)
    monkeypatch.delitem(sys.modules, "framelens.serving.server", raising=False)
    result = CliRunner().invoke(app, ["serve", str(tmp_path)])
    assert isinstance(result.exception, EnvironmentProblem)
    assert "pip install 'framelens[serve]'" in str(result.exception)
    assert "\n" not in str(result.exception)


def test_a_body_that_never_arrives_times_out():
    import asyncio

    from framelens.serving.middleware import BodyGuard

    sent: list[dict] = []

    async def app(scope, receive, send):  # never reached
        raise AssertionError("the route ran without a body")

    async def receive():
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    guard = BodyGuard(app, max_bytes=1000, json_paths=["/v1/classify"], read_timeout_s=0.05)
    scope = {"type": "http", "method": "POST", "path": "/v1/classify",
             "headers": [(b"content-type", b"application/json")]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["error"]["code"] == "timeout"
