"""Property tests (hypothesis): what must hold for *any* input, not only the cases we thought of.

- readers never crash on generated files: they return a table or raise DataError, and a
  well-formed CSV reads back exactly, each row numbered by the line it starts on;
- sentence offsets always reconstruct the input;
- predictions do not depend on the batch size or the order of the texts.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from framelens.data.errors import DataError
from framelens.data.readers import read_table
from framelens.data.sentences import sentence_spans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches what it learns in ./.hypothesis; these tests are derandomised and keep
# no example database, so its cache goes to a temporary folder, not into the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "framelens-hypothesis")

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Text that exercises the parsers: quotes, separators, every kind of line break, BOMs,
# control characters, surrogate-free Unicode.
cell = st.text(
    alphabet=st.one_of(st.sampled_from(list(',"\t\r\n \x00\x0c\u2028\ufeff{}[]:\\é中ש😀')),
                       st.characters(exclude_categories=("Cs",))),
    max_size=30,
)


def _read(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"data{suffix}"
        path.write_bytes(data)
        try:
            table = read_table(path)
            _ = table.dataset  # building the Dataset must not crash either
        except DataError as exc:
            assert exc.issues and all(str(path) in str(i) for i in exc.issues)


@pytest.mark.reliability(area="property", case="readers on arbitrary bytes (CSV/TSV/JSONL/JSON)",
                         expect="a table or a DataError, never another exception")
@SETTINGS
@given(suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".json", ".parquet"]),
       data=st.one_of(st.binary(max_size=300), cell.map(lambda s: s.encode("utf-8"))))
def test_readers_never_crash_on_bytes(suffix, data):
    _read(suffix, data)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | cell,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(cell, inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.reliability(area="property", case="readers on generated JSON Lines rows",
                         expect="a table or a DataError, never another exception")
@SETTINGS
@given(rows=st.lists(st.one_of(st.dictionaries(st.sampled_from(["text", "frame", "id", "x"]),
                                               json_value, max_size=4), json_value), max_size=6),
       broken=st.booleans())
def test_readers_never_crash_on_json_rows(rows, broken):
    lines = [json.dumps(r) for r in rows]
    if broken and lines:
        lines[0] = lines[0][:-1]
    _read(".jsonl", "\n".join(lines).encode("utf-8"))


@pytest.mark.reliability(area="property", case="well-formed CSV with any cell text",
                         expect="read back exactly; row numbers are the lines rows start on")
@SETTINGS
@given(rows=st.lists(st.tuples(cell, cell), min_size=1, max_size=6),
       newline=st.sampled_from(["\n", "\r\n"]))
def test_csv_round_trip_and_row_lines(rows, newline):
    buf = io.StringIO(newline="")
    # Python's writer quotes only the characters of its own line terminator; with "\n" it
    # would leave a lone "\r" unquoted (a broken file), so quote everything then.
    writer = csv.writer(buf, lineterminator=newline,
                        quoting=csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL)
    writer.writerow(["text", "frame"])
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        writer.writerow(row)
        # csv quotes a cell holding a line break, so every break inside it adds a line.
        line += 1 + sum(c.count("\r\n") + c.replace("\r\n", "").count("\r")
                        + c.replace("\r\n", "").count("\n") for c in row)
    data = buf.getvalue().encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_bytes(data)
        try:
            table = read_table(path)
        except DataError as exc:
            # Only what a CSV cannot hold is refused: a NUL byte, or a BOM at the start.
            assert "\x00" in buf.getvalue() or exc.issues[0].field == "(encoding)", str(exc)
            return
    assert list(zip(table.column("text"), table.column("frame"), strict=True)) == rows
    assert table.row_numbers == starts


@pytest.mark.reliability(area="property", case="sentence offsets on any text",
                         expect="text[start:end], whitespace-normalised, is the sentence")
@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(text=st.lists(st.one_of(
    st.sampled_from(list(" .!?\n\r\t\"'”’)([\x0c\u2028\u00a0")),
    st.sampled_from(["The", "aid", "U.S.", "Dr.", "6 a.m.", "He said.", "\n\n", "War!", "No.",
                     "Gen.", "J. Smith", "\r\n", "Then"]),
    st.characters(exclude_categories=("Cs",))), max_size=60).map("".join))
def test_sentence_offsets_reconstruct_the_input(text):
    spans = sentence_spans(text)
    end = 0
    for s in spans:
        assert end <= s.start < s.end <= len(text)
        assert " ".join(text[s.start:s.end].split()) == s.text
        assert s.text and s.text == s.text.strip()
        end = s.end


@pytest.fixture(scope="module")
def frame_model(trained_frame):
    from framelens.models.predictor import TaskModel

    return TaskModel.load(trained_frame, device="cpu")


WORDS = ["aid", "shelling", "troops", "camp", "talks", "killed", "militants", "residents",
         "hospital", "monday", "the", "of", "operation", "civilians", "ceasefire", "x"]


@pytest.mark.reliability(area="property", case="predictions vs batch size and order (tiny model)",
                         expect="the same probabilities for each text (|Δp| ≤ 1e-5)")
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=40).map(" ".join),
                      min_size=1, max_size=12),
       batch_size=st.integers(1, 16), data=st.data())
def test_predictions_do_not_depend_on_batch_size_or_order(frame_model, texts, batch_size, data):
    reference = frame_model.predict_proba(texts, batch_size=1)
    order = data.draw(st.permutations(range(len(texts))))
    shuffled = frame_model.predict_proba([texts[i] for i in order], batch_size=batch_size)
    np.testing.assert_allclose(shuffled, reference[list(order)], atol=1e-5)
