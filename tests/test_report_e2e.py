"""`framelens evaluate --out`: the whole report from a real (tiny) trained model."""

from __future__ import annotations

import csv
import json
import re

from typer.testing import CliRunner

from framelens.cli.main import app

runner = CliRunner()


LABELS = ["humanitarian", "counter_terrorism", "neutral"]


def _with_meta(src, dst):
    """The mini corpus with metadata columns, and every 5th gold label rotated so that
    the (well-fitted) tiny model is guaranteed to make errors."""
    rows = [json.loads(line) for line in src.read_text().splitlines()]
    for i, r in enumerate(rows):
        if i % 5 == 0:
            r["frame"] = LABELS[(LABELS.index(r["frame"]) + 1) % 3]
        r["conflict"] = ["syria", "yemen", "sahel"][i % 3]
        r["register"] = "wire_report" if i % 2 else "state_media"
    dst.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return dst


def test_full_report(trained_frame, mini_corpus, tmp_path):
    data = _with_meta(mini_corpus, tmp_path / "eval.jsonl")
    out = tmp_path / "report"
    result = runner.invoke(app, [
        "evaluate", "--model", str(trained_frame), "--data", str(data), "--out", str(out),
        "--slice", "conflict", "--slice", "register", "--train", str(mini_corpus),
        "--dev", str(mini_corpus), "--no-zero-shot", "--resamples", "300",
    ])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "challenge set" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"metrics.json", "errors.csv", "report.html", "report.md"} <= names
    assert any(n.endswith(".png") for n in names)

    report = json.loads((out / "metrics.json").read_text())
    m = report["metrics"]
    assert report["n"] == 46 and report["bootstrap"]["resamples"] == 300
    lo, hi = m["macro_f1"]["ci"]
    assert lo <= m["macro_f1"]["value"] <= hi
    assert {"log_loss", "brier", "ece", "calibration", "confusion_matrix"} <= set(m)
    assert len(m["calibration"]["bins"]) == 10
    assert {s["value"] for s in report["slices"]["conflict"]} == {"syria", "yemen", "sahel"}
    assert [b["name"] for b in report["baselines"]] == ["majority class",
                                                        "TF-IDF + logistic regression"]
    assert report["challenge"]["n"] >= 300

    errors = list(csv.DictReader((out / "errors.csv").open()))
    assert len(errors) == report["errors"]["count"]
    assert all(e["gold"] != e["predicted"] for e in errors)
    conf = [float(e["confidence"]) for e in errors]
    assert conf == sorted(conf, reverse=True)
    assert len(errors) >= 5
    assert {"p_humanitarian", "p_neutral", "conflict"} <= set(errors[0])

    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert not re.search(r"(src|href)=\"https?:", html)


def test_report_for_every_task_of_a_bundle(trained_bundle, mini_corpus, tmp_path):
    out = tmp_path / "both"
    result = runner.invoke(app, [
        "evaluate", "--model", str(trained_bundle), "--data", str(mini_corpus), "--out", str(out),
        "--no-baselines", "--no-challenge", "--resamples", "200",
    ])
    assert result.exit_code == 0, result.output
    for task in ("frame", "stance"):
        assert json.loads((out / task / "metrics.json").read_text())["task"] == task
