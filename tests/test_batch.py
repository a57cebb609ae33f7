"""Batch classification as an analyst runs it: a 3,000-row CSV into Parquet, interrupted
(an exception, SIGKILL at random points, Ctrl-C) and resumed to the same bytes as an
uninterrupted run; folders of articles with offsets and summaries; every input kind and
output format; rejected rows; refused outputs; and memory that does not grow with the
input. Models are the tiny random BERTs of conftest."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from framelens.data.errors import ConfigError, DataError, OutputError
from framelens.serving import Classifier, DocumentSummary
from framelens.serving.batch import BatchOptions, classify_rows, run_batch
from framelens.serving.batch import engine as engine_module
from framelens.serving.batch.inputs import Source, text_lines
from framelens.serving.batch.manifest import work_dir_for
from framelens.serving.lines import classify_lines, line_spans
from typer.testing import CliRunner

from framelens.cli.main import app

runner = CliRunner()
ROWS = 3000
CHUNK = 50
WORDS = ("aid", "convoys", "reached", "the", "camp", "troops", "destroyed", "a", "militant",
         "depot", "talks", "resume", "shelling", "killed", "residents", "medics", "said",
         "ministry", "operations", "continue", "families", "fled", "north", "civilians", "siege",
         "hospital", "army", "rebels", "ceasefire")
OUTLETS = ("wire", "daily", "herald", "post", "gazette")


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(3, 14))
    return " ".join(words).capitalize() + "."


def write_articles_csv(path: Path, n: int = ROWS, seed: int = 0) -> Path:
    """Articles of 1-3 sentences with an id, an outlet and a date; some texts repeat."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "outlet", "date"])
        for i in range(n):
            text = (" ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
                    if i % 7 else "Aid convoys reached the camp.")
            writer.writerow([f"a{i:05d}", text, OUTLETS[i % 5], f"2024-{1 + i % 6:02d}-15"])
    return path


def options(inp: Path | str, out: Path, model: Path, **kw) -> BatchOptions:
    defaults = dict(id_column="id", keep_columns=("outlet", "date"), chunk_size=CHUNK)
    return BatchOptions((str(inp),), model=model, out=out, **(defaults | kw))


@pytest.fixture(scope="module")
def clf(trained_bundle) -> Classifier:
    return Classifier.load(trained_bundle)


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> Path:
    return write_articles_csv(tmp_path_factory.mktemp("in") / "articles.csv")


@pytest.fixture(scope="module")
def reference(articles, clf, trained_bundle, tmp_path_factory) -> pa.Table:
    """The uninterrupted run every interrupted one must reproduce."""
    out = tmp_path_factory.mktemp("ref") / "ref.parquet"
    run_batch(options(articles, out, trained_bundle), clf)
    return pq.read_table(out)


def assert_complete(out: Path, reference: pa.Table) -> None:
    table = pq.read_table(out)
    assert table.equals(reference)
    ids = table.column("doc_id").to_pylist()
    assert sorted(set(ids)) == [f"a{i:05d}" for i in range(ROWS)]  # every id, and no other
    keys = list(zip(ids, table.column("sentence_index").to_pylist(), strict=True))
    assert len(keys) == len(set(keys))  # no sentence twice
    assert not work_dir_for(out).exists()
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]


# -- the reference run -------------------------------------------------------------------------
def test_csv_to_parquet_rows_follow_the_one_schema(reference, articles, clf):
    from framelens.serving.batch.writers import output_columns

    assert reference.column_names == output_columns(clf.label_sets, False, ["outlet", "date"])
    rows = reference.slice(0, 50).to_pylist()
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(row)
    source = {r["id"]: r for r in csv.DictReader(articles.open(encoding="utf-8"))}
    for doc_id, doc_rows in by_doc.items():
        analysis = clf.analyze(source[doc_id]["text"], doc_id=doc_id)
        expected = [r | {"outlet": source[doc_id]["outlet"], "date": source[doc_id]["date"]}
                    for r in analysis.rows()]
        # Same rows as the Python API, kept columns appended. Probabilities may differ in the
        # last rounded digit: the engine batches sentences of many documents together, so the
        # padding (and the float sums) differ from one article scored alone.
        assert [r.keys() for r in doc_rows] == [r.keys() for r in expected]
        for got, want in zip(doc_rows, expected, strict=True):
            for key, value in want.items():
                if isinstance(value, float):
                    assert got[key] == pytest.approx(value, abs=2e-4), key
                else:
                    assert got[key] == value, key
    # Input order: documents in file order, sentences in document order.
    ids = reference.column("doc_id").to_pylist()
    assert ids == sorted(ids)


