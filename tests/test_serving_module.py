"""The inference module as a user calls it: `Classifier.load(path).predict / .analyze`, one
interface for a model directory and a bundle, clear errors for wrong input, offsets that
map back to the article, thread safety, and one output schema for JSON and rows."""

from __future__ import annotations

import threading

import pytest
from framelens.serving import Analysis, Classifier, Result, SentenceResult
from framelens.serving.results import row_columns, sentence_row

SENTENCES = ["Aid convoys reached the camp.", "Troops destroyed a militant depot.",
             "Talks resume on Monday.", "Shelling killed eleven residents, medics said.",
             "The ministry said operations would continue.", "Families fled north."]
# Headline, dateline, runs of spaces, CRLF, a tab, non-ASCII and an emoji: every offset
# must still point at the right characters.
MESSY = ("Aid blocked in the north\r\n\r\n"
         "KARDAN (wire) -  Shelling killed  eleven residents of the Tamar district, medics said.\t"
         "The ministry said its aircraft destroyed an \u201cextremist\u201d depot.\r\n"
         "Families \U0001F3E0 fled north; the U.N. said 3.5 million people need aid.\n\n"
         "   Talks are due to resume in Gen\u00e8ve next week.   \n")


@pytest.fixture(scope="module")
def bundle(trained_bundle) -> Classifier:
    return Classifier.load(trained_bundle)


@pytest.fixture(scope="module")
def single(trained_frame) -> Classifier:
    return Classifier.load(trained_frame)


# -- one interface ---------------------------------------------------------------------------
def test_a_model_directory_and_a_bundle_answer_the_same_calls(bundle, single):
    assert bundle.tasks == ["frame", "stance"] and single.tasks == ["frame"]
    assert single.labels() == single.labels("frame") == bundle.labels("frame")
    assert set(bundle.label_sets) == {"frame", "stance"}
    for clf in (bundle, single):
        result = clf.predict("Aid arrived.")
        assert isinstance(result, Result) and set(result.tasks) == set(clf.tasks)
        analysis = clf.analyze("Aid arrived. Troops left.")
        assert isinstance(analysis, Analysis) and len(analysis.sentences) == 2


def test_a_string_gives_one_result_and_a_list_gives_a_list(bundle):
    one = bundle.predict("Aid convoys reached the camp.")
    assert isinstance(one, Result) and one.text == "Aid convoys reached the camp."
    many = bundle.predict(SENTENCES)
    assert isinstance(many, list) and [r.text for r in many] == SENTENCES
    assert many[0].to_dict() == one.to_dict()
    assert bundle.predict(tuple(SENTENCES[:2]))[1].text == SENTENCES[1]
    frame = one["frame"]
    assert frame.label in bundle.labels("frame")
    assert frame.confidence == max(frame.probabilities.values())
    assert sum(frame.probabilities.values()) == pytest.approx(1, abs=1e-3)


def test_an_empty_list_gives_an_empty_list(bundle):
    assert bundle.predict([]) == []
    assert bundle.analyze_many([]) == []


@pytest.mark.parametrize("texts,index,kind", [([None], 0, "NoneType"), ([123], 0, "int"),
                                              (["ok", b"bytes"], 1, "bytes"),
                                              (["a", "b", 4.5], 2, "float")])
def test_a_non_string_element_is_a_type_error_naming_its_index(bundle, texts, index, kind):
    with pytest.raises(TypeError, match=rf"index {index}\b.*{kind}"):
        bundle.predict(texts)


def test_bytes_alone_are_a_type_error(bundle):
    with pytest.raises(TypeError):
        bundle.predict(b"Aid arrived.")


# -- articles ----------------------------------------------------------------------------------
def test_analyze_offsets_map_back_to_the_input(bundle):
    analysis = bundle.analyze(MESSY, doc_id="messy")
    assert analysis.doc_id == "messy" and len(analysis.sentences) >= 5
    previous_end = 0
    for i, s in enumerate(analysis.sentences):
        assert s.index == i
        assert previous_end <= s.start < s.end <= len(MESSY)
        assert " ".join(MESSY[s.start:s.end].split()) == s.text
        assert MESSY[s.start:s.end] == MESSY[s.start:s.end].strip()
        previous_end = s.end
    assert analysis.sentences[0].text == "Aid blocked in the north"
    assert any("\U0001F3E0" in s.text for s in analysis.sentences)


