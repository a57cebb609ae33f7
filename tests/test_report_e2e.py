"""`framelens evaluate --out`: the whole report from a real (tiny) trained model."""

from __future__ import annotations

import csv
import json
import re

import pytest
from framelens.data.errors import OutputError
from typer.testing import CliRunner

from framelens.cli.main import app

runner = CliRunner()


LABELS = ["humanitarian", "counter_terrorism", "neutral"]
# Quick options for tests that are about the output folder, not the numbers.
QUICK = ["--no-baselines", "--no-challenge", "--resamples", "50"]


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


def _evaluate(model, data, out, *extra):
    return runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(data),
                               "--out", str(out), *map(str, extra)])


def _refused(result, why: str) -> bool:
    """The command stopped with a user error (the CLI's main prints it on one line)."""
    return isinstance(result.exception, OutputError) and why in str(result.exception)


def test_full_report(trained_frame, mini_corpus, tmp_path):
    data = _with_meta(mini_corpus, tmp_path / "eval.jsonl")
    out = tmp_path / "report"
    result = _evaluate(trained_frame, data, out, "--slice", "conflict", "--slice", "register",
                       "--train", mini_corpus, "--dev", mini_corpus, "--no-zero-shot",
                       "--resamples", "300")
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "challenge set" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"metrics.json", "errors.csv", "report.html", "report.md"} <= names
    assert any(n.endswith(".png") for n in names)

    report = json.loads((out / "metrics.json").read_text())
    assert not [k for k in report if k.startswith("_")]  # nothing smuggled in
    m = report["metrics"]
    assert report["n"] == 46 and report["bootstrap"]["resamples"] == 300
    lo, hi = m["macro_f1"]["ci"]
    assert lo <= m["macro_f1"]["value"] <= hi
    assert {"log_loss", "brier", "ece", "calibration", "confusion_matrix"} <= set(m)
    assert len(m["calibration"]["bins"]) == 10
    assert {s["value"] for s in report["slices"]["conflict"]} == {"syria", "yemen", "sahel"}
    assert [b["name"] for b in report["baselines"]] == ["majority class",
                                                        "TF-IDF + logistic regression"]
    assert "chosen on dev" in report["baselines"][1]["note"]
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
    # The model card's dev metrics table is a real table, not a paragraph of pipes.
    card = html[html.index('<div class="card">'):]
    assert "<th>precision</th>" in card[:card.index("</div>")]


def test_report_for_every_task_of_a_bundle(trained_bundle, mini_corpus, tmp_path):
    out = tmp_path / "both"
    result = _evaluate(trained_bundle, mini_corpus, out, *QUICK)
    assert result.exit_code == 0, result.output
    for task in ("frame", "stance"):
        report = json.loads((out / task / "metrics.json").read_text())
        assert report["task"] == task
        assert report["model_card"] and f"framelens {task} classifier" in report["model_card"]
    assert sorted(p.name for p in out.iterdir()) == ["frame", "stance"]
    # A bundle report folder is ours too: replaced with --overwrite, refused without.
    assert _refused(_evaluate(trained_bundle, mini_corpus, out, *QUICK), "--overwrite")
    assert _evaluate(trained_bundle, mini_corpus, out, *QUICK, "--overwrite").exit_code == 0


def test_unresolved_training_data_is_noted_not_fatal(trained_frame, mini_corpus, tmp_path):
    # The tiny model was trained on an absolute path, stored as a bare file name that does
    # not resolve from here: the report explains the missing baselines instead of crashing.
    out = tmp_path / "report"
    result = _evaluate(trained_frame, mini_corpus, out, "--no-zero-shot", "--no-challenge",
                       "--resamples", "50")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "metrics.json").read_text())
    assert report["baselines"] == []
    assert "--train" in report["baselines_note"] and "mini_corpus.jsonl" in report["baselines_note"]
    assert "--train" in (out / "report.md").read_text()
    assert "--train" in result.output


def test_evaluate_refuses_a_folder_that_is_not_a_report(trained_frame, mini_corpus, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    keep = out / "thesis.tex"
    keep.write_text("years of work")
    for extra in ([], ["--overwrite"]):
        result = _evaluate(trained_frame, mini_corpus, out, *QUICK, *extra)
        assert _refused(result, "not a framelens evaluation report"), result.output
        assert keep.read_text() == "years of work"
        assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine")]  # no leftovers


def test_evaluate_refuses_a_file_at_out(trained_frame, mini_corpus, tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("notes")
    result = _evaluate(trained_frame, mini_corpus, out, *QUICK, "--overwrite")
    assert _refused(result, "is not a directory") and out.read_text() == "notes"


def test_existing_report_is_replaced_only_with_overwrite(trained_frame, mini_corpus, tmp_path):
    out = tmp_path / "report"
    assert _evaluate(trained_frame, mini_corpus, out, *QUICK).exit_code == 0
    marker = out / "metrics.json"
    marker.write_text(marker.read_text().replace('"resamples": 50', '"resamples": 7'))

    result = _evaluate(trained_frame, mini_corpus, out, *QUICK)
    assert _refused(result, "pass --overwrite to replace it")
    assert json.loads(marker.read_text())["bootstrap"]["resamples"] == 7  # untouched

    result = _evaluate(trained_frame, mini_corpus, out, *QUICK, "--overwrite")
    assert result.exit_code == 0, result.output
    assert json.loads(marker.read_text())["bootstrap"]["resamples"] == 50


@pytest.mark.parametrize("stored, resolves", [
    ("bundled:train", True), ("bundled:nope", False), ("mini_corpus.jsonl", False),
])
def test_training_file_resolution(tmp_path, stored, resolves):
    from framelens.data.corpus import split_path
    from framelens.training.evaluation.report import training_file

    (tmp_path / "training_config.json").write_text(json.dumps({"train": stored}))
    path, problem = training_file(tmp_path, "train", None)
    if resolves:
        assert path == split_path("train") and problem is None
    else:
        assert path is None and stored in problem
    assert training_file(tmp_path, "dev", None)[0] is None  # not named at all
    given = tmp_path / "given.jsonl"
    assert training_file(tmp_path, "train", given) == (given, None)


def test_training_file_relative_path(tmp_path, monkeypatch):
    from framelens.training.evaluation.report import training_file

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{}\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "training_config.json").write_text(json.dumps({"train": "data/train.jsonl"}))
    monkeypatch.chdir(tmp_path)
    path, problem = training_file(model, "train", None)
    assert problem is None and path.resolve() == (tmp_path / "data" / "train.jsonl").resolve()
    assert training_file(tmp_path, "train", None)[1].endswith("its training data is unknown")
