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
