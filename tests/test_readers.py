"""Reading labelled files: every format, and every user mistake named by file:row: field."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from framelens.data.errors import DataError
from framelens.data.labelled import load_labelled
from framelens.data.tasks import get_task

FRAME = get_task("frame")
ROWS = [
    {"text": "Shelling killed four residents.", "frame": "humanitarian"},
    {"text": "Troops destroyed an extremist depot.", "frame": "counter_terrorism"},
    {"text": "Talks resume on Monday.", "frame": "neutral"},
]


def _write(tmp_path, fmt, rows=ROWS):
    df = pd.DataFrame(rows)
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "tsv":
        df.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        df.to_parquet(path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_every_format_loads_and_encodes_labels(tmp_path, fmt):
    ds, _ = load_labelled(_write(tmp_path, fmt), FRAME)
    assert ds["labels"] == [0, 1, 2]
    assert ds["text"][2] == "Talks resume on Monday."


def test_custom_columns(tmp_path):
    rows = [{"sentence": r["text"], "gold": r["frame"]} for r in ROWS]
    ds, _ = load_labelled(_write(tmp_path, "csv", rows), FRAME.with_columns("sentence", "gold"))
    assert ds["labels"] == [0, 1, 2]


def test_missing_column_names_the_file_and_column(tmp_path):
    path = _write(tmp_path, "csv", [{"text": "x y z", "label": "neutral"}])
    with pytest.raises(DataError, match=r"data.csv: frame: missing column \(columns found: text, label\)"):
        load_labelled(path, FRAME)


def test_unknown_label_and_empty_text_name_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "text,frame\n"
        "Aid reached the camp.,humanitarian\n"
        ",neutral\n"
        "Talks resume.,peace\n"
    )
    with pytest.raises(DataError) as err:
        load_labelled(path, FRAME)
    message = str(err.value)
    assert f"{path}:3: text: empty text" in message
    assert f"{path}:4: frame: unknown label 'peace' for task 'frame'" in message
    assert "allowed: humanitarian, counter_terrorism, neutral" in message


def test_blank_csv_line_is_reported_not_dropped(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("text,frame\nAid reached the camp.,humanitarian\n\nTalks resume.,neutral\n")
    with pytest.raises(DataError, match=r"gap.csv:3: text"):
        load_labelled(path, FRAME)


def test_undecodable_bytes_name_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"text,frame\nAid reached the camp.,humanitarian\nCaf\xe9 shelled.,humanitarian\n")
    with pytest.raises(DataError, match=r"latin.csv:3: \(encoding\): invalid UTF-8 byte 0xe9"):
        load_labelled(path, FRAME)


def test_broken_json_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n" + '{"text": "oops", \n')
    with pytest.raises(DataError, match=r"broken.jsonl:3: \(json\): not valid JSON"):
        load_labelled(path, FRAME)


def test_jsonl_line_numbers_skip_blank_lines(tmp_path):
    path = tmp_path / "gaps.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n" + json.dumps({"text": "", "frame": "neutral"}) + "\n")
    with pytest.raises(DataError, match=r"gaps.jsonl:3: text: empty text"):
        load_labelled(path, FRAME)


def test_unsupported_suffix_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="unsupported file type .xlsx"):
        load_labelled(tmp_path / "x.xlsx", FRAME) if (tmp_path / "x.xlsx").touch() is None else None
    with pytest.raises(DataError, match="no such file"):
        load_labelled(tmp_path / "absent.csv", FRAME)


def test_a_label_list_in_a_cell_is_an_unknown_label(tmp_path):
    """Multi-label data is refused, never half-read: a ';'-joined cell is one unknown label."""
    from framelens.data.errors import DataError
    from framelens.data.tasks import FRAME

    path = tmp_path / "multi.jsonl"
    path.write_text(json.dumps({"text": "Both.", "frame": "humanitarian;neutral"}) + "\n")
    with pytest.raises(DataError, match="multi.jsonl:1: frame: unknown label"):
        load_labelled(path, FRAME)