def test_identical_sentences_in_a_chunk_are_classified_once(articles, trained_bundle, tmp_path):
    clf = Classifier.load(trained_bundle)
    seen: list[str] = []
    original = clf.predictor.predict_proba

    def counting(texts, *args, **kwargs):
        seen.extend(texts)
        return original(texts, *args, **kwargs)

    clf.predictor.predict_proba = counting
    out = tmp_path / "o.parquet"
    report = run_batch(options(articles, out, trained_bundle, chunk_size=ROWS * 10), clf)
    texts = pq.read_table(out).column("text").to_pylist()
    assert report.sentences == len(texts) and len(seen) == len(set(texts)) < len(texts)


# -- interrupted and resumed -------------------------------------------------------------------
def test_a_crash_after_some_chunks_resumes_to_the_same_output(articles, reference, clf,
                                                              trained_bundle, tmp_path,
                                                              monkeypatch):
    out = tmp_path / "out.parquet"
    real_commit = engine_module.commit_chunk
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 9:
            raise RuntimeError("simulated crash")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(engine_module, "commit_chunk", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_batch(options(articles, out, trained_bundle), clf)
    monkeypatch.undo()
    assert not out.exists()
    manifest = json.loads((work_dir_for(out) / "manifest.json").read_text())
    assert manifest["chunks_done"] == 8 and not manifest["complete"]
    with pytest.raises(OutputError, match="--resume"):
        run_batch(options(articles, out, trained_bundle), clf)
    report = run_batch(options(articles, out, trained_bundle, resume=True), clf)
    assert report.resumed_chunks == 8 and report.classified_now < report.sentences
    assert_complete(out, reference)


def _classify_process(articles: Path, out: Path, model: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "framelens.cli.main", "classify", str(articles), "--model",
           str(model), "--out", str(out), "--id-column", "id", "--keep-columns", "outlet,date",
           "--chunk-size", str(CHUNK), "--quiet"]
    env = os.environ | {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    # A test run started in the background (nohup, `cmd &`, some CI runners) inherits an
    # ignored SIGINT, and Python keeps an inherited SIG_IGN; give the child a terminal's
    # default so Ctrl-C reaches it as it would reach a user's run.
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_default_sigint)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_chunks(out: Path, proc: subprocess.Popen, target: int) -> None:
    manifest = work_dir_for(out) / "manifest.json"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before it was interrupted: {proc.stderr.read()}"
        try:
            if json.loads(manifest.read_text())["chunks_done"] >= target:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.002)
    raise AssertionError("the run did not get going")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_a_random_point_then_resume(seed, articles, reference, clf, trained_bundle,
                                               tmp_path):
    rng = random.Random(seed)
    out = tmp_path / "out.parquet"
    proc = _classify_process(articles, out, trained_bundle)
    _wait_for_chunks(out, proc, rng.randint(1, 25))
    time.sleep(rng.uniform(0, 0.03))  # land anywhere: mid-prediction, mid-write, mid-rename
    proc.kill()
    proc.wait()
    assert not out.exists() and work_dir_for(out).is_dir()
    result = runner.invoke(app, ["classify", str(articles), "--model", str(trained_bundle), "--out",
                                 str(out), "--id-column", "id", "--keep-columns", "outlet,date",
                                 "--chunk-size", str(CHUNK), "--resume", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "resumed after" in result.output
    assert_complete(out, reference)


def test_ctrl_c_keeps_the_work_and_says_how_to_resume(articles, reference, trained_bundle,
                                                      tmp_path):
    out = tmp_path / "out.parquet"
    proc = _classify_process(articles, out, trained_bundle)
    _wait_for_chunks(out, proc, 5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    result = runner.invoke(app, ["classify", str(articles), "--model", str(trained_bundle), "--out",
                                 str(out), "--id-column", "id", "--keep-columns", "outlet,date",
                                 "--chunk-size", str(CHUNK), "--resume"])
    assert result.exit_code == 0, result.output
    assert_complete(out, reference)


def test_a_changed_input_or_other_options_refuse_to_resume(clf, trained_bundle, tmp_path,
                                                           monkeypatch):
    data = write_articles_csv(tmp_path / "in.csv", 400)
    out = tmp_path / "out.parquet"
    monkeypatch.setattr(engine_module, "commit_chunk", _fail_after(engine_module.commit_chunk, 2))
    with pytest.raises(RuntimeError):
        run_batch(options(data, out, trained_bundle), clf)
    monkeypatch.undo()
    with pytest.raises(ConfigError, match="chunk-size was 50.*now 60"):
        run_batch(options(data, out, trained_bundle, chunk_size=60, resume=True), clf)
    with data.open("a", encoding="utf-8") as fh:
        fh.write('a99999,"One more article.",wire,2024-01-01\n')
    with pytest.raises(ConfigError, match=r"cannot resume: .*in\.csv changed \(size, mtime_ns, sha256\)"):
        run_batch(options(data, out, trained_bundle, resume=True), clf)
    run_batch(options(data, out, trained_bundle, overwrite=True), clf)  # starting again works
    assert pq.read_table(out).column("doc_id").to_pylist()[-1] == "a99999"


def _fail_after(real, n: int):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > n:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    return wrapper


# -- folders, text files, stdin ----------------------------------------------------------------
ARTICLE_A = ("Aid blocked in the north\n\nShelling killed  eleven residents, medics said.\n"
             "The ministry said its aircraft destroyed an \u201cextremist\u201d depot.\r\n\r\n"
             "Families fled north; the U.N. said 3.5 million\npeople need aid.\n")
ARTICLE_B = "Talks resume on Monday. Troops advanced at 6 a.m. Then the shelling began.\n"


def test_a_folder_of_articles_gives_offsets_and_a_summary(clf, trained_bundle, tmp_path):
    folder = tmp_path / "articles"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "a.txt").write_text(ARTICLE_A, encoding="utf-8", newline="")
    (folder / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    (folder / "notes.md").write_text("not an article")
    out, summary = tmp_path / "rows.jsonl", tmp_path / "docs.csv"
    report = run_batch(BatchOptions((str(folder),), model=trained_bundle, out=out,
                                    summary=summary), clf)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.items == 2 and report.sentences == len(rows)
    docs = {"2024/a.txt": ARTICLE_A, "b.txt": ARTICLE_B}
    assert [r["doc_id"] for r in rows] == sorted(r["doc_id"] for r in rows)  # sorted paths
    for row in rows:
        source = docs[row["doc_id"]]
        assert " ".join(source[row["start"]:row["end"]].split()) == row["text"]
    summaries = {r["doc_id"]: r for r in csv.DictReader(summary.open(encoding="utf-8"))}
    for doc_id, text in docs.items():
        analysis = clf.analyze(text, doc_id=doc_id)
        assert [r for r in rows if r["doc_id"] == doc_id] == analysis.rows()
        expected = {k: str(v) for k, v in analysis.summary.flat().items()}
        assert summaries[doc_id] == {"doc_id": doc_id} | expected


def test_a_summary_spanning_chunks_equals_the_api_summary(clf, trained_bundle, tmp_path):
    article = tmp_path / "long.txt"
    lines = [f"{sentence(random.Random(i))}\n" for i in range(230)]
    article.write_text("".join(lines), encoding="utf-8")
    out, summary = tmp_path / "rows.parquet", tmp_path / "docs.jsonl"
    run_batch(BatchOptions((str(article),), model=trained_bundle, out=out, summary=summary,
                           unit="sentence", chunk_size=40), clf)
    results = clf.predict([line.strip() for line in lines])
    [row] = [json.loads(line) for line in summary.read_text().splitlines()]
    assert row == {"doc_id": "long.txt"} | DocumentSummary.of(results, clf.label_sets).flat()


def test_lines_mode_keeps_source_line_numbers(clf, trained_frame, tmp_path):
    text = "Shelling killed residents.\r\n\nTalks\x0cresume.\rTroops advanced.\u2028ok\n  \n x "
    path = tmp_path / "lines.txt"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    streamed = [(r.line, r.start, r.start + len(r.text))
                for r in text_lines(Source(str(path), path, "lines.txt", "text"))]
    assert streamed == line_spans(text)
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, ["classify", str(path), "--lines", "--model", str(trained_frame),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    # U+2028 stays raw inside a JSON string: split on \n only, as JSON Lines readers do.
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    frame = Classifier.load(trained_frame)
    assert rows == classify_lines(frame, text, doc_id="lines.txt")
    assert list(rows[0])[:3] == ["doc_id", "sentence_index", "line"]


def test_one_article_without_out_prints_the_table(trained_bundle, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE_A)
    result = runner.invoke(app, ["classify", str(article), "--model", str(trained_bundle)])
    assert result.exit_code == 0, result.output
    assert "Aid blocked in the north" in result.output and "stance" in result.output


@pytest.mark.parametrize("unit", ["document", "sentence"])
def test_stdin(unit, trained_frame, tmp_path):
    out = tmp_path / "o.csv"
    result = runner.invoke(app, ["classify", "-", "--model", str(trained_frame), "--out", str(out),
                                 "--unit", unit], input=ARTICLE_B + "Aid arrived.\n")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    texts = [r["text"] for r in rows]
    if unit == "document":
        assert texts == ["Talks resume on Monday.", "Troops advanced at 6 a.m.",
                         "Then the shelling began.", "Aid arrived."]
    else:
        assert texts == [ARTICLE_B.strip(), "Aid arrived."] and rows[1]["line"] == "2"
    assert {r["doc_id"] for r in rows} == {"stdin"}


def test_stdin_table_without_out(trained_frame):
    rows, tasks = classify_rows(BatchOptions(("-",), model=trained_frame),
                                stdin=io.BytesIO(ARTICLE_B.encode()))
    assert tasks == ["frame"] and len(rows) == 3


# -- tables in, formats out --------------------------------------------------------------------
def test_every_table_format_in_and_every_format_out_gives_the_same_rows(clf, trained_bundle,
                                                                        tmp_path):
    import pandas as pd

    data = write_articles_csv(tmp_path / "in.csv", 120)
    frame = pd.read_csv(data, dtype=str)
    frame.to_csv(tmp_path / "in.tsv", sep="\t", index=False)
    frame.to_json(tmp_path / "in.jsonl", orient="records", lines=True, force_ascii=False)
    frame.to_parquet(tmp_path / "in.parquet")
    outputs = {}
    for src in ("csv", "tsv", "jsonl", "parquet"):
        for fmt in ("jsonl", "csv", "parquet"):
            out = tmp_path / f"{src}-out.{fmt}"
            run_batch(options(tmp_path / f"in.{src}", out, trained_bundle, chunk_size=37), clf)
            outputs[src, fmt] = _read_any(out)
    first = outputs["csv", "parquet"]
    assert len(first) > 120
    for key, got in outputs.items():
        pd.testing.assert_frame_equal(got, first, check_dtype=False, obj=str(key))


def _read_any(path: Path):
    import pandas as pd

    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    elif path.suffix == ".csv":
        table = pd.read_csv(path, dtype={"doc_id": str, "outlet": str, "date": str})
    else:
        table = pd.read_json(path, lines=True, dtype={"doc_id": str, "date": str})
    return table.astype({"date": str})


def test_parquet_keeps_the_types_of_kept_columns(clf, trained_frame, tmp_path):
    import datetime as dt

    table = pa.table({"body": ["Aid arrived. Troops left.", "Talks resume."],
                      "day": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)], "n": [1, 2]})
    pq.write_table(table, tmp_path / "in.parquet")
    out = tmp_path / "o.parquet"
    run_batch(BatchOptions((str(tmp_path / "in.parquet"),), model=trained_frame, out=out,
                           text_column="body", keep_columns=("day", "n")), Classifier.load(trained_frame))
    got = pq.read_table(out)
    assert got.schema.field("day").type == pa.date32() and got.schema.field("n").type == pa.int64()
    assert got.column("doc_id").to_pylist() == ["1", "1", "2"]  # row numbers name documents


def test_sentence_unit_on_a_table_gives_one_row_per_row(clf, trained_bundle, tmp_path):
    data = tmp_path / "s.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": f"  Aid arrived {i}. Troops left.  "}) + "\n"
                            for i in range(5)))
    out = tmp_path / "o.jsonl"
    run_batch(BatchOptions((str(data),), model=trained_bundle, out=out, unit="sentence",
                           id_column="id"), clf)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["doc_id"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[0]["start"] == 2 and rows[0]["end"] == 2 + len("Aid arrived 0. Troops left.")


# -- bad rows ----------------------------------------------------------------------------------
def _dirty_csv(path: Path) -> Path:
    path.write_bytes(
        b"id,text,outlet\n"
        b"1,Aid arrived.,wire\n"
        b"2,,wire\n"                                  # empty text
        b",Troops left.,daily\n"                      # missing id
        b"4,\"A quoted\nnewline sentence.\",post\n"   # lines 5-6: one row
        b"5,Caf\xe9 owners fled.,post\n"              # line 7: not UTF-8
        b"6,Too,many,fields\n"                        # line 8: ragged
        b"7,Talks resume.,wire\n")
    return path


def test_on_error_skip_writes_rejects_and_counts_them(clf, trained_frame, tmp_path):
    data = _dirty_csv(tmp_path / "dirty.csv")
    out = tmp_path / "o.csv"
    result = runner.invoke(app, ["classify", str(data), "--model", str(trained_frame), "--out",
                                 str(out), "--id-column", "id", "--on-error", "skip"])
    assert result.exit_code == 0, result.output
    assert "4 rejected" in " ".join(result.output.split())
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["doc_id"] for r in rows] == ["1", "4", "7"]
    assert rows[1]["text"] == "A quoted newline sentence."
    rejects = [json.loads(line) for line in (tmp_path / "o.csv.rejects.jsonl").read_text().splitlines()]
    assert [(r["row"], r["field"]) for r in rejects] == [
        (3, "text"), (4, "id"), (7, "(encoding)"), (8, "(row)")]
    assert rejects[0] == {"source": str(data), "row": 3, "field": "text", "problem": "empty text"}
    assert "invalid UTF-8 byte 0xe9 at column 6" in rejects[2]["problem"]


