"""Every command on a tiny model: train's output safety, calibrate, crossval, demo, data."""

from __future__ import annotations

import json
import shutil

import numpy as np
from typer.testing import CliRunner

from framelens.cli.main import app

runner = CliRunner()


def _train_args(base, corpus, out, *extra):
    return ["train", "--task", "frame", "--train", str(corpus), "--dev", str(corpus),
            "--out", str(out), "--base-model", str(base), "--epochs", "1", "--max-length", "32",
            "--no-calibrate", *extra]


def test_train_refuses_to_replace_a_users_file_or_folder(tiny_base_dir, mini_corpus, tmp_path):
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes")
    result = runner.invoke(app, _train_args(tiny_base_dir, mini_corpus, precious))
    assert result.exit_code != 0
    assert "exists and is not a directory" in str(result.exception)
    assert precious.read_text() == "my notes"

    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.md").write_text("draft")
    result = runner.invoke(app, _train_args(tiny_base_dir, mini_corpus, folder, "--overwrite"))
    assert result.exit_code != 0
    assert "not a framelens model directory" in str(result.exception)
    assert (folder / "chapter1.md").read_text() == "draft"


def test_train_replaces_its_own_model_only_with_overwrite(tiny_base_dir, mini_corpus, tmp_path):
    out = tmp_path / "model"
    assert runner.invoke(app, _train_args(tiny_base_dir, mini_corpus, out)).exit_code == 0
    first = (out / "model.safetensors").read_bytes()
    again = runner.invoke(app, _train_args(tiny_base_dir, mini_corpus, out, "--seed", "7"))
    assert again.exit_code != 0 and "pass --overwrite" in str(again.exception)
    assert (out / "model.safetensors").read_bytes() == first
    replaced = runner.invoke(app, _train_args(tiny_base_dir, mini_corpus, out, "--seed", "7",
                                              "--overwrite"))
    assert replaced.exit_code == 0, replaced.output
    assert (out / "model.safetensors").read_bytes() != first
    assert not list(tmp_path.glob(".model.*"))  # no temporary or old copies left beside it


def test_train_help_shows_the_task_table_and_defaults():
    result = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    assert "[task]" in text
    assert "Default: 3." in text  # epochs, from TrainConfig


def test_calibrate_stores_a_temperature_and_never_changes_the_winner(trained_frame,
                                                                     mini_corpus, tmp_path):
    from framelens.models.predictor import Predictor

    model = tmp_path / "m"
    shutil.copytree(trained_frame, model)
    dev = tmp_path / "dev.jsonl"
    dev.write_text(mini_corpus.read_text() * 2)
    texts = ["Talks resume on Monday.", "Shelling killed residents."]
    before = Predictor.load(model).predict_proba(texts)["frame"]
    result = runner.invoke(app, ["calibrate", "--model", str(model), "--dev", str(dev)])
    assert result.exit_code == 0, result.output
    meta = json.loads((model / "framelens.json").read_text())
    cal = meta["extra"]["calibration"]
    assert cal["n"] == 92 and cal["dev"] == "dev.jsonl"
    if cal["kept"]:
        assert cal["nll_after"] < cal["nll_before"]
    else:
        assert meta["temperature"] == 1.0
    after = Predictor.load(model).predict_proba(texts)["frame"]
    assert (after.argmax(1) == before.argmax(1)).all()
    if abs(meta["temperature"] - 1) > 0.05:
        assert not np.allclose(after, before)


def test_calibrate_refuses_a_tiny_dev_set(trained_frame, mini_corpus, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(trained_frame, model)
    meta_before = (model / "framelens.json").read_text()
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_text("".join(mini_corpus.read_text().splitlines(keepends=True)[:12]))
    result = runner.invoke(app, ["calibrate", "--model", str(model), "--dev", str(tiny)])
    assert result.exit_code != 0
    assert "at least 50 labelled rows" in str(result.exception)
    assert (model / "framelens.json").read_text() == meta_before


def test_fit_calibration_keeps_t1_when_nll_does_not_drop():
    from framelens.training.calibrate import fit_calibration

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 200)
    # Perfectly calibrated logits: the log of the true class distribution (T = 1 is optimal
    # up to noise, so a fit must not claim a real gain).
    probs = np.full((200, 3), 0.2)
    probs[np.arange(200), gold] = 0.6
    sampled = np.array([rng.choice(3, p=p) for p in probs])
    cal = fit_calibration(np.log(probs), sampled)
    assert cal.nll_after <= cal.nll_before
    overconfident = fit_calibration(np.log(probs) * 5, sampled)
    assert overconfident.kept and overconfident.temperature > 2