def test_analyze_summarises_the_document(bundle):
    analysis = bundle.analyze(MESSY)
    summary = analysis.summary
    assert summary.sentences == len(analysis.sentences)
    for task, labels in bundle.label_sets.items():
        shares = summary.shares[task]
        assert list(shares) == list(labels)
        assert sum(shares.values()) == pytest.approx(1, abs=1e-3)
        counts = {lab: sum(s[task].label == lab for s in analysis.sentences) for lab in labels}
        assert counts[summary.dominant[task]] == max(counts.values())


def test_analyze_many_equals_analyze_one_by_one(bundle):
    docs = [MESSY, "Troops advanced. Aid stopped.", ""]
    together = bundle.analyze_many(docs, ["a", "b", "c"])
    for doc, doc_id, got in zip(docs, ["a", "b", "c"], together, strict=True):
        alone = bundle.analyze(doc, doc_id)
        assert [s.text for s in got.sentences] == [s.text for s in alone.sentences]
        assert [s["frame"].label for s in got.sentences] == [s["frame"].label for s in alone.sentences]
    assert together[2].sentences == [] and together[2].summary.dominant["frame"] is None


# -- thread safety -----------------------------------------------------------------------------
def test_four_concurrent_callers_match_a_sequential_run(bundle):
    inputs = [[f"{s} (caller {k})" for s in SENTENCES] * 3 for k in range(4)]
    sequential = [[r.to_dict() for r in bundle.predict(texts)] for texts in inputs]
    barrier = threading.Barrier(4)
    got: list = [None] * 4
    errors: list = []

    def caller(k: int) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                got[k] = [r.to_dict() for r in bundle.predict(inputs[k], batch_size=4)]
        except Exception as exc:  # surfaced below, with the thread that raised it
            errors.append((k, exc))

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for k in range(4):
        assert [r["text"] for r in got[k]] == inputs[k]
        for g, s in zip(got[k], sequential[k], strict=True):
            for task in bundle.tasks:
                assert g[task]["label"] == s[task]["label"]
                assert g[task]["probabilities"] == pytest.approx(s[task]["probabilities"], abs=2e-4)


# -- one schema --------------------------------------------------------------------------------
def test_to_dict_and_rows_share_one_schema(bundle):
    analysis = bundle.analyze(MESSY, doc_id="d1")
    columns = row_columns(bundle.label_sets)
    rows = analysis.rows()
    assert [list(r) for r in rows] == [columns] * len(analysis.sentences)
    data = analysis.to_dict()
    assert set(data) == {"id", "sentences", "summary", "notes"} and data["id"] == "d1"
    for row, s, d in zip(rows, analysis.sentences, data["sentences"], strict=True):
        assert row == sentence_row("d1", s)
        assert (row["sentence_index"], row["start"], row["end"], row["text"]) == (
            d["index"], d["start"], d["end"], d["text"])
        for task in bundle.tasks:
            assert row[task] == d[task]["label"]
            assert row[f"{task}_confidence"] == d[task]["confidence"]
            for label, p in d[task]["probabilities"].items():
                assert row[f"{task}_p_{label}"] == p
    one = bundle.predict("Aid arrived.").to_dict()
    assert set(one) == {"text", *bundle.tasks}
    assert set(one["frame"]) == {"label", "confidence", "probabilities"}
    assert isinstance(analysis.sentences[0], SentenceResult)


def test_results_are_json_ready(bundle):
    import json

    analysis = bundle.analyze(MESSY)
    assert json.loads(json.dumps(analysis.to_dict())) == analysis.to_dict()
    assert json.loads(json.dumps(bundle.predict("Aid.").to_dict())) == bundle.predict("Aid.").to_dict()