def test_on_error_fail_names_the_row_and_writes_nothing(trained_frame, tmp_path):
    data = _dirty_csv(tmp_path / "dirty.csv")
    out = tmp_path / "o.parquet"
    result = runner.invoke(app, ["classify", str(data), "--model", str(trained_frame), "--out",
                                 str(out), "--id-column", "id"])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError)
    assert str(result.exception).splitlines()[0] == f"{data}:3: text: empty text"
    assert list(tmp_path.iterdir()) == [data]


def test_a_json_array_is_named_as_such(trained_frame, tmp_path):
    data = tmp_path / "array.jsonl"
    data.write_text('[\n {"text": "Aid arrived."}\n]\n')
    with pytest.raises(DataError, match="JSON array, not JSON Lines"):
        run_batch(BatchOptions((str(data),), model=trained_frame, out=tmp_path / "o.jsonl"))


def test_a_missing_column_is_named_before_the_model_loads(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("id,body\n1,Aid arrived.\n")
    with pytest.raises(DataError, match=r"no column 'text' \(columns: id, body\)"):
        run_batch(BatchOptions((str(data),), model=tmp_path / "no-model", out=tmp_path / "o.csv"))


# -- outputs refused ---------------------------------------------------------------------------
class NeverCalled:
    tasks = ["frame"]

    def labels(self, task=None):
        return ("a", "b")

    def predict(self, *args, **kwargs):
        raise AssertionError("the model was called")


def test_an_existing_output_is_refused_without_overwrite(trained_frame, tmp_path):
    data = tmp_path / "a.txt"
    data.write_text(ARTICLE_B)
    out = tmp_path / "o.jsonl"
    out.write_text("precious\n")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        run_batch(BatchOptions((str(data),), model=trained_frame, out=out), NeverCalled())
    assert out.read_text() == "precious\n"
    run_batch(BatchOptions((str(data),), model=trained_frame, out=out, overwrite=True),
              Classifier.load(trained_frame))
    assert len(out.read_text().splitlines()) == 3


def test_an_unwritable_output_fails_before_any_prediction(tmp_path):
    data = tmp_path / "a.txt"
    data.write_text(ARTICLE_B)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write the output here"):
        run_batch(BatchOptions((str(data),), out=blocker / "o.parquet"), NeverCalled())
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="cannot write the output here"):
            run_batch(BatchOptions((str(data),), out=locked / "o.parquet"), NeverCalled())


