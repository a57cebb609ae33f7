"""A plain (non-editable) wheel must hold every module and data file under framelens.*"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a clean copy: a stale build/ folder in the checkout could smuggle deleted
    # modules into the wheel, and the build must not litter the checkout either.
    src = tmp_path_factory.mktemp("src") / "framelens"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "outputs", "runs", "*.egg-info", "__pycache__",
        ".pytest_cache", ".ruff_cache"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("framelens-*.whl"))


def test_wheel_layout(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    # Only the framelens package (and its metadata) at the top: no bare data/models.
    assert {t for t in top if not t.endswith(".dist-info")} == {"framelens"}
    for required in (
        "framelens/data/corpus/train.jsonl",
        "framelens/data/corpus/dev.jsonl",
        "framelens/data/corpus/test.jsonl",
        "framelens/data/corpus/challenge.jsonl",
        "framelens/data/samples/mixed_offensive.txt",
        "framelens/data/CODEBOOK.md",
        "framelens/serving/classifier.py",
        "framelens/training/metrics/framelens_classification/framelens_classification.py",
        "framelens/models/predictor.py",
        "framelens/serving/__init__.py",
        "framelens/cli/main.py",
    ):
        assert required in names, required


def test_wheel_imports_and_finds_packaged_data(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = (
        "import framelens, framelens.data.corpus as c, framelens.training.metrics as m;"
        "import framelens.models.predictor, framelens.serving;"
        "print(framelens.data.corpus.__file__);"
        "print(len(c.corpus_files()), len(c.sample_articles()));"
        "print(m.classification_metrics([0, 1], [0, 1], ['a', 'b'])['accuracy'])"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    where, counts, acc = proc.stdout.split("\n")[:3]
    assert where.startswith(str(tmp_path / "site"))
    assert counts == "3 4"
    assert acc == "1.0"
