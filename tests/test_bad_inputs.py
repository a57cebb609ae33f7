"""The bad-input catalogue: every kind of dirty file, config and model directory a user
may hand framelens, each refused with one message that names file:row and field (or the
path), or accepted with the documented behaviour. A subset runs the real CLI in a
subprocess to prove there is no traceback and the exit code is 2.

Each case carries `@pytest.mark.reliability(area, case, expect)`; the README's
Reliability table is generated from these markers (tools/reliability_table.py).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from framelens.data.errors import ConfigError, DataError, ModelError
from framelens.data.labelled import load_labelled
from framelens.data.tasks import FRAME

HEADER = b"text,frame\n"
GOOD = b"Aid trucks reached the camp.,humanitarian\n"


def case(area: str, name: str, expect: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(area=area, case=name, expect=expect)


def _parquet(path: Path, columns: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)


def _error(path: Path, task=FRAME) -> DataError:
    with pytest.raises(DataError) as err:
        load_labelled(path, task)
    message = str(err.value)
    assert "Traceback" not in message
    return err.value


# -- files that are refused: (file name, content, expected message after "PATH") --------------
Content = bytes | Callable[[Path], None]
REFUSED: list = [
    pytest.param("latin1.csv", HEADER + GOOD + b"Caf\xe9 shelled.,humanitarian\n",
                 r":3: \(encoding\): invalid UTF-8 byte 0xe9 at column 4; re-save the file as UTF-8",
                 marks=case("data file", "invalid UTF-8 (CSV)", "error names line and column")),
    pytest.param("latin1.jsonl", b'{"text": "ok then fine", "frame": "neutral"}\n{"text": "caf\xe9"}\n',
                 r":2: \(encoding\): invalid UTF-8 byte 0xe9",
                 marks=case("data file", "invalid UTF-8 (JSONL)", "error names line and column")),
    pytest.param("lone_cr_latin1.csv", HEADER.replace(b"\n", b"\r") + GOOD.replace(b"\n", b"\r")
                 + b"Caf\xe9 shelled.,humanitarian\r",
                 r":3: \(encoding\): invalid UTF-8 byte 0xe9",
                 marks=case("data file", "invalid UTF-8 after lone-CR line ends",
                            "line counted with CR as a line end")),
    pytest.param("utf16.csv", (HEADER + GOOD).decode().encode("utf-16"),
                 r": \(encoding\): the file is UTF-16 \(little-endian\) encoded; re-save it as UTF-8",
                 marks=case("data file", "UTF-16 with byte-order mark", "error names UTF-16")),
    pytest.param("utf16_nobom.csv", (HEADER + GOOD).decode().encode("utf-16-le"),
                 r": \(encoding\): the file looks UTF-16 \(little-endian\) encoded",
                 marks=case("data file", "UTF-16 without byte-order mark", "error names UTF-16")),
    pytest.param("empty.csv", b"", r": \(file\): the file is empty",
                 marks=case("data file", "empty file (0 bytes)", "error: the file is empty")),
    pytest.param("blank.jsonl", b"\n  \n\n", r": \(file\): the file is empty",
                 marks=case("data file", "whitespace-only file", "error: the file is empty")),
    pytest.param("header_only.csv", HEADER, r": \(file\): contains no rows \(only a header\?\)",
                 marks=case("data file", "CSV with a header only", "error: no rows")),
    pytest.param("empty_text.csv", HEADER + GOOD + b",neutral\n", r":3: text: empty text",
                 marks=case("data file", "empty text", "error names line and field")),
    pytest.param("space_text.jsonl", b'{"text": " \\t\\u00a0 ", "frame": "neutral"}\n',
                 r":1: text: empty text",
                 marks=case("data file", "whitespace-only text", "error names line and field")),
    pytest.param("no_text.csv", b"sentence,frame\nAid came.,neutral\n",
                 r": text: missing column \(columns found: sentence, frame\)",
                 marks=case("data file", "missing text column", "error lists the columns found")),
    pytest.param("no_label.csv", b"text\nAid came.\n",
                 r": frame: missing column \(columns found: text\)",
                 marks=case("data file", "missing label column", "error lists the columns found")),
    pytest.param("null_label.jsonl", b'{"text": "Aid came today.", "frame": null}\n',
                 r":1: frame: missing label",
                 marks=case("data file", "null label (JSON)", "error: missing label")),
    pytest.param("nan_label.parquet",
                 lambda p: _parquet(p, {"text": ["Aid came today."], "frame": [math.nan]}),
                 r":1: frame: missing label \(NaN\)",
                 marks=case("data file", "NaN label (Parquet)", "error: missing label (NaN)")),
    pytest.param("empty_label.csv", HEADER + b"Aid came today.,\n", r":2: frame: missing label",
                 marks=case("data file", "empty label cell (CSV)", "error: missing label")),
    pytest.param("unknown_label.csv", HEADER + b"Talks resume.,peace\n",
                 r":2: frame: unknown label 'peace' for task 'frame' \(allowed: humanitarian, "
                 r"counter_terrorism, neutral\)",
                 marks=case("data file", "unknown label", "error lists the allowed labels")),
    pytest.param("numeric_label.jsonl",
                 b'{"text": "Talks resume.", "frame": "neutral"}\n{"text": "Aid came.", "frame": 0}\n',
                 r":2: frame: unknown label 0 for task 'frame' .*labels are names, not class numbers",
                 marks=case("data file", "numeric label 0 (JSON)", "flagged like any unknown label")),
    pytest.param("numeric_label.csv", HEADER + b"Talks resume.,1\n",
                 r":2: frame: unknown label '1' .*labels are names, not class numbers",
                 marks=case("data file", "numeric label 1 (CSV)", "flagged like any unknown label")),
    pytest.param("malformed.jsonl", b'{"text": "Talks resume.", "frame": "neutral"}\n{"text": "x" "frame"}\n',
                 r":2: \(json\): not valid JSON at column 14: Expecting ',' delimiter",
                 marks=case("data file", "malformed JSON line", "error names line and column")),
    pytest.param("array.jsonl", json.dumps([{"text": f"t {i}", "frame": "neutral"} for i in range(50)],
                                           indent=1).encode(),
                 r":1: \(json\): the file holds one JSON array, not JSON Lines .*jq -c",
                 marks=case("data file", "JSON array in a .jsonl file", "one error with a hint")),
    pytest.param("not_object.jsonl", b'["Aid came.", "neutral"]\n',
                 r":1: \(json\): the file holds one JSON array",
                 marks=case("data file", "JSONL line that is a list", "one error with a hint")),
    pytest.param("scalar.jsonl", b'{"text": "Aid came.", "frame": "neutral"}\n"just text"\n',
                 r":2: \(json\): each line must be a JSON object, got text",
                 marks=case("data file", "JSONL line that is a string", "error names the line")),
    pytest.param("deep.jsonl", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
                 r":1: \(json\): not valid JSON: nested too deeply",
                 marks=case("data file", "deeply nested JSON line", "error, no RecursionError")),
    pytest.param("ragged_short.csv", HEADER + GOOD + b"Talks resume on Monday\n",
                 r":3: \(row\): has 1 field\(s\) but the header has 2 \(text, frame\); a missing field",
                 marks=case("data file", "ragged CSV: short row", "error names the row's line")),
    pytest.param("ragged_long.csv", HEADER + GOOD + b"Talks, the envoy said, resume.,neutral\n",
                 r":3: \(row\): has 4 field\(s\) but the header has 2 .*unquoted comma",
                 marks=case("data file", "ragged CSV: long row", "error names the row's line")),
    pytest.param("ragged.tsv", b"text\tframe\nAid came.\tneutral\textra\n",
                 r":2: \(row\): has 3 field\(s\) but the header has 2 .*unquoted tab",
                 marks=case("data file", "ragged TSV row", "error names the row's line")),
    pytest.param("quoted_newline.csv",
                 HEADER + b'"First line\nsecond line\nthird line.",neutral\n'
                 + b'"Another\n\nparagraph.",neutral\nTalks resume.,peace\n',
                 r":8: frame: unknown label 'peace'",
                 marks=case("data file", "CSV fields with quoted newlines",
                            "a later row's error names the line it starts on")),
    pytest.param("unclosed_quote.csv", HEADER + GOOD + b'"Talks resume.,neutral\nAid came.,neutral\n',
                 r":3: \(row\): a quote opened in this row is never closed",
                 marks=case("data file", "CSV quote never closed", "error names the row's line")),
    pytest.param("dup_header.csv", b"text,frame,text\nA b c.,neutral,x\n",
                 r":1: text: the header names this column more than once",
                 marks=case("data file", "CSV header with a repeated column", "error names it")),
    pytest.param("wrong_types.parquet",
                 lambda p: _parquet(p, {"text": [5], "frame": ["neutral"]}),
                 r":1: text: text must be a string, got int 5",
                 marks=case("data file", "Parquet with wrong column types",
                            "error names record and field")),
    pytest.param("truncated.parquet", b"PAR1" + b"\x00\x01" * 20,
                 r": \(file\): is not a readable Parquet file \(damaged or truncated",
                 marks=case("data file", "truncated Parquet file", "error, no pyarrow trace")),
    pytest.param("text.parquet", HEADER + GOOD,
                 r": \(file\): is not a Parquet file \(it does not start with PAR1\)",
                 marks=case("data file", "CSV text named .parquet", "error names the problem")),
    pytest.param("binary.csv", bytes(range(256)) * 8,
                 r": \(file\): is not text \(binary data",
                 marks=case("data file", "binary file named .csv", "error: not text")),
    pytest.param("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(64),
                 r": \(file\): is not text: it is a PNG image",
                 marks=case("data file", "PNG image named .csv", "error names what it is")),
    pytest.param("workbook.csv", b"PK\x03\x04" + bytes(64),
                 r": \(file\): is not text: it is a ZIP archive \(an Excel .xlsx workbook",
                 marks=case("data file", "Excel workbook named .csv", "error: export it as CSV")),
    pytest.param("nul.csv", HEADER + b"Aid\x00 came.,neutral\n",
                 r":2: \(encoding\): a NUL byte at column 4",
                 marks=case("data file", "NUL byte inside a text file", "error names line and column")),
    pytest.param("mixed_types.jsonl",
                 b'{"text": "Aid came today.", "frame": "neutral"}\n'
                 b'{"text": ["a", "list"], "frame": "neutral"}\n',
                 r":2: text: text must be a string, got list",
                 marks=case("data file", "a list where text belongs (JSON)", "error names line and field")),
    pytest.param("workbook.xlsx", b"PK\x03\x04",
                 r": \(format\): unsupported file type .xlsx; use one of .csv, .tsv, .jsonl, .json, .parquet",
                 marks=case("data file", "unsupported suffix (.xlsx)", "error lists the formats")),
]


@pytest.mark.parametrize(("name", "content", "expected"), REFUSED, ids=[p.values[0] for p in REFUSED])
def test_bad_file_is_one_clear_error(tmp_path, name, content, expected):
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    err = _error(path)
    assert len(err.issues) == 1, str(err)
    assert re.match(re.escape(str(path)) + expected, str(err)), str(err)


# -- paths that are not files ------------------------------------------------------------------
def _directory(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").mkdir()
    return tmp_path / "data.csv"


def _loop(tmp_path: Path) -> Path:
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    return tmp_path / "a.csv"


def _dangling(tmp_path: Path) -> Path:
    (tmp_path / "link.csv").symlink_to(tmp_path / "gone.csv")
    return tmp_path / "link.csv"


@pytest.mark.parametrize(("make", "expected"), [
    pytest.param(_directory, r": \(file\): is a directory, not a file",
                 marks=case("data file", "a directory where a file is expected", "error: is a directory")),
    pytest.param(lambda t: t / "absent.csv", r": \(file\): no such file",
                 marks=case("data file", "non-existent path", "error: no such file")),
    pytest.param(_loop, r": \(file\): symbolic link loop",
                 marks=case("data file", "symlink loop", "error: symbolic link loop")),
    pytest.param(_dangling, r": \(file\): broken symbolic link \(it points to .*gone.csv",
                 marks=case("data file", "broken symlink", "error names the missing target")),
], ids=["directory", "missing", "symlink-loop", "broken-symlink"])
def test_a_path_that_is_not_a_file_says_what_it_is(tmp_path, make, expected):
    path = make(tmp_path)
    err = _error(path)
    assert re.match(re.escape(str(path)) + expected, str(err)), str(err)


# -- files that are read, with the documented behaviour ----------------------------------------
@case("data file", "UTF-8 BOM (CSV, from Excel)", "BOM dropped: first column is 'text'")
def test_utf8_bom_is_stripped_from_the_first_field(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + GOOD)
    ds, table = load_labelled(path, FRAME)
    assert table.column_names == ["text", "frame"]
    assert ds["text"] == ["Aid trucks reached the camp."]


@case("data file", "UTF-8 BOM (JSONL)", "BOM dropped, first record read")
def test_utf8_bom_in_jsonl(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "Aid came today.", "frame": "neutral"}\n')
    ds, _ = load_labelled(path, FRAME)
    assert ds["text"] == ["Aid came today."]


@pytest.mark.parametrize("newline", [
    pytest.param(b"\r\n", marks=case("data file", "CRLF line ends", "read; line numbers exact")),
    pytest.param(b"\r", marks=case("data file", "lone CR line ends", "read; line numbers exact")),
], ids=["crlf", "cr"])
def test_crlf_and_lone_cr(tmp_path, newline):
    body = HEADER + GOOD + b'"Two\nlines.",neutral\n' + b"Talks resume.,peace\n"
    path = tmp_path / "lines.csv"
    path.write_bytes(body.replace(b"\n", newline))
    err = _error(path)
    assert str(err) .startswith(f"{path}:5: frame: unknown label 'peace'"), str(err)
    path.write_bytes((HEADER + GOOD + GOOD).replace(b"\n", newline))
    ds, table = load_labelled(path, FRAME)
    assert ds["text"] == ["Aid trucks reached the camp."] * 2 and table.row_numbers == [2, 3]


@case("data file", "CRLF line ends (JSONL)", "read")
def test_crlf_jsonl(tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b'{"text": "Aid came.", "frame": "neutral"}\r\n'
                     b'{"text": "Talks.", "frame": "neutral"}\r\n')
    ds, table = load_labelled(path, FRAME)
    assert ds["text"] == ["Aid came.", "Talks."] and table.row_numbers == [1, 2]


@case("data file", "1 MB sentence in a CSV field", "read whole (no 128 KiB field limit)")
def test_a_one_megabyte_sentence_is_read(tmp_path):
    big = ("shelling " * 120_000).strip()
    path = tmp_path / "big.csv"
    path.write_text(f"text,frame\n{big},humanitarian\n", encoding="utf-8")
    ds, _ = load_labelled(path, FRAME)
    assert ds["text"] == [big] and len(big) > 1_000_000


@case("data file", "control characters, RTL and emoji text", "read unchanged")
def test_control_characters_rtl_and_emoji_are_kept(tmp_path):
    texts = ["Aid\x07 came\x0c today\x1b.", "قصف المستشفى الليلة الماضية", "שלום 👋🏽 world 🇺🇦",
             "Line\u2028separator stays inside"]
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(json.dumps({"text": t, "frame": "neutral"}) + "\n" for t in texts),
                    encoding="utf-8")
    ds, table = load_labelled(path, FRAME)
    assert ds["text"] == texts and table.row_numbers == [1, 2, 3, 4]
    csv_path = tmp_path / "odd.csv"
    csv_path.write_text("text,frame\n" + "".join(f'"{t}",neutral\n' for t in texts), encoding="utf-8")
    assert load_labelled(csv_path, FRAME)[0]["text"] == texts


@case("data file", "duplicate ids", "warning names both lines; validate: error")
def test_duplicate_ids_warn(tmp_path, caplog):
    path = tmp_path / "dups.jsonl"
    rows = [{"id": "a1", "text": "Aid came today.", "frame": "neutral"},
            {"id": "a2", "text": "Talks resume now.", "frame": "neutral"},
            {"id": "a1", "text": "Shelling hit homes.", "frame": "humanitarian"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with caplog.at_level(logging.WARNING, logger="framelens.data.labelled"):
        ds, _ = load_labelled(path, FRAME)
    assert len(ds) == 3
    assert f"{path}:3: id: duplicate id 'a1' (first at line 1)" in caplog.text


@case("data file", "dev rows duplicated in train", "train warns before training")
def test_dev_rows_in_train_warn_before_training(tmp_path, caplog, mini_corpus):
    from framelens.training.config import load_config
    from framelens.training.trainer import load_data

    config = load_config(train=str(mini_corpus), dev=str(mini_corpus), base_model="/nowhere")
    with caplog.at_level(logging.WARNING, logger="framelens.data.labelled"):
        load_data(config)  # validates the data; no model is loaded
    assert "46 of 46 dev rows also appear in mini_corpus.jsonl" in caplog.text
    assert "dev scores will be optimistic" in caplog.text


@case("data file", "every problem of a file in one run", "all errors listed at once")
def test_every_problem_is_listed_at_once(tmp_path):
    path = tmp_path / "many.csv"
    path.write_bytes(HEADER + b",neutral\nAid came.,peace\nTalks.,\n")
    err = _error(path)
    assert [(i.row, i.field) for i in err.issues] == [(2, "text"), (3, "frame"), (4, "frame")]


# -- data validate (the corpus schema) ---------------------------------------------------------
def _corpus_row(**over) -> dict:
    row = {"id": "x1", "text": "Shelling hit the market on Monday.", "frame": "humanitarian",
           "stance": "critical", "conflict": "syria", "register": "wire_report",
           "source_type": "journalist", "split": "train"}
    return row | over


@pytest.mark.parametrize("label", [
    pytest.param(0, marks=case("data validate", "numeric label 0 in a corpus file",
                               "flagged like any unknown label")),
    pytest.param(1, marks=case("data validate", "numeric label 1 in a corpus file",
                               "flagged like any unknown label")),
])
def test_validate_flags_numeric_labels(tmp_path, label):
    from framelens.data.validate import validate_corpus

    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(_corpus_row(frame=label)) + "\n")
    report = validate_corpus([path])
    assert [str(e) for e in report.errors] == [
        f"{path}:1: frame: must be text, got int {label} "
        "(allowed: humanitarian, counter_terrorism, neutral)"]


@case("data validate", "quoted newlines in a corpus CSV", "error names the line the row starts on")
def test_validate_reports_the_line_a_row_starts_on(tmp_path):
    from framelens.data.validate import validate_corpus

    path = tmp_path / "train.csv"
    head = ",".join(_corpus_row()) + "\n"
    multi = _corpus_row(id="x1", text='"Shelling hit\nthe market\non Monday\nmorning."')
    bad = _corpus_row(id="x2", text="Talks resume in Geneva today.", frame="peace")
    path.write_text(head + ",".join(multi.values()) + "\n" + ",".join(bad.values()) + "\n")
    report = validate_corpus([path])
    assert [str(e) for e in report.errors] == [
        f"{path}:6: frame: 'peace' is not allowed (allowed: humanitarian, counter_terrorism, neutral)"]


@case("data validate", "Parquet corpus with wrong column types", "errors per field, no traceback")
def test_validate_parquet_wrong_types(tmp_path):
    from framelens.data.validate import validate_corpus

    path = tmp_path / "train.parquet"
    row = _corpus_row()
    _parquet(path, {k: [v] for k, v in row.items()} | {"text": [123], "tags": ["negation"]})
    report = validate_corpus([path])
    assert [str(e) for e in report.errors] == [
        f"{path}:1: text: must be text, got int 123",
        f"{path}:1: tags: must be a list of tag names, got str 'negation'"]


@case("data validate", "missing text column (validate/stats/audit)", "error before any work")
def test_rows_without_text_column_refused(tmp_path):
    from framelens.data.validate import load_rows

    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"sentence": "Aid came.", "frame": "neutral"}) + "\n")
    with pytest.raises(DataError) as err:
        load_rows([path])
    assert str(err.value).startswith(f"{path}: text: missing column (columns found: sentence, frame)")


# -- model directories -------------------------------------------------------------------------
def _copy_model(trained_frame: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "model"
    shutil.copytree(trained_frame, target)
    return target


def _no_weights(d: Path) -> None:
    (d / "model.safetensors").unlink()


def _truncated(d: Path) -> None:
    w = d / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])


def _garbage(d: Path) -> None:
    (d / "model.safetensors").write_bytes(b"\x00garbage" * 100)


def _pickle_only(d: Path) -> None:
    (d / "model.safetensors").rename(d / "pytorch_model.bin")


def _no_config(d: Path) -> None:
    (d / "config.json").unlink()


def _bad_metadata(d: Path) -> None:
    (d / "framelens.json").write_text("{not json")


MODEL_CASES = [
    pytest.param(_no_weights, r": no weights \(model.safetensors is missing\)",
                 marks=case("model dir", "model directory without weights", "error names the file")),
    pytest.param(_truncated, r": the model could not be loaded",
                 marks=case("model dir", "truncated model.safetensors", "error, no traceback")),
    pytest.param(_garbage, r": the model could not be loaded",
                 marks=case("model dir", "corrupt model.safetensors", "error, no traceback")),
    pytest.param(_pickle_only, r": weights are only in pickle format \(pytorch_model.bin\).*--allow-pickle",
                 marks=case("model dir", "pickle-only model directory", "refused unless --allow-pickle")),
    pytest.param(_no_config, r" is not a trained model directory \(no config.json\)",
                 marks=case("model dir", "directory that is not a model", "error says what to pass")),
    pytest.param(_bad_metadata, r"/framelens.json: not valid JSON",
                 marks=case("model dir", "damaged framelens.json", "error names the file")),
]


@pytest.mark.parametrize(("damage", "expected"), MODEL_CASES,
                         ids=[p.values[0].__name__.strip("_") for p in MODEL_CASES])
def test_bad_model_directory(trained_frame, tmp_path, damage, expected):
    from framelens.serving.classifier import Classifier

    model = _copy_model(trained_frame, tmp_path)
    damage(model)
    with pytest.raises(ModelError) as err:
        Classifier.load(model, device="cpu")
    assert re.match(re.escape(str(model)) + expected, str(err.value)), str(err.value)


@case("model dir", "missing model path", "error: no such model directory")
def test_missing_model_path(tmp_path):
    from framelens.serving.classifier import Classifier

    with pytest.raises(ModelError, match=r"absent: no such model directory or bundle"):
        Classifier.load(tmp_path / "absent")


@case("model dir", "base model neither local nor cached (HF_HUB_OFFLINE=1)",
      "one line of advice, no download")
def test_base_model_not_available_offline(monkeypatch):
    from framelens.models.registry import ModelNotAvailable, resolve_base_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailable) as err:
        resolve_base_model("nobody/no-such-model-xyz")
    assert "HF_HUB_OFFLINE is set, so it cannot be downloaded" in str(err.value)
    assert "--base-model minilm" in str(err.value)


# -- configs -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("toml", "expected"), [
    pytest.param("epohcs = 3\n", r"unknown setting 'epohcs'; did you mean 'epochs'\?",
                 marks=case("config", "unknown key in a recipe", "error names the closest key")),
    pytest.param('epochs = "six"\n', r"epochs must be float, got 'six'",
                 marks=case("config", "epochs = \"six\"", "error names key and value")),
    pytest.param('learning_rate = "fast"\n', r"learning_rate must be float, got 'fast'",
                 marks=case("config", "learning_rate = \"fast\"", "error names key and value")),
    pytest.param('seed = "abc"\n', r"seed must be int, got 'abc'",
                 marks=case("config", "seed = \"abc\"", "error names key and value")),
    pytest.param("max_length = 0\n", r"max_length must be ≥ 8",
                 marks=case("config", "max_length = 0", "error gives the range")),
    pytest.param('device = "gpu"\n', r"device must be one of auto, cpu, cuda, mps, got 'gpu'",
                 marks=case("config", "device = \"gpu\"", "error lists the choices")),
    pytest.param('precision = "fp8"\n', r"precision must be one of auto, fp32, bf16, fp16",
                 marks=case("config", "precision = \"fp8\"", "error lists the choices")),
    pytest.param("epochs = [\n", r"not valid TOML",
                 marks=case("config", "recipe that is not valid TOML", "error names the file")),
], ids=["unknown-key", "epochs-six", "lr-fast", "seed-abc", "max-length-0", "device-gpu",
        "precision-fp8", "bad-toml"])
def test_bad_recipe(tmp_path, toml, expected):
    from framelens.training.config import load_config

    path = tmp_path / "recipe.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert re.search(expected, str(err.value)), str(err.value)


# -- the real CLI: no traceback, exit code 2 ---------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", COLUMNS="400")
    env.pop("FRAMELENS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "framelens", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def _assert_clean(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), result.stderr
    assert re.search(expected, result.stderr), result.stderr


CLI_FILES = [
    pytest.param("array.jsonl", json.dumps([{"text": "a b c"}] * 30).encode(),
                 r"array.jsonl:1: \(json\): the file holds one JSON array",
                 marks=case("CLI", "data validate: JSON array as JSONL", "exit 2, one line")),
    pytest.param("ragged.csv", b"id,text\n1,a,b\n", r"ragged.csv:2: \(row\): has 3 field\(s\)",
                 marks=case("CLI", "data validate: ragged CSV", "exit 2, names the row")),
    pytest.param("utf16.csv", "id,text\n1,a\n".encode("utf-16"), r"utf16.csv: \(encoding\): .*UTF-16",
                 marks=case("CLI", "data validate: UTF-16 file", "exit 2, names the encoding")),
    pytest.param("binary.csv", bytes(range(256)) * 4, r"binary.csv: \(file\): is not text",
                 marks=case("CLI", "data validate: binary .csv", "exit 2")),
    pytest.param("loop.jsonl", None, r"loop.jsonl: \(file\): symbolic link loop",
                 marks=case("CLI", "data validate: symlink loop", "exit 2")),
    pytest.param("folder.jsonl", "dir", r"folder.jsonl: \(file\): is a directory",
                 marks=case("CLI", "data validate: directory as file", "exit 2")),
]


@pytest.mark.parametrize(("name", "content", "expected"), CLI_FILES,
                         ids=[p.values[0] for p in CLI_FILES])
def test_cli_data_validate_is_one_clean_line(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is None:
        path.symlink_to(path)
    elif content == "dir":
        path.mkdir()
    else:
        path.write_bytes(content)
    _assert_clean(_cli("data", "validate", str(path), cwd=tmp_path), expected)


@case("CLI", "train: malformed JSON line in --train", "exit 2 before any model loads")
def test_cli_train_bad_data_fails_before_loading(tmp_path, mini_corpus):
    bad = tmp_path / "train.jsonl"
    bad.write_text('{"text": "Aid came.", "frame": "neutral"}\n{"text": \n')
    result = _cli("train", "--train", str(bad), "--dev", str(mini_corpus), "--out",
                  str(tmp_path / "m"), "--base-model", str(tmp_path / "no-model"), cwd=tmp_path)
    _assert_clean(result, r"train.jsonl:2: \(json\): not valid JSON at column 10")
    assert not (tmp_path / "m").exists()


@case("CLI", "train: header-only CSV", "exit 2, no library message")
def test_cli_train_header_only(tmp_path, mini_corpus):
    bad = tmp_path / "train.csv"
    bad.write_text("text,frame\n")
    result = _cli("train", "--train", str(bad), "--dev", str(mini_corpus), "--out",
                  str(tmp_path / "m"), "--base-model", str(tmp_path / "no-model"), cwd=tmp_path)
    _assert_clean(result, r"train.csv: \(file\): contains no rows")


@case("CLI", "train: recipe with a wrong type", "exit 2, names the key")
def test_cli_train_bad_recipe(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('epochs = "six"\n')
    _assert_clean(_cli("train", "--config", str(recipe), "--out", str(tmp_path / "m"), cwd=tmp_path),
                  r"epochs must be float, got 'six'")


@case("CLI", "evaluate: truncated model.safetensors", "exit 2, names the directory")
def test_cli_evaluate_truncated_weights(trained_frame, tmp_path, mini_corpus):
    model = _copy_model(trained_frame, tmp_path)
    _truncated(model)
    result = _cli("evaluate", "--model", str(model), "--data", str(mini_corpus), "--no-baselines",
                  "--no-zero-shot", "--no-challenge", cwd=tmp_path)
    _assert_clean(result, re.escape(str(model)) + r": the model could not be loaded")


@case("CLI", "evaluate: pickle-only model directory", "exit 2, suggests --allow-pickle")
def test_cli_evaluate_pickle_only(trained_frame, tmp_path, mini_corpus):
    model = _copy_model(trained_frame, tmp_path)
    _pickle_only(model)
    result = _cli("evaluate", "--model", str(model), "--data", str(mini_corpus), "--no-baselines",
                  "--no-zero-shot", "--no-challenge", cwd=tmp_path)
    _assert_clean(result, r"--allow-pickle")


# -- what the classifier says about odd text ---------------------------------------------------
@pytest.fixture(scope="module")
def frame_clf(trained_frame):
    from framelens.serving.classifier import Classifier

    return Classifier.load(trained_frame, device="cpu")


@case("classify", "1 MB sentence", "classified, with a note: only the first N tokens were read")
def test_long_sentence_gets_a_truncation_note(frame_clf):
    result = frame_clf.predict("shelling " * 120_000)
    assert result["frame"].label in FRAME.labels
    assert result.notes and result.notes[0].startswith(
        "longer than the model reads: only the first 32 tokens were read (the text has 120002)")
    assert result.to_dict()["notes"] == result.notes


@pytest.mark.parametrize(("text", "script"), [
    pytest.param("قصفت الطائرات المستشفى الليلة الماضية", "Arabic",
                 marks=case("classify", "Arabic text", "classified, note: model is English-only")),
    pytest.param("הפגזה פגעה בבית החולים אמש", "Hebrew",
                 marks=case("classify", "Hebrew text", "classified, note: model is English-only")),
    pytest.param("Обстрел повредил больницу", "Cyrillic",
                 marks=case("classify", "Russian text", "classified, note: model is English-only")),
], ids=["arabic", "hebrew", "russian"])
def test_non_latin_text_gets_a_language_note(frame_clf, text, script):
    result = frame_clf.predict(text)
    assert result["frame"].label in FRAME.labels
    assert result.notes == [f"mostly {script} script: the model was trained on English text only, "
                            "so this label is unreliable"]


@case("classify", "English text with emoji, control characters, empty text",
      "classified, no notes")
def test_plain_odd_text_has_no_notes(frame_clf):
    texts = ["Aid reached the camp 🚚🇺🇦 today.", "Talks\x07 resume\x0c.", "", "   ", "Café shelled."]
    results = frame_clf.predict(texts)
    assert [r.notes for r in results] == [[]] * len(texts)
    assert all("notes" not in r.to_dict() for r in results)


@case("classify", "article in Arabic", "document note and a note per sentence")
def test_article_notes(frame_clf):
    analysis = frame_clf.analyze("قصفت الطائرات المستشفى. فر السكان من المدينة.")
    assert analysis.notes and "these labels are unreliable" in analysis.notes[0]
    assert all(s.notes for s in analysis.sentences)


@case("classify", "Python API: predict([None]) / predict([123])", "TypeError naming the index")
def test_predict_rejects_non_strings(frame_clf):
    with pytest.raises(TypeError, match="text at index 1 is NoneType, not str"):
        frame_clf.predict(["ok", None])
    with pytest.raises(TypeError, match="text at index 0 is int, not str"):
        frame_clf.predict([123])


# -- the README table is generated from these tests --------------------------------------------
def _table_tool():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "tools" / "reliability_table.py"
    spec = importlib.util.spec_from_file_location("reliability_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_reliability_table_matches_the_committed_json(request):
    """Regenerate both with `python tools/reliability_table.py` when a case changes."""
    tool = _table_tool()
    data = json.loads(tool.JSON_PATH.read_text(encoding="utf-8"))
    assert tool.readme_block(tool.README.read_text(encoding="utf-8")) == tool.render(data)
    assert len(data["cases"]) >= 40
    assert {c["result"] for c in data["cases"]} <= {"passed", "skipped"}
    recorded = {c["test"] for c in data["cases"]}
    marked = {item.nodeid for item in request.session.items
              if item.get_closest_marker("reliability")}
    assert marked <= recorded, f"not in the committed table: {sorted(marked - recorded)}"
