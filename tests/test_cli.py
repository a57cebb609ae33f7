"""The command line: thin commands, readable output, clean errors (no tracebacks)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from framelens.cli.main import app

runner = CliRunner()
ARTICLE = (
    "Aid blocked in the north\n"
    "KARDAN (wire) - Shelling killed eleven residents of the Tamar district, medics said. "
    "The ministry said its aircraft destroyed an extremist depot.\n"
    "Talks are due to resume in Geneva next week.\n"
)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "framelens", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("train", "evaluate", "classify", "demo", "data", "models"):
        assert cmd in result.output


def test_classify_article_table(trained_bundle, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE)
    result = runner.invoke(app, ["classify", str(article), "--model", str(trained_bundle)])
    assert result.exit_code == 0, result.output
    assert "frame" in result.output and "stance" in result.output
    assert "Aid blocked in the north" in result.output


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_classify_writes_rows(trained_frame, tmp_path, suffix):
    article = tmp_path / "lines.txt"
    article.write_text("Shelling killed residents.\nTalks resume.\n\nTroops advanced.\n")
    out = tmp_path / f"out.{suffix}"
    result = runner.invoke(app, ["classify", str(article), "--lines", "--model", str(trained_frame),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    if suffix == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        rows = list(csv.DictReader(out.open()))
    assert [r["text"] for r in rows] == ["Shelling killed residents.", "Talks resume.",
                                         "Troops advanced."]
    assert {"frame", "frame_p_humanitarian", "frame_p_counter_terrorism", "frame_p_neutral"} <= set(rows[0])


def test_evaluate_prints_table_and_writes_json(trained_frame, mini_corpus, tmp_path):
    out = tmp_path / "m.json"
    result = runner.invoke(app, ["evaluate", "--model", str(trained_frame), "--data",
                                 str(mini_corpus), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "macro avg" in result.output and "confusion matrix" in result.output
    data = json.loads(out.read_text())
    assert data["n"] == 46 and len(data["confusion_matrix"]) == 3
    assert set(data["per_class"]) == {"humanitarian", "counter_terrorism", "neutral"}


def test_evaluate_bundle_needs_task(trained_bundle, mini_corpus):
    result = runner.invoke(app, ["evaluate", "--model", str(trained_bundle), "--data",
                                 str(mini_corpus), "--task", "stance"])
    assert result.exit_code == 0, result.output
    assert "supportive" in result.output


def test_user_errors_are_one_clean_line(tmp_path, trained_frame):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,frame\nTalks resume.,peace\n")
    proc = _run("evaluate", "--model", str(trained_frame), "--data", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{bad}:2: frame: unknown label 'peace'" in " ".join(proc.stderr.split())

    proc = _run("classify", str(tmp_path / "missing.txt"), "--model", str(trained_frame))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {tmp_path / 'missing.txt'}: (file): no such file"


def test_missing_model_dir_is_a_clean_error(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Talks resume.\n")
    proc = _run("classify", str(article), "--model", str(tmp_path / "nomodel"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no such model directory" in proc.stderr


def test_failed_write_leaves_no_partial_file(trained_frame, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Talks resume.\n")
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["classify", str(article), "--model", str(trained_frame),
                                 "--out", str(out)])
    assert result.exit_code != 0
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_models_lists_minilm():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0 and "minilm" in result.output


def test_classify_undecodable_input_names_the_line(trained_frame, tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"First line is fine.\nCaf\xe9 owners fled.\n")
    result = runner.invoke(app, ["classify", str(bad), "--model", str(trained_frame)])
    assert result.exit_code != 0
    assert f"{bad}:2: (encoding): invalid UTF-8 byte 0xe9" in str(result.exception)


def test_train_command_with_recipe_and_overrides(tiny_base_dir, mini_corpus, tmp_path):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text("epochs = 5\nbatch_size = 8\nlearning_rate = 3e-3\nmax_length = 32\n")
    out = tmp_path / "cli-model"
    dev = tmp_path / "dev.jsonl"  # calibration needs at least 50 rows
    dev.write_text(mini_corpus.read_text() * 2)
    result = runner.invoke(app, [
        "train", "--task", "stance", "--train", str(mini_corpus), "--dev", str(dev),
        "--out", str(out), "--config", str(recipe), "--base-model", str(tiny_base_dir),
        "--epochs", "1", "--calibrate",
    ])
    assert result.exit_code == 0, result.output
    assert "done stance: dev macro-F1" in " ".join(result.output.split())
    assert "fitted on 92 dev rows" in result.output or "kept T = 1" in result.output
    cfg = json.loads((out / "training_config.json").read_text())
    assert cfg["epochs"] == 1 and cfg["batch_size"] == 8 and cfg["learning_rate"] == 3e-3
