"""Rendering an evaluation report: PNG figures, report.md and a self-contained report.html."""

from __future__ import annotations

import base64
import copy
import json
import re
import struct
from pathlib import Path

import pytest
from framelens.training.evaluation.document import Heading, Table, build_document
from framelens.training.evaluation.figures import render_figures
from framelens.training.evaluation.render_html import render_html
from framelens.training.evaluation.render_md import render_markdown

SAMPLE = Path(__file__).parent / "fixtures" / "sample_report.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED_FIGURES = {"confusion", "reliability", "per_class_f1", "slice_conflict", "slice_register"}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk always comes first)."""
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def report() -> dict:
    # A fresh copy each time: several tests edit the report.
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, Path]:
    # Drawing takes about a second; share one set across the module.
    report = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return render_figures(report, tmp_path_factory.mktemp("figures"))


# --- figures -------------------------------------------------------------------------


def test_all_figures_written_as_valid_pngs(figures):
    assert set(figures) == EXPECTED_FIGURES
    for name, path in figures.items():
        data = path.read_bytes()
        assert len(data) > 5_000, name
        width, height = png_size(data)
        # ~6x4.5 in at 110 dpi.
        assert 500 <= width <= 800 and 400 <= height <= 600, (name, width, height)


def test_slice_chart_grows_with_many_values(report, tmp_path):
    template = report["slices"]["conflict"][0]
    report["slices"] = {"conflict": [dict(template, value=f"conflict_{i}") for i in range(24)]}
    width, height = png_size(render_figures(report, tmp_path)["slice_conflict"].read_bytes())
    assert height > 800 and width < 800  # taller, not squashed: every label keeps its line


def test_figure_files_have_safe_names(report, tmp_path):
    report["slices"] = {"outlet / region": report["slices"]["conflict"]}
    paths = render_figures(report, tmp_path)
    path = paths["slice_outlet / region"]
    assert path.parent == tmp_path and path.exists()
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", path.name)


def test_figures_skip_missing_data(report, tmp_path):
    del report["metrics"]["calibration"]
    del report["slices"]
    assert set(render_figures(report, tmp_path)) == {"confusion", "per_class_f1"}


# --- markdown --------------------------------------------------------------------------


def test_markdown_headline_numbers(report, figures):
    md = render_markdown(report, figures)
    assert md.startswith("# Evaluation report: frame")
    for text in ("runs/frame", "data/corpus/test.jsonl", "510"):
        assert text in md
    assert "| Accuracy | 0.871 | [0.842, 0.900] |" in md
    assert "| Macro-F1 | 0.871 | [0.840, 0.902] |" in md


def test_markdown_baselines_side_by_side(report, figures):
    md = render_markdown(report, figures)
    for base in report["baselines"]:
        assert base["name"] in md
    row = next(line for line in md.splitlines() if line.startswith("| majority class"))
    assert "0.353" in row and "-0.697" in row and row.rstrip().endswith("| no |")
    assert "| this model |" in md


def test_baseline_notes_get_a_column_only_when_present(report, figures):
    assert "| Note |" not in render_markdown(report, figures)
    report["baselines"][2]["note"] = "trained on train.jsonl"
    md = render_markdown(report, figures)
    assert "| Note |" in md and "| yes | trained on train.jsonl |" in md


def test_markdown_tables_per_class_confusion_calibration(report, figures):
    md = render_markdown(report, figures)
    assert "| counter_terrorism | 0.896 |" in md
    assert "| humanitarian | 158 (87.8%) | 6 (3.3%) | 16 (8.9%) | 180 |" in md
    assert "**ECE:** 0.059" in md and "**Temperature:** 1.310" in md


def test_markdown_slices_flag_small(report, figures):
    md = render_markdown(report, figures)
    for rows in report["slices"].values():
        for row in rows:
            assert f"| {row['value']} | {row['n']} |" in md
    kashmir = next(line for line in md.splitlines() if line.startswith("| kashmir"))
    assert kashmir.rstrip().endswith("| small |")
    assert "| 0.619 | — |" in kashmir  # its macro-F1 CI is null


def test_markdown_slices_show_the_baseline_when_scored(report, figures):
    for rows in report["slices"].values():
        for row in rows:
            row["baseline_macro_f1"] = 0.5
    md = render_markdown(report, figures)
    assert "TF-IDF macro-F1 | Δ vs TF-IDF" in md
    kashmir = next(line for line in md.splitlines() if line.startswith("| kashmir"))
    assert "| 0.619 | — | 0.500 | +0.119 | small |" in kashmir


