"""The page, end to end: the real server (uvicorn on a free loopback port) on the tiny
bundle, driven in headless Chromium. Paste an article, press Analyze, and the highlighted
sentences and their labels must be exactly /v1/analyze's; the tooltip works by mouse and by
keyboard; the CSV download is byte for byte what `framelens classify --out x.csv` writes;
nothing on the page breaks the Content-Security-Policy; it fits a phone's width.

Playwright drives Debian's `chromium` (its own browser download needs the network); the
test skips, saying why, only when no Chromium binary exists.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

from framelens.serving.server import create_app, serve_in_thread  # noqa: E402
from framelens.serving.settings import ServeSettings  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run"]
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "mixed_offensive.txt"
TOKEN = "page-token-123"


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS, timeout=120_000)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(trained_bundle):
    with serve_in_thread(create_app(trained_bundle, ServeSettings(token=None))) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def analyze_in_page(page, url: str, text: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("#model-info:has-text('Model:')")
    page.fill("#article", text)
    page.click("#analyze")
    page.wait_for_selector(".article-view .sent")
    page.wait_for_selector("#status:has-text('sentences analyzed')")


def expected_csv(analysis: dict, columns: list[str], tasks: list[str]) -> str:
    """What data.writers.write_rows writes for these sentences (csv.DictWriter)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for s in analysis["sentences"]:
        row = {"doc_id": analysis["id"], "sentence_index": s["index"], "start": s["start"],
               "end": s["end"], "text": s["text"]}
        for task in tasks:
            row[task] = s[task]["label"]
            row[f"{task}_confidence"] = s[task]["confidence"]
            row.update({f"{task}_p_{k}": v for k, v in s[task]["probabilities"].items()})
        writer.writerow(row)
    return buffer.getvalue()


def test_page_highlights_every_sentence_like_the_api(page, server, tmp_path):
    article = SAMPLE.read_text(encoding="utf-8")
    api = httpx.post(f"{server}/v1/analyze", json={"text": article}, timeout=60).json()
    info = httpx.get(f"{server}/v1/info", timeout=60).json()
    analyze_in_page(page, server, article)

    spans = page.locator(".article-view .sent")
    assert spans.count() == len(api["sentences"]) > 20
    shown = page.eval_on_selector_all(".article-view .sent", """els => els.map(e => {
        const words = e.cloneNode(true);
        words.querySelectorAll('.mark, .visually-hidden').forEach(x => x.remove());
        return {frame: e.dataset.frame, stance: e.dataset.stance, text: words.textContent,
                mark: e.querySelector('.mark').textContent};
    })""")
    assert [s["frame"] for s in shown] == [s["frame"]["label"] for s in api["sentences"]]
    assert [s["stance"] for s in shown] == [s["stance"]["label"] for s in api["sentences"]]
    assert [" ".join(s["text"].split()) for s in shown] == [s["text"] for s in api["sentences"]]
    glyphs = {"supportive": "+", "critical": "\u2212", "neutral": "\u25cb"}
    assert [s["mark"] for s in shown] == [glyphs[s["stance"]["label"]] for s in api["sentences"]]
    # The article is shown whole: nothing between the sentences is lost.
    assert " ".join(page.inner_text("#article-view").split()).startswith("Myanmar army pushes")

    summary = page.inner_text("#summary")
    assert f"{api['summary']['sentences']} sentences" in summary
    for task in info["tasks"]:
        for label in info["labels"][task]:
            share = 100 * api["summary"]["shares"][task][label]
            assert f"{label.replace('_', ' ')} {share:.1f}%" in summary
    legend = page.inner_text("#legend")
    assert all(label.replace("_", " ") in legend for label in info["labels"]["frame"])

    page.hover(".article-view .sent >> nth=2")
    tip = page.locator("#tip")
    assert tip.is_visible()
    third = api["sentences"][2]
    assert "Sentence 3" in tip.inner_text()
    for label, p in third["frame"]["probabilities"].items():
        assert f"{100 * p:.1f}%" in tip.inner_text() and label.replace("_", " ") in tip.inner_text()
    page.screenshot(path=str(tmp_path / "page-tooltip.png"))
    page.mouse.move(5, 5)
    page.screenshot(path=str(tmp_path / "page-desktop.png"), full_page=True)
    assert not page.problems, page.problems  # no CSP violation, no script error


