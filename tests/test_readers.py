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


def test_json_array_rows_are_numbered_by_the_line_each_object_starts_on(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(ROWS, indent=2))
    ds, table = load_labelled(path, FRAME)
    assert ds["labels"] == [0, 1, 2]
    assert table.row_numbers == [2, 6, 10]


def test_values_are_validated_as_the_file_gave_them(tmp_path):
    """A JSON 0 among label names is an unknown label (not a type clash), and a column that
    mixes text and numbers is stored as text once the rows are valid."""
    from framelens.data.readers import read_table

    path = tmp_path / "mixed.jsonl"
    rows = [{"id": 7, "text": "Aid came today.", "frame": "neutral"},
            {"id": "x8", "text": "Talks resume.", "frame": "neutral"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    table = read_table(path)
    assert table.column("id") == [7, "x8"]
    assert table.dataset["id"] == ["7", "x8"]
    path.write_text(json.dumps(rows[0] | {"frame": 0}) + "\n")
    with pytest.raises(DataError, match=r"mixed.jsonl:1: frame: unknown label 0 .*not class numbers"):
        load_labelled(path, FRAME)


def test_a_write_never_leaves_a_partial_file(tmp_path):
    from framelens.data.errors import OutputError
    from framelens.data.outputs import atomic_file

    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write("half")
        raise RuntimeError("a bug mid-write")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with pytest.raises(OutputError, match="unsupported output type"):
        from framelens.data.writers import write_rows

        write_rows([{"a": 1}], tmp_path / "out.xlsx")