def test_markdown_challenge_caps_failures_at_ten(report, figures):
    md = render_markdown(report, figures)
    for cap in report["challenge"]["capabilities"]:
        assert f"| {cap['capability']} | {cap['n']} |" in md
    assert "75.5%" in md and "78.0%" in md
    assert "negation (10 of 13 shown)" in md
    assert "ch0021" in md and "ch0022" not in md  # the fixture lists 12 negation failures


def test_markdown_caps_errors_at_25(report, figures):
    template = report["errors"]["top"][0]
    report["errors"]["top"] = [dict(template, text=f"error sentence {i}") for i in range(40)]
    md = render_markdown(report, figures)
    assert "error sentence 24 " in md and "error sentence 25 " not in md


def test_markdown_links_figures_by_relative_name(report, figures):
    md = render_markdown(report, figures)
    for name, path in figures.items():
        assert f"]({path.name})" in md, name
    nested = render_markdown(report, figures, relative_to=next(iter(figures.values())).parent.parent)
    assert "](figures" in nested  # e.g. figures0/confusion.png from the parent folder


def test_markdown_escapes_data(report, figures):
    report["errors"]["top"][0]["text"] = "a <script>alert(1)</script> | b"
    md = render_markdown(report, figures)
    assert "<script>" not in md
    assert r"a \<script\>alert(1)\</script\> \| b" in md


def test_model_card_headings_nest_under_report(report, figures):
    md = render_markdown(report, figures)
    assert "## Model card" in md and "### framelens frame classifier" in md
    assert "\n# framelens" not in md


def test_model_card_code_comments_are_not_headings(report, figures):
    report["model_card"] = "# Card\n\n```python\n# a comment\nx = 1\n```"
    md = render_markdown(report, figures)
    assert "### Card" in md and "\n# a comment\n" in md


def test_baselines_note_is_shown_even_without_baselines(report, figures):
    note = "No majority-class or TF-IDF baseline: the model's train data 'x.jsonl' is not found."
    report["baselines"] = []
    report["baselines_note"] = note
    md = render_markdown(report, figures)
    assert "## Baselines" in md and note in md
    page = render_html(report, figures)
    assert ">Baselines</h2>" in page and "x.jsonl" in page


# --- the document model ------------------------------------------------------------------


def test_both_formats_render_the_same_document(report, figures):
    blocks = build_document(report, figures)
    sections = [b.text for b in blocks if isinstance(b, Heading) and b.level == 2]
    md = render_markdown(report, figures)
    page = render_html(report, figures)
    assert re.findall(r"^## (.*)$", md, flags=re.MULTILINE) == sections
    assert re.findall(r"<h2[^>]*>([^<]*)</h2>", page) == sections
    tables = sum(isinstance(b, Table) for b in blocks)
    assert page.count("<table>") == tables  # the card here has no table of its own


# --- HTML ------------------------------------------------------------------------------


def test_html_is_self_contained(report, figures):
    page = render_html(report, figures)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    for attr, target in re.findall(r'\b(src|href)="([^"]*)"', page):
        assert target.startswith(("data:", "#")), (attr, target[:80])
    assert not re.search(r"(src|href)\s*=\s*['\"]?\s*https?://", page)


def test_html_images_are_embedded_pngs(report, figures):
    page = render_html(report, figures)
    sources = re.findall(r'<img\b[^>]*\bsrc="([^"]*)"', page)
    assert len(sources) == len(figures)
    for src in sources:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        width, height = png_size(base64.b64decode(src[len(prefix):], validate=True))
        assert width > 100 and height > 100


def test_html_sections_in_reading_order(report, figures):
    page = render_html(report, figures)
    headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", page)
    assert headings == [
        "Headline metrics", "Baselines", "Figures", "Per-class metrics", "Confusion matrix",
        "Calibration", "Slices", "Challenge set", "Worst errors", "Model card",
    ]
    assert "<title>Evaluation report: frame</title>" in page


def test_html_escapes_text(report, figures):
    report["errors"]["top"][0]["text"] = "<script>alert('x')</script> & more"
    report["baselines"][0]["name"] = "<b>bold</b>"
    report["model_card"] = "# <i>card</i>\n\nsee <img src=x>"
    page = render_html(report, figures)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>" not in page
    assert "&lt;i&gt;card&lt;/i&gt;" in page and "<img src=x>" not in page


