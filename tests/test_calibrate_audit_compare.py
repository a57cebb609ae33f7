from __future__ import annotations

import json

import numpy as np
import pytest
from framelens.data.errors import DataError


def test_confident_learning_flags_planted_label_errors():
    from framelens.training.audit import confident_learning_issues

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    probs = np.full((300, 3), 0.05)
    probs[np.arange(300), labels] = 0.9
    flipped = np.arange(0, 300, 30)  # 10 rows whose given label disagrees with a confident model
    given = labels.copy()
    given[flipped] = (labels[flipped] + 1) % 3
    found = set(confident_learning_issues(given, probs).tolist())
    assert set(flipped.tolist()) <= found
    assert len(found) <= 15


def test_audit_rows_report_given_and_suggested():
    from framelens.training.audit import audit_rows

    probs = np.array([[0.9, 0.05, 0.05]] * 20 + [[0.05, 0.9, 0.05]] * 20)
    labels = np.array([0] * 20 + [1] * 19 + [0])
    rows = [{"id": f"r{i}", "conflict": "x"} for i in range(40)]
    issues, method = audit_rows(rows, [f"t{i}" for i in range(40)], labels, probs,
                                ["humanitarian", "counter_terrorism", "neutral"])
    assert issues and issues[0]["id"] == "r39"
    assert issues[0]["given"] == "humanitarian" and issues[0]["suggested"] == "counter_terrorism"


def test_compare_leaderboard(tmp_path):
    from framelens.training.compare import leaderboard, leaderboard_markdown, load_reports

    sample = json.loads((__import__("pathlib").Path(__file__).parent / "fixtures" /
                         "sample_report.json").read_text())
    for name, f1 in (("a", 0.7), ("b", 0.9)):
        d = tmp_path / name
        d.mkdir()
        rep = json.loads(json.dumps(sample))
        rep["model"] = f"runs/{name}"
        rep["metrics"]["macro_f1"] = {"value": f1, "ci": [f1 - 0.03, f1 + 0.03]}
        (d / "metrics.json").write_text(json.dumps(rep))
    rows = leaderboard(load_reports([tmp_path / "a", tmp_path / "b"]))
    assert [r["model"] for r in rows] == ["runs/b", "runs/a"]
    md = leaderboard_markdown(rows)
    assert "0.900 [0.870, 0.930]" in md and md.count("\n") == 4
    assert rows[0]["report"] == str(tmp_path / "b")
    with pytest.raises(DataError, match="not an evaluation report"):
        load_reports([tmp_path])
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "metrics.json").write_text('{"task": "frame"}')
    with pytest.raises(DataError, match="not a full report"):
        load_reports([tmp_path / "c"])


def test_compare_command_writes_markdown(tmp_path):
    from typer.testing import CliRunner

    from framelens.cli.main import app

    sample = (__import__("pathlib").Path(__file__).parent / "fixtures" / "sample_report.json")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "metrics.json").write_text(sample.read_text())
    out = tmp_path / "board.md"
    result = CliRunner().invoke(app, ["compare", str(tmp_path / "a"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "leaderboard" in result.output and out.read_text().startswith("| rank |")


def test_audit_refuses_classes_too_small_to_fold():
    from framelens.training.audit import out_of_fold_probs

    labels = np.array([0] * 10 + [1] * 10 + [2] * 3)
    with pytest.raises(DataError, match="fewer than 5 rows"):
        out_of_fold_probs(np.zeros((23, 4)), labels)


def test_data_audit_command(tiny_base_dir, mini_corpus, tmp_path):
    import csv

    from typer.testing import CliRunner

    from framelens.cli.main import app

    out = tmp_path / "issues.csv"
    result = CliRunner().invoke(app, ["data", "audit", str(mini_corpus), "--task", "frame",
                                      "--base-model", str(tiny_base_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rows flagged for review" in result.output
    rows = list(csv.DictReader(out.open()))
    ids = {json.loads(line)["id"] for line in mini_corpus.read_text().splitlines()}
    assert all(r["id"] in ids and r["given"] != r["suggested"] for r in rows)


def test_bench_script_runs(tmp_path, trained_frame):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "bench" / "run.py"
    proc = subprocess.run([sys.executable, str(script), "--sentences", "40", "--rounds", "1",
                           "--model", str(trained_frame)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "speed-up (framelens / pipeline):" in proc.stdout
