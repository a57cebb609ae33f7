"""`framelens summarize`: shares per group and period from a classify output, bootstrap
intervals over documents (checked against a plain loop), small groups flagged, and a
self-contained HTML page."""

from __future__ import annotations

import base64
import json
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from framelens.data.errors import DataError, OutputError
from framelens.serving.batch.charts import write_report
from framelens.serving.batch.summarize import cluster_bootstrap, summarize
from typer.testing import CliRunner

from framelens.cli.main import app

runner = CliRunner()
FRAMES = ["humanitarian", "counter_terrorism", "neutral"]
STANCES = ["supportive", "critical", "neutral"]


def _rows(outlet: str, docs: int, per_doc: int, rng: random.Random, weights) -> list[dict]:
    rows = []
    for d in range(docs):
        month = 1 + d % 3
        for i in range(per_doc):
            frame = rng.choices(FRAMES, weights)[0]
            stance = rng.choice(STANCES)
            row = {"doc_id": f"{outlet}-{d}", "sentence_index": i, "start": 0, "end": 1,
                   "text": "x", "frame": frame, "frame_confidence": 0.9}
            row |= {f"frame_p_{lab}": 0.9 if lab == frame else 0.05 for lab in FRAMES}
            row |= {"stance": stance, "stance_confidence": 0.8}
            row |= {f"stance_p_{lab}": 0.8 if lab == stance else 0.1 for lab in STANCES}
            row |= {"outlet": outlet, "date": f"2024-{month:02d}-{1 + d % 28:02d}"}
            rows.append(row)
    return rows


@pytest.fixture
def output(tmp_path) -> Path:
    rng = random.Random(0)
    rows = (_rows("wire", 60, 5, rng, [6, 3, 1]) + _rows("daily", 30, 4, rng, [1, 1, 1])
            + _rows("blog", 4, 3, rng, [1, 5, 1]))
    path = tmp_path / "rows.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path


def test_shares_and_counts_match_a_direct_count(output):
    shares = summarize(output, by="outlet")
    table = shares.table
    data = pd.read_parquet(output)
    for task in ("frame", "stance"):
        expected = data.groupby("outlet")[task].value_counts()
        for _, row in table[table["task"] == task].iterrows():
            group = data[data["outlet"] == row["outlet"]]
            count = int(expected.get((row["outlet"], row["label"]), 0))
            assert row["count"] == count and row["sentences"] == len(group)
            assert row["documents"] == group["doc_id"].nunique()
            assert row["share"] == pytest.approx(count / len(group))
    assert shares.labels == {"frame": FRAMES, "stance": STANCES}  # declared order, from columns
    sums = table.groupby(["outlet", "task"])["share"].sum()
    assert np.allclose(sums, 1)


def test_intervals_contain_the_estimate_and_small_groups_are_flagged(output):
    table = summarize(output, by="outlet").table
    assert (table["ci_low"] <= table["share"] + 1e-12).all()
    assert (table["share"] <= table["ci_high"] + 1e-12).all()
    assert (table["ci_low"] >= 0).all() and (table["ci_high"] <= 1).all()
    small = table.groupby("outlet")["small"].first()
    assert small.to_dict() == {"blog": True, "daily": False, "wire": False}  # 12, 120, 300
    width = (table["ci_high"] - table["ci_low"]).groupby(table["outlet"]).mean()
    assert width["wire"] < width["daily"] < width["blog"]  # more documents, narrower


def test_the_same_seed_gives_the_same_intervals(output):
    a = summarize(output, by="outlet", seed=5).table
    b = summarize(output, by="outlet", seed=5).table
    c = summarize(output, by="outlet", seed=6).table
    pd.testing.assert_frame_equal(a, b)
    assert not a["ci_low"].equals(c["ci_low"])


def test_the_vectorised_bootstrap_equals_a_loop_over_resamples():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 5, size=(37, 3)).astype(float)
    fast = cluster_bootstrap(counts, 50, np.random.default_rng(7))
    drawn = np.random.default_rng(7).integers(0, 37, size=(50, 37))
    slow = np.array([counts[d].sum(axis=0) / counts[d].sum() for d in drawn])
    assert np.allclose(fast, slow)