def test_model_card_markdown_becomes_html(report, figures):
    # The card's metrics table used to reach report.html as one paragraph of pipes.
    report["model_card"] = (
        "# framelens frame classifier\n\n"
        "accuracy 0.900 · macro-F1 0.880\n\n"
        "| label | precision | recall | F1 | support |\n"
        "|---|---|---|---|---|\n"
        "| humanitarian | 0.910 | 0.880 | 0.895 | 120 |\n"
        "| neutral | 0.850 | 0.860 | 0.855 | 90 |\n\n"
        "- uses `minilm`\n- **bold** claim\n"
    )
    page = render_html(report, figures)
    card = page[page.index('<div class="card">'):]
    card = card[:card.index("</div>")]
    assert "<table>" in card and "<th>precision</th>" in card
    assert "<td>humanitarian</td>" in card and "<td>0.895</td>" in card
    assert "| label |" not in card
    assert "<h3>framelens frame classifier</h3>" in card
    assert "<li>uses <code>minilm</code></li>" in card and "<strong>bold</strong>" in card


def test_model_card_cannot_reach_outside_the_file(report, figures):
    report["model_card"] = (
        "See [the hub](https://huggingface.co/x) and ![logo](https://example.org/logo.png), "
        "<https://example.org/auto>, [a section](#calibration) and [x](javascript:alert(1))."
    )
    page = render_html(report, figures)
    for attr, target in re.findall(r'\b(src|href)="([^"]*)"', page):
        assert target.startswith(("data:", "#")), (attr, target)
    assert "the hub (https://huggingface.co/x)" in page  # the address is still readable
    assert "logo" in page and "example.org/logo.png" not in page
    assert '<a href="#calibration">a section</a>' in page
    assert "<script" not in page.lower()


def test_html_marks_small_slices(report, figures):
    page = render_html(report, figures)
    row = re.search(r'<tr class="flagged"><td>([^<]*)</td>', page)
    assert row and row.group(1) == "kashmir"


def test_null_cis_render_as_dash(report, figures):
    report["metrics"]["accuracy"]["ci"] = None
    report["baselines"][1]["macro_f1"]["ci"] = [None, None]
    md = render_markdown(report, figures)
    assert "| Accuracy | 0.871 | — |" in md
    keyword = next(line for line in md.splitlines() if line.startswith("| keyword rules"))
    assert "| 0.592 | — |" in keyword
    assert '<td class="num">—</td>' in render_html(report, figures)


# --- partial reports ------------------------------------------------------------------

PARTIAL = {
    "baselines": ("Baselines",),
    "slices": ("Slices",),
    "challenge": ("Challenge set",),
    "calibration": ("Calibration",),
    "errors": ("Worst errors",),
    "model_card": ("Model card",),
}


def _drop(report: dict, key: str, how: str) -> None:
    """Remove a section from the report, either by deleting the key or setting it to None."""
    holder = report["metrics"] if key == "calibration" else report
    if key == "calibration":
        # The calibration section also shows these scalars; without them it should vanish.
        for scalar in ("ece", "log_loss", "brier"):
            holder.pop(scalar, None)
    if how == "missing":
        holder.pop(key)
    else:
        holder[key] = None


@pytest.mark.parametrize("how", ["missing", "none"])
@pytest.mark.parametrize("key", sorted(PARTIAL))
def test_partial_report_skips_section(report, tmp_path, key, how):
    _drop(report, key, how)
    figures = render_figures(report, tmp_path)
    md = render_markdown(report, figures)
    page = render_html(report, figures)
    for heading in PARTIAL[key]:
        assert f"## {heading}" not in md
        assert f">{heading}</h2>" not in page
    assert "## Headline metrics" in md and ">Headline metrics</h2>" in page


def test_report_without_any_optional_section(report, tmp_path):
    for key in PARTIAL:
        _drop(report, key, "missing")
    report.pop("bootstrap")
    figures = render_figures(report, tmp_path)
    assert set(figures) == {"confusion", "per_class_f1"}
    md = render_markdown(report, figures)
    page = render_html(report, figures)
    assert "0.871" in md and "0.871" in page
    assert page.count("<img ") == 2


def test_bare_report_renders(tmp_path):
    bare = {"task": "stance", "metrics": {"accuracy": {"value": 0.5, "ci": None}}}
    figures = render_figures(bare, tmp_path)
    assert figures == {}
    assert "| Accuracy | 0.500 | — |" in render_markdown(bare, figures)
    assert "<h1>Evaluation report: stance</h1>" in render_html(bare, figures)
    assert render_html({}, {}).startswith("<!DOCTYPE html>")


def test_rendering_does_not_modify_report(report, figures):
    before = copy.deepcopy(report)
    render_markdown(report, figures)
    render_html(report, figures)
    assert report == before
