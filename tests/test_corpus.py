"""The bundled corpus meets its data card: size, balance, variety, hard cases, clean splits."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from framelens.data.corpus import CODEBOOK_PATH, DATACARD_PATH, challenge_path, corpus_files
from framelens.data.dedup import near_duplicate_pairs
from framelens.data.schema import FRAME_KEYWORDS
from framelens.data.stats import corpus_frame, stats_markdown
from framelens.data.validate import validate_corpus


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for p in corpus_files() for line in p.read_text().splitlines()]


def test_validate_passes():
    report = validate_corpus(corpus_files())
    assert report.ok, "\n".join(map(str, report.errors[:20]))
    assert report.n_rows >= 3000


def test_size_and_label_balance(rows):
    n = len(rows)
    assert n >= 3000
    frames = Counter(r["frame"] for r in rows)
    stances = Counter(r["stance"] for r in rows)
    assert min(frames.values()) / n >= 0.25, frames
    assert min(stances.values()) / n >= 0.20, stances


def test_variety(rows):
    conflicts = Counter(r["conflict"] for r in rows)
    assert len(conflicts) >= 15
    assert min(conflicts.values()) >= 100, conflicts  # enough for leave-one-conflict-out
    assert len({r["register"] for r in rows}) >= 7
    lengths = [len(r["text"].split()) for r in rows]
    assert min(lengths) <= 8 and max(lengths) >= 50


def test_hard_case_quotas(rows):
    tags = Counter(t for r in rows for t in r["tags"])
    assert tags["neutral_mention"] >= 400
    assert tags["reported_frame"] >= 300
    assert tags["both_frames"] >= 200
    assert tags["keyword_free"] >= 300
    groups = Counter(r["event_group"] for r in rows if r["event_group"])
    assert sum(1 for n in groups.values() if n >= 3) >= 50


def test_keyword_free_tags_are_honest(rows):
    for r in rows:
        if "keyword_free" in r["tags"]:
            assert not any(k in r["text"].lower() for k in FRAME_KEYWORDS), r["id"]


def test_no_near_duplicates_across_splits(rows):
    by_split = {s: [r["text"] for r in rows if r["split"] == s] for s in ("train", "dev", "test")}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        pairs = near_duplicate_pairs(by_split[a], by_split[b], threshold=0.8)
        assert not pairs, [(by_split[a][i], by_split[b][j]) for i, j, _ in pairs[:3]]


def test_event_groups_stay_in_one_split(rows):
    splits: dict[str, set] = {}
    for r in rows:
        if r["event_group"]:
            splits.setdefault(r["event_group"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits.values())


def test_splits_are_stratified(rows):
    n = len(rows)
    overall = Counter(r["frame"] for r in rows)
    for split in ("train", "dev", "test"):
        part = [r for r in rows if r["split"] == split]
        counts = Counter(r["frame"] for r in part)
        for label, total in overall.items():
            assert abs(counts[label] / len(part) - total / n) < 0.05, (split, label)


def test_challenge_set():
    items = [json.loads(line) for line in challenge_path().read_text().splitlines()]
    assert len(items) >= 300
    caps = Counter(i["capability"] for i in items)
    assert len(caps) >= 8 and min(caps.values()) >= 30
    assert all(i["frame"] in {"humanitarian", "counter_terrorism", "neutral"} for i in items)


def test_datacard_counts_match_the_data(rows):
    card = DATACARD_PATH.read_text()
    block = re.search(r"<!-- stats:begin -->\n(.*)<!-- stats:end -->", card, re.S)
    assert block, "DATACARD.md lacks the generated stats block"
    assert block.group(1) == stats_markdown(corpus_frame(rows))
    assert "written by the framelens project" in card
    assert CODEBOOK_PATH.is_file()


def test_leave_one_conflict_out_folds(rows):
    from framelens.data.splits import leave_one_group_out_fold

    train, dev, test = leave_one_group_out_fold(rows, "conflict", "chechnya")
    assert {r["conflict"] for r in test} == {"chechnya"}
    assert len(test) == sum(r["conflict"] == "chechnya" for r in rows)
    assert all(r["conflict"] != "chechnya" for r in train + dev)
    assert {r["split"] for r in train} == {"train"} and {r["split"] for r in dev} == {"dev"}


# -- corpus v2 ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def v2(rows) -> list[dict]:
    return [r for r in rows if r.get("version") == "v2"]


def test_v2_size_registers_and_shape(v2):
    assert len(v2) >= 2000
    registers = Counter(r["register"] for r in v2)
    for new in ("monitoring_report", "headline", "photo_caption", "local_news"):
        assert registers[new] >= 100, (new, registers[new])
    words = sorted(len(r["text"].split()) for r in v2)
    n = len(words)
    # Real news spreads from short headlines to long multi-clause sentences (10th-90th
    # percentile 13-40 words); v1 only spanned 18-31.
    assert words[n // 10] <= 13 and words[9 * n // 10] >= 38
    assert sum('"' in r["text"] or "\u201c" in r["text"] for r in v2) / n >= 0.17
    assert sum("(" in r["text"] for r in v2) / n >= 0.10


def test_v2_hard_case_quotas(v2):
    tags = Counter(t for r in v2 for t in r["tags"])
    assert tags["keyword_present_neutral"] >= 600
    assert tags["labelled_perpetrator_harm"] >= 250
    assert tags["background_toll"] >= 200
    assert tags["attribution_stance"] >= 400
    for r in v2:
        if "keyword_present_neutral" in r["tags"] or "background_toll" in r["tags"]:
            assert r["frame"] == "neutral", r["id"]
        if "labelled_perpetrator_harm" in r["tags"]:
            assert r["frame"] == "humanitarian", r["id"]


def test_no_non_decisive_cue_leans_to_one_frame(rows):
    from framelens.data.cues import MAX_SHARE, MIN_ROWS, cue_audit

    audit = cue_audit(rows, "frame", ("humanitarian", "counter_terrorism", "neutral"))
    audited = [c for c in audit if c.n >= MIN_ROWS]
    assert len(audited) >= 15
    assert not [c for c in audited if c.leans], [
        (c.cue, c.top_label, round(c.top_share, 2)) for c in audited if c.top_share > MAX_SHARE]


def test_cue_audit_flags_a_leaning_cue():
    from framelens.data.cues import cue_audit

    rows = [{"text": f"The operation went on {i}", "frame": "counter_terrorism"} for i in range(27)]
    rows += [{"text": f"The operation paused {i}", "frame": "neutral"} for i in range(13)]
    op = next(c for c in cue_audit(rows, "frame") if c.cue == "operation(s)")
    assert op.n == 40 and op.top_label == "counter_terrorism" and op.leans  # 67.5% > 65%
    rows += [{"text": "The operation resumed", "frame": "neutral"}] * 2
    op = next(c for c in cue_audit(rows, "frame") if c.cue == "operation(s)")
    assert not op.leans  # 27 of 42 = 64%


def _annotation_record(name: str) -> list[dict]:
    path = DATACARD_PATH.parent / "annotation" / name
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(("record", "marker", "size"), [
    ("v2_double_annotation.jsonl", "kappa-v2", 400),
    ("v1_relabel.jsonl", "kappa-v1-relabel", 3399),
])
def test_double_annotation_kappa_matches_the_datacard(record, marker, size):
    from sklearn.metrics import cohen_kappa_score

    items = _annotation_record(record)
    assert len(items) == size
    card = DATACARD_PATH.read_text()
    block = re.search(rf"<!-- {marker}:begin -->\n(.*)<!-- {marker}:end -->", card, re.S).group(1)
    for task in ("frame", "stance"):
        a = [r["first"][task] for r in items]
        b = [r["second"][task] for r in items]
        kappa = cohen_kappa_score(a, b)
        agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        assert f"| {task} | {kappa:.3f} | {agree:.1%} |" in block


@pytest.mark.parametrize("record", ["v2_double_annotation.jsonl", "v1_relabel.jsonl"])
def test_adjudicated_labels_are_in_the_corpus(rows, record):
    by_id = {r["id"]: r for r in rows}
    for item in _annotation_record(record):
        row = by_id[item["id"]]
        assert (row["frame"], row["stance"]) == (item["adjudicated"]["frame"],
                                                 item["adjudicated"]["stance"]), item["id"]


def test_every_v1_row_was_relabelled_blind(rows):
    record = _annotation_record("v1_relabel.jsonl")
    assert {i["id"] for i in record} == {r["id"] for r in rows if r["version"] == "v1"}
    for item in record:
        for task in ("frame", "stance"):
            # Adjudication only ever chose between the two passes; agreement stands as is.
            assert item["adjudicated"][task] in (item["first"][task], item["second"][task])
            if item["first"][task] == item["second"][task]:
                assert item["adjudicated"][task] == item["first"][task], item["id"]


def test_challenge_set_covers_the_real_news_patterns():
    items = [json.loads(line) for line in challenge_path().read_text().splitlines()]
    caps = Counter(i["capability"] for i in items)
    for cap in ("operational_report_neutral", "background_toll_neutral",
                "labelled_perpetrator_harm"):
        assert caps[cap] >= 40, cap
    ops = [i for i in items if i["capability"] == "operational_report_neutral"]
    assert sum(i["frame"] == "neutral" for i in ops) >= 30


def test_relabel_check_pass_matches_the_datacard():
    """The fresh fourth pass agrees more with the relabelled v1 labels than with the old."""
    from sklearn.metrics import cohen_kappa_score

    record = {r["id"]: r for r in _annotation_record("v1_relabel.jsonl")}
    check = _annotation_record("v1_relabel_check.jsonl")
    assert len(check) == 400
    block = re.search(r"<!-- relabel-check:begin -->\n(.*)<!-- relabel-check:end -->",
                      DATACARD_PATH.read_text(), re.S).group(1)
    for task in ("frame", "stance"):
        third = [c["check"][task] for c in check]
        cells = []
        for key in ("first", "adjudicated"):
            gold = [record[c["id"]][key][task] for c in check]
            agree = sum(a == b for a, b in zip(gold, third, strict=True)) / len(gold)
            cells.append(f"{agree:.1%} (kappa {cohen_kappa_score(gold, third):.3f})")
        changed = [c for c in check
                   if record[c["id"]]["first"][task] != record[c["id"]]["adjudicated"][task]]
        new = sum(c["check"][task] == record[c["id"]]["adjudicated"][task] for c in changed)
        old = sum(c["check"][task] == record[c["id"]]["first"][task] for c in changed)
        cells.append(f"{new} / {old} of {len(changed)}")
        assert f"| {task} | {' | '.join(cells)} |" in block
