"""Open the rendered report.html in headless Chromium: it must paint a real page and
every embedded figure must decode in a browser, with no network."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from framelens.training.evaluation.figures import render_figures
from framelens.training.evaluation.render_html import render_html

SAMPLE = Path(__file__).parent / "fixtures" / "sample_report.json"
TIMEOUT_S = 120  # a cold start on a busy CI machine can take a while; a hang should not
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # Containers often have a tiny /dev/shm, which crashes the renderer mid-page.
    "--disable-dev-shm-usage",
]

# Appended to a copy of the page only: the report itself must stay script-free.
# After the load event every <img> has either decoded or failed, so its state is final.
IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  var div = document.createElement("div");
  div.id = "imgcheck";
  div.textContent = "loaded " + ok.length + " of " + imgs.length;
  document.body.appendChild(div);
});
</script>"""


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    report = json.loads(SAMPLE.read_text(encoding="utf-8"))
    figures = render_figures(report, out / "figures")
    path = out / "report.html"
    path.write_text(render_html(report, figures), encoding="utf-8")
    # The page must not lean on the PNG files next to it: remove them.
    shutil.rmtree(out / "figures")
    return path


def run_chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, f"{cmd}\nexit {result.returncode}\n{result.stderr[-2000:]}"
    return result


def load_pixels(path: Path) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        import matplotlib.image

        return np.asarray(matplotlib.image.imread(path))[..., :3]
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def image_check(binary: str, tmp_path: Path, page: Path) -> str:
    """Load ``page`` with the image check added and return what the check wrote."""
    probe = tmp_path / "probe.html"
    html = page.read_text(encoding="utf-8")
    assert "</body>" in html
    probe.write_text(html.replace("</body>", IMAGE_CHECK + "\n</body>"), encoding="utf-8")
    # The virtual time budget lets the load event fire before the DOM is dumped.
    result = run_chromium(binary, tmp_path, "--virtual-time-budget=5000", "--dump-dom",
                          probe.as_uri())
    found = re.search(r'<div id="imgcheck">([^<]*)</div>', result.stdout)
    assert found, f"image check never ran; DOM tail:\n{result.stdout[-1000:]}"
    return found.group(1)


def test_screenshot_is_not_blank(chromium, report_html, tmp_path):
    shot = tmp_path / "report.png"
    run_chromium(chromium, tmp_path, "--window-size=1200,2400", f"--screenshot={shot}",
                 report_html.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000
    pixels = load_pixels(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1000
    assert pixels.std() > 10  # a blank or single-colour page has (almost) none
    non_white = (pixels.min(axis=2) < 240).mean()
    assert non_white > 0.02, f"only {non_white:.1%} of the screenshot is painted"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # text and figures, not a fill


def test_every_image_loads(chromium, report_html, tmp_path):
    expected = report_html.read_text(encoding="utf-8").count("<img ")
    assert expected == 5
    assert image_check(chromium, tmp_path, report_html) == f"loaded {expected} of {expected}"


def test_image_check_catches_a_broken_image(chromium, report_html, tmp_path):
    # Guards the check above against passing vacuously.
    broken = tmp_path / "broken.html"
    html = report_html.read_text(encoding="utf-8")
    broken.write_text(html.replace("</main>", '<img src="data:image/png;base64,AAAA"></main>'),
                      encoding="utf-8")
    assert image_check(chromium, tmp_path, broken) == "loaded 5 of 6"
