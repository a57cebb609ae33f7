"""The README's results table is generated from the committed results file, never typed."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("results_tool", ROOT / "tools" / "results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_matches_the_results_file():
    tool = _tool()
    results = json.loads((ROOT / "bench" / "results" / "accuracy.json").read_text())
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- results:begin -->\n(.*?)<!-- results:end -->", readme, re.S)
    assert block, "README.md has no generated results block"
    assert block.group(1) == tool.render(results)


def test_render_shows_the_numbers_it_is_given():
    tool = _tool()
    results = {"train_seconds": 250.4, "epochs_run": 3.0, "tasks": {"frame": {
        "n": 843, "macro_f1": {"value": 0.8931, "ci": [0.871, 0.914]},
        "accuracy": {"value": 0.894, "ci": [0.87, 0.91]}, "ece": 0.013,
        "tfidf": {"macro_f1": {"value": 0.864, "ci": [0.84, 0.89]}, "delta": 0.028,
                  "delta_ci": [0.003, 0.051], "ci_overlap": True},
        "challenge_pass_rate": 0.891, "challenge_n": 494}}}
    text = tool.render(results)
    assert "**0.893 [0.871, 0.914]** (n=843)" in text
    assert "+0.028 [+0.003, +0.051]" in text and "CIs apart" not in text
    assert "89.1% of 494" in text and "250 s (3 epochs)" in text
    results["tasks"]["frame"]["tfidf"]["ci_overlap"] = False
    assert "CIs apart" in tool.render(results)


def test_render_shows_baseline_per_version_and_judges_the_separate_models():
    tool = _tool()
    frame = {"n": 843, "macro_f1": {"value": 0.855, "ci": [0.83, 0.879]},
             "accuracy": {"value": 0.865, "ci": [0.84, 0.89]}, "ece": 0.02,
             "macro_f1_v2": {"value": 0.934, "ci": [0.9, 0.96], "n": 333, "tfidf": 0.9171},
             "separate_model": {"macro_f1": {"value": 0.857, "ci": [0.833, 0.881]}}}
    text = tool.render({"tasks": {"frame": frame}})
    assert "| 0.934 (TF-IDF 0.917) |" in text
    assert "within these CIs on every task" in text
    frame["separate_model"]["macro_f1"]["ci"] = [0.86, 0.9]  # the shared encoder falls below
    assert "falls outside these CIs" in tool.render({"tasks": {"frame": frame}})