def test_one_sentence_documents_match_the_binomial_standard_error():
    counts = np.zeros((2000, 2))
    counts[:600, 0] = 1
    counts[600:, 1] = 1
    shares = cluster_bootstrap(counts, 2000, np.random.default_rng(1))[:, 0]
    assert shares.std() == pytest.approx(np.sqrt(0.3 * 0.7 / 2000), rel=0.1)


def test_over_a_date_column_by_month(output, tmp_path):
    data = pd.read_parquet(output)
    data.loc[0, "date"] = "not a date"
    path = tmp_path / "rows.csv"
    data.to_csv(path, index=False)
    shares = summarize(path, by="outlet", over="date", freq="month")
    table = shares.table
    assert set(table["date"]) == {"2024-01", "2024-02", "2024-03"}
    jan = data[(data["outlet"] == "wire") & data["date"].str.startswith("2024-01")]
    row = table[(table["outlet"] == "wire") & (table["date"] == "2024-01")
                & (table["task"] == "frame") & (table["label"] == "humanitarian")].iloc[0]
    assert row["sentences"] == len(jan)  # the undated row is left out, and said so
    assert shares.notes == [f"1 of {len(data)} sentences have no valid date in 'date' and are left out"]


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_every_output_format_gives_the_same_table(output, tmp_path, suffix):
    data = pd.read_parquet(output)
    path = tmp_path / f"rows.{suffix}"
    if suffix == "csv":
        data.to_csv(path, index=False)
    else:
        data.to_json(path, orient="records", lines=True)
    pd.testing.assert_frame_equal(summarize(path, by="outlet").table,
                                  summarize(output, by="outlet").table)


def test_html_is_self_contained(output, tmp_path):
    pytest.importorskip("matplotlib")
    for over in (None, "date"):
        target = tmp_path / f"report-{over}"
        page = write_report(summarize(output, by="outlet", over=over), target, str(output))
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
        images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
        assert len(images) == 2  # frame and stance
        assert all(base64.b64decode(i, validate=True).startswith(b"\x89PNG") for i in images)
        assert "blog †" in html and "wire" in html
        assert {p.name for p in target.iterdir()} == {"shares.csv", "summary.json", "frame.png",
                                                      "stance.png", "summary.html"}
        assert json.loads((target / "summary.json").read_text())["by"] == "outlet"


def test_group_names_are_escaped(tmp_path):
    pytest.importorskip("matplotlib")
    rows = _rows("<img src=x onerror=alert(1)>", 3, 2, random.Random(1), [1, 1, 1])
    path = tmp_path / "rows.jsonl"
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    html = write_report(summarize(path, by="outlet"), tmp_path / "r", str(path)).read_text()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_command_writes_the_folder_and_refuses_to_replace_it(output):
    pytest.importorskip("matplotlib")
    result = runner.invoke(app, ["summarize", str(output), "--by", "outlet"])
    assert result.exit_code == 0, result.output
    folder = output.with_name("rows-summary")
    assert (folder / "summary.html").is_file()
    assert "frame by outlet" in result.output and "blog †" in result.output
    again = runner.invoke(app, ["summarize", str(output), "--by", "outlet"])
    assert isinstance(again.exception, OutputError) and "--overwrite" in str(again.exception)
    assert runner.invoke(app, ["summarize", str(output), "--by", "outlet", "--overwrite"]
                         ).exit_code == 0


def test_a_missing_column_is_named(output):
    with pytest.raises(DataError, match="no column 'country' for --by"):
        summarize(output, by="country")


def test_classify_then_summarize(trained_frame, tmp_path):
    pytest.importorskip("matplotlib")
    data = tmp_path / "in.csv"
    lines = ["id,text,outlet,date"] + [
        f'{i},"Aid convoys reached the camp {i}. Troops destroyed a depot.",'
        f'{"wire" if i % 2 else "daily"},2024-0{1 + i % 2}-10' for i in range(40)]
    data.write_text("\n".join(lines) + "\n")
    out = tmp_path / "rows.parquet"
    result = runner.invoke(app, ["classify", str(data), "--model", str(trained_frame), "--out",
                                 str(out), "--id-column", "id", "--keep-columns", "outlet,date"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["summarize", str(out), "--by", "outlet", "--over", "date",
                                 "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "s" / "shares.csv")
    assert set(table["outlet"]) == {"wire", "daily"} and set(table["task"]) == {"frame"}
    assert (table.groupby(["outlet", "date"])["sentences"].first() == 40).all()