def test_the_page_works_from_the_keyboard(page, server, tmp_path):
    analyze_in_page(page, server, SAMPLE.read_text(encoding="utf-8"))
    assert page.evaluate("document.activeElement.id") == "results-title"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "download"
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.dataset.index]")
    assert "sent" in focused[0] and focused[1] == "0"
    assert page.locator("#tip").is_visible() and "Sentence 1" in page.inner_text("#tip")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.index") == "1"
    assert "Sentence 2" in page.inner_text("#tip")
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "tip"
    page.keyboard.press("End")
    last = page.locator(".article-view .sent").count() - 1
    assert page.evaluate("document.activeElement.dataset.index") == str(last)
    page.keyboard.press("Escape")
    assert not page.locator("#tip").is_visible()
    # Ctrl+Enter in the box analyzes without the mouse.
    page.fill("#article", "Troops advanced. Aid agencies warned of hunger.")
    page.focus("#article")
    page.keyboard.press("Control+Enter")
    sync_api.expect(page.locator(".article-view .sent")).to_have_count(2)
    assert not page.problems, page.problems


def test_download_csv_matches_the_batch_file_format(page, server, tmp_path):
    article = SAMPLE.read_text(encoding="utf-8")
    analyze_in_page(page, server, article)
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    api = httpx.post(f"{server}/v1/analyze", json={"text": article}, timeout=60).json()
    info = httpx.get(f"{server}/v1/info", timeout=60).json()
    got = saved.read_bytes().decode("utf-8")
    assert got == expected_csv(api, info["row_columns"], info["tasks"])
    rows = list(csv.DictReader(io.StringIO(got)))
    assert len(rows) == len(api["sentences"]) and list(rows[0]) == info["row_columns"]


def test_narrow_screen_has_no_sideways_scroll(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        analyze_in_page(page, server, SAMPLE.read_text(encoding="utf-8"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.tap(".article-view .sent >> nth=1")
        box = page.locator("#tip").bounding_box()
        assert page.locator("#tip").is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert "Sentence 2" in page.inner_text("#tip")  # a tap focuses the sentence
        page.screenshot(path=str(tmp_path / "page-narrow-tooltip.png"))
        page.locator("#results-title").focus()
        page.screenshot(path=str(tmp_path / "page-narrow.png"), full_page=True)
    finally:
        context.close()


def test_the_page_sends_the_token_the_user_enters(browser, trained_bundle):
    app = create_app(trained_bundle, ServeSettings(token=TOKEN))
    with serve_in_thread(app) as url:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(url + "/")
            page.wait_for_selector("#model-info:has-text('needs an API token')")
            assert page.locator("#token").is_visible()
            page.fill("#article", "Troops advanced. Aid agencies warned of hunger.")
            page.fill("#token", "wrong")
            page.click("#analyze")
            page.wait_for_selector("#status.error")
            assert "token" in page.inner_text("#status").lower()
            page.fill("#token", TOKEN)
            page.click("#analyze")
            sync_api.expect(page.locator(".article-view .sent")).to_have_count(2)
        finally:
            context.close()


def test_docs_page_renders_the_api_offline(page, server):
    page.goto(server + "/docs")
    page.wait_for_selector("h2:has-text('POST /v1/classify')")
    text = page.inner_text("main")
    assert "POST /v1/analyze" in text and "GET /v1/info" in text and "texts" in text
    assert "at most 256 items" in text
    assert not page.problems, page.problems


def test_the_page_shows_the_models_caveats(page, server):
    long = " ".join(["Aid convoys waited at the checkpoint for many days"] * 6) + "."
    analyze_in_page(page, server, "Troops advanced on the town.\n\n" + long)
    notes = page.locator("#notes")
    assert notes.is_visible() and "truncated" in notes.inner_text()
    assert page.locator(".article-view .sent.has-note").count() == 1
    page.hover(".article-view .sent.has-note")
    assert "Note: longer than the model reads" in page.inner_text("#tip")
    page.fill("#article", "Troops advanced on the town.")
    page.click("#analyze")
    sync_api.expect(page.locator(".article-view .sent")).to_have_count(1)
    assert not page.locator("#notes").is_visible()
    assert not page.problems, page.problems