@pytest.mark.parametrize("bad,message", [
    (dict(chunk_size=0), "chunk size must be"), (dict(batch_size=-1), "batch size must be"),
    (dict(unit="page"), "unit must be"), (dict(on_error="ignore"), "on-error must be"),
    (dict(resume=True, overwrite=True), "pass one"),
    (dict(keep_columns=("text",)), "already in every row"),
])
def test_options_are_checked_before_anything_runs(bad, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        BatchOptions(("x.csv",), out=tmp_path / "o.csv", **bad)


def test_unsupported_output_type(tmp_path):
    with pytest.raises(OutputError, match="unsupported output type .xlsx"):
        BatchOptions(("x.csv",), out=tmp_path / "o.xlsx")


# -- memory ------------------------------------------------------------------------------------
def _sentences_jsonl(path: Path, n: int) -> Path:
    rng = random.Random(n)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": i, "text": f"{sentence(rng)} {i}"}) + "\n")
    return path


def _peak_bytes(clf, data: Path, out: Path) -> int:
    tracemalloc.start()
    try:
        run_batch(BatchOptions((str(data),), out=out, unit="sentence", id_column="id",
                               chunk_size=500), clf)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_input(trained_frame, tmp_path):
    clf = Classifier.load(trained_frame)
    small = _peak_bytes(clf, _sentences_jsonl(tmp_path / "small.jsonl", 2_000),
                        tmp_path / "small.parquet")
    large = _peak_bytes(clf, _sentences_jsonl(tmp_path / "large.jsonl", 20_000),
                        tmp_path / "large.parquet")
    assert pq.read_metadata(tmp_path / "large.parquet").num_rows == 20_000
    # Ten times the input, about the same peak: chunks, not the input, bound memory.
    assert large < small * 1.3 + (1 << 20), (small, large)


# -- disks that fail ---------------------------------------------------------------------------
def test_a_full_disk_is_one_clear_error_and_the_run_resumes(clf, trained_bundle, tmp_path,
                                                            monkeypatch):
    import errno

    from framelens.data.outputs import atomic_file
    from framelens.serving.batch import output as output_module

    data = write_articles_csv(tmp_path / "in.csv", 300)
    out = tmp_path / "o.parquet"
    real_write, calls = output_module.write_part, {"n": 0}

    def filling(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 10:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(output_module, "write_part", filling)
    with pytest.raises(OutputError, match="No space left on device.*--resume"):
        run_batch(options(data, out, trained_bundle), clf)
    monkeypatch.undo()
    assert not out.exists() and work_dir_for(out).is_dir()

    def half_written(parts, target, *args, **kwargs):
        with atomic_file(target, "wb") as fh:
            fh.write(b"PAR1 half a file")
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output_module, "concat_parts", half_written)
    with pytest.raises(OutputError, match="No space left on device"):
        run_batch(options(data, out, trained_bundle, resume=True), clf)
    monkeypatch.undo()
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    report = run_batch(options(data, out, trained_bundle, resume=True), clf)
    assert report.classified_now == 0  # every chunk was committed; only the joining was left
    reference = tmp_path / "ref.parquet"
    run_batch(options(data, reference, trained_bundle), clf)
    assert pq.read_table(out).equals(pq.read_table(reference))


def test_a_glob_names_documents_relative_to_its_fixed_part(clf, trained_frame, tmp_path):
    for name in ("x/2024/a.txt", "x/2025/b.txt", "x/c.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(ARTICLE_B)
    out = tmp_path / "o.jsonl"
    run_batch(BatchOptions((f"{tmp_path}/x/**/*.txt",), out=out), Classifier.load(trained_frame))
    ids = [json.loads(line)["doc_id"] for line in out.read_text().splitlines()]
    assert sorted(set(ids)) == ["2024/a.txt", "2025/b.txt"] and ids == sorted(ids)


def test_a_table_without_out_is_refused(trained_frame, tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("text\nAid arrived.\n")
    with pytest.raises(ConfigError, match="--out FILE is needed"):
        classify_rows(BatchOptions((str(data),), model=trained_frame))


# -- the bad-input catalogue (each refused before the model is called) -----------------------
def _wrong_type_parquet(path: Path) -> None:
    pq.write_table(pa.table({"text": [1, 2]}), path)


BAD_INPUTS = [
    ("empty.csv", b"", "(file): no rows: the file is empty or holds only a header"),
    ("header.csv", b"id,text\n", "(file): no rows"),
    ("header.tsv", b"id\ttext\r\n", "(file): no rows"),
    ("empty.jsonl", b"\n\n", "(file): no rows"),
    ("empty.txt", b"", "(text): no sentences found (the file is empty)"),
    ("blank.txt", b" \r\n\t\n", "(text): no sentences found (the file is empty)"),
    ("utf16.txt", "Aid arrived.".encode("utf-16"),
     ":1: (encoding): invalid UTF-8 byte 0xff at column 1"),
    ("latin1.csv", b"text\nCaf\xe9\n", ":2: (encoding): invalid UTF-8 byte 0xe9 at column 4"),
    ("ragged.csv", b"text,id\nA.,1\nB.\n", ":3: (row): has 1 fields; the header has 2"),
    ("spaces.csv", b"text\n   \n", ":2: text: empty text"),
    ("broken.jsonl", b'{"text": "A."}\n{"text": \n', ":2: (json): not valid JSON"),
    ("string.jsonl", b'{"text": "A."}\n"a string"\n', ":2: (json): each line must be a JSON object"),
    ("number.jsonl", b'{"text": 5}\n', ":1: text: not text (int)"),
    ("null.jsonl", b'{"text": null}\n', ":1: text: missing value"),
    ("nokey.jsonl", b'{"body": "A."}\n', ":1: text: no such field (fields: body)"),
    ("array.jsonl", b'[{"text": "A."}]\n', ":1: (json): the file holds a JSON array"),
    ("nocolumn.csv", b"body\nA.\n", "(columns): no column 'text' (columns: body)"),
    ("fake.parquet", b"not parquet at all", "(file): not a readable Parquet file"),
    ("numbers.parquet", _wrong_type_parquet, "text: the column holds int64, not text"),
    ("sheet.xlsx", b"PK\x03\x04", "(format): unsupported file type .xlsx"),
]


@pytest.mark.parametrize("name,content,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_one_clear_message(name, content, message, tmp_path):
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        run_batch(BatchOptions((str(path),), out=tmp_path / "out" / "o.jsonl"), NeverCalled())
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_paths_that_are_not_files(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "empty-folder").mkdir()
    for given, message in ((tmp_path / "missing.csv", "(file): no such file"),
                           (tmp_path / "loop", "(file): a broken link or a link loop"),
                           (tmp_path / "empty-folder", "(file): the folder holds no .txt files"),
                           (tmp_path / "*.nothing", "(file): no file matches this pattern")):
        with pytest.raises(DataError, match=re.escape(f"{given}: {message}")):
            run_batch(BatchOptions((str(given),), out=tmp_path / "o.jsonl"), NeverCalled())


def test_odd_but_valid_text_is_classified_with_exact_offsets(tmp_path, trained_frame):
    huge = "word " * 200_000  # a 1 MB "sentence": truncated by the model, still one row
    odd = ["\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd. Aid \U0001F69A arrived.",
           "Control\x07 characters\x0b stay.", huge]
    data = tmp_path / "odd.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in odd), encoding="utf-8")
    out = tmp_path / "o.parquet"
    run_batch(BatchOptions((str(data),), out=out), Classifier.load(trained_frame))
    rows = pq.read_table(out).to_pylist()
    for row in rows:
        source = odd[int(row["doc_id"]) - 1]
        assert " ".join(source[row["start"]:row["end"]].split()) == row["text"]
    assert len(rows[-1]["text"]) == len(huge.strip())
