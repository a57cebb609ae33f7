"""Shared fixtures: a tiny randomly initialised BERT built on disk (no download)
and a tiny model fine-tuned from it, both session-scoped so the suite builds
them once."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI_CORPUS = FIXTURES / "mini_corpus.jsonl"


def _vocab() -> list[str]:
    words = set()
    for line in MINI_CORPUS.read_text().splitlines():
        words.update(re.findall(r"[a-z]+", json.loads(line)["text"].lower()))
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    # Single characters and ##-continuations let WordPiece spell any word.
    return special + chars + [f"##{c}" for c in string.ascii_lowercase + string.digits] + sorted(words)


@pytest.fixture(scope="session")
def tiny_base_dir(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with random weights and a word-level tokenizer."""
    from transformers import BertConfig, BertModel, BertTokenizer

    out = tmp_path_factory.mktemp("tiny-bert")
    vocab = {token: i for i, token in enumerate(dict.fromkeys(_vocab()))}
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True)
    tokenizer.save_pretrained(out)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def mini_corpus() -> Path:
    return MINI_CORPUS


def tiny_config(base: Path, out: Path, task: str = "frame", **overrides):
    from framelens.training.config import load_config

    values = dict(
        task=task, train=str(MINI_CORPUS), dev=str(MINI_CORPUS), out=str(out) if out else None,
        base_model=str(base), epochs=20, batch_size=8, learning_rate=3e-3, max_length=32,
        early_stopping_patience=20, progress=False, calibrate=False,
    )
    values.update(overrides)
    return load_config(**values)


@pytest.fixture(scope="session")
def trained_frame(tiny_base_dir, tmp_path_factory) -> Path:
    """A tiny frame model trained by framelens (seconds)."""
    from framelens.training.trainer import train_and_save

    out = tmp_path_factory.mktemp("runs") / "frame"
    train_and_save(tiny_config(tiny_base_dir, out))
    return out


@pytest.fixture(scope="session")
def trained_bundle(tiny_base_dir, trained_frame, tmp_path_factory) -> Path:
    """A frame+stance bundle of tiny models."""
    import shutil

    from framelens.models.model_dir import write_bundle
    from framelens.training.trainer import train_and_save

    bundle = tmp_path_factory.mktemp("bundle")
    shutil.copytree(trained_frame, bundle / "frame")
    train_and_save(tiny_config(tiny_base_dir, bundle / "stance", task="stance"))
    write_bundle(bundle, {"frame": "frame", "stance": "stance"})
    return bundle


# -- the README's Reliability table ------------------------------------------------------------
# Tests marked `reliability(area=..., case=..., expect=...)` are the faults injected and bad
# inputs tried. With FRAMELENS_RELIABILITY_REPORT=PATH set, each one's case, expected outcome
# and result are written to PATH as JSON when the run ends; tools/reliability_table.py turns
# that into the README table, so the table is generated from a test run, never typed.
_RELIABILITY: dict[str, dict] = {}


def _reliability_path() -> str | None:
    import os

    return os.environ.get("FRAMELENS_RELIABILITY_REPORT") or None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    marker = item.get_closest_marker("reliability")
    if marker is None or _reliability_path() is None:
        return report
    entry = _RELIABILITY.setdefault(item.nodeid, {
        "area": marker.kwargs.get("area", ""), "case": marker.kwargs["case"],
        "expect": marker.kwargs["expect"], "result": "not run", "test": item.nodeid,
    })
    if report.failed:
        entry["result"] = "failed"
    elif report.skipped and entry["result"] != "failed":
        entry["result"] = "skipped"
    elif report.when == "call" and report.passed and entry["result"] == "not run":
        entry["result"] = "passed"
    return report


def pytest_sessionfinish(session, exitstatus):
    path = _reliability_path()
    if path is None or not _RELIABILITY:
        return
    order = {item.nodeid: i for i, item in enumerate(session.items)}
    cases = sorted(_RELIABILITY.values(), key=lambda e: order.get(e["test"], len(order)))
    Path(path).write_text(json.dumps({"cases": cases}, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Debian Chromium the Makefile installs (the browser tests need no download)."""
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium not installed: run `apt-get install -y chromium` "
                "(the Makefile's `browser` target does this when it can)")