def test_crossval_command_trains_in_memory_and_caches_folds(tiny_base_dir, mini_corpus,
                                                            tmp_path):
    rows = [json.loads(line) for line in mini_corpus.read_text().splitlines()]
    data = tmp_path / "cv.jsonl"
    with data.open("w") as fh:
        for i, r in enumerate(rows):
            r |= {"conflict": ["north", "south"][i % 2], "split": "dev" if i % 5 == 0 else "train",
                  "register": "wire_report", "source_type": "journalist"}
            fh.write(json.dumps(r) + "\n")
    out = tmp_path / "cv"
    args = ["crossval", "--by", "conflict", "--task", "frame", "--data", str(data), "--out",
            str(out), "--epochs", "1", "--base-model", str(tiny_base_dir),
            "--methods", "transformer,joint,tfidf"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "crossval-frame.json").read_text())
    assert summary["groups"] == ["north", "south"]
    for method in ("transformer", "joint", "tfidf"):
        per = summary["methods"][method]["per_group"]
        assert per["north"]["n"] == 23 and 0 <= per["north"]["macro_f1"] <= 1
    assert not list(tmp_path.glob("framelens-cv-*"))
    # A rerun reuses every finished fold (no training: fast, identical numbers).
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert json.loads((out / "crossval-frame.json").read_text()) == summary
    # The joint folds were trained once for both tasks: stance reads them from the cache.
    joint = json.loads((out / "folds" / "joint-north.json").read_text())
    assert set(joint) == {"frame", "stance"}
    stance_args = [a if a != "frame" else "stance" for a in args]
    stance_args[stance_args.index("transformer,joint,tfidf")] = "joint"
    stance = runner.invoke(app, stance_args)
    assert stance.exit_code == 0, stance.output
    cached = json.loads((out / "crossval-stance.json").read_text())["methods"]["joint"]
    assert cached["per_group"]["north"] == joint["stance"]


def test_demo_uses_the_cached_bundle_and_writes_rows(trained_bundle, tmp_path, monkeypatch):
    from framelens.demo import default_bundle_dir

    monkeypatch.setenv("FRAMELENS_CACHE", str(tmp_path / "cache"))
    target = default_bundle_dir()
    target.parent.mkdir(parents=True)
    shutil.copytree(trained_bundle, target)
    out = tmp_path / "demo-out"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "mixed_offensive.jsonl").read_text().splitlines()]
    assert len(rows) >= 10
    assert {"doc_id", "sentence_index", "start", "end", "frame", "stance_confidence"} <= set(rows[0])
    assert "agreement with the article's hand labels" in result.output


def test_data_validate_lists_every_problem_in_a_users_file(tmp_path):
    bad = tmp_path / "mine.csv"
    bad.write_text("id,text,frame,stance,conflict,register,source_type,split\n"
                   "1,Shelling hit the market.,humanitarian,critical,syria,wire_report,journalist,"
                   "train\n"
                   "2,,neutral,neutral,syria,wire_report,journalist,train\n"
                   "3,Talks are due to resume in Geneva.,peace,neutral,syria,wire_report,journalist,train\n")
    result = runner.invoke(app, ["data", "validate", str(bad)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "mine.csv:3: text: empty value" in text
    assert "mine.csv:4: frame: 'peace' is not allowed" in text
    assert "invalid" in text


def test_data_stats_prints_the_tables(tmp_path):
    result = runner.invoke(app, ["data", "stats", "--markdown"])
    assert result.exit_code == 0
    assert "### frame x stance" in result.output


def test_evaluate_refuses_an_unwritable_json_path_before_loading_the_model(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "no-model"), "--data",
                                 str(tmp_path / "no-data.jsonl"), "--json",
                                 str(blocker / "m.json")])
    assert result.exit_code != 0
    # The output path is reported, not the missing model: the check ran first.
    assert "a-file" in str(result.exception)
