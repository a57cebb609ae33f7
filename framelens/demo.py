"""The end-to-end demo: train (once) on the bundled corpus, classify a sample article.

The trained bundle is cached outside the repository (``$FRAMELENS_CACHE`` or
``~/.cache/framelens``) under a key made from the corpus and the recipe, so a
second run reuses it and a changed corpus retrains.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framelens.data.corpus import corpus_files, sample_article
from framelens.data.writers import write_rows
from framelens.models.model_dir import is_bundle
from framelens.serving import Classifier
from framelens.training.config import TrainConfig, load_config
from framelens.training.multitask import train_joint
from framelens.training.trainer import TrainResult

DEMO_TASKS = ("frame", "stance")


def default_bundle_config(progress: bool = True) -> TrainConfig:
    """The default bundle: frame and stance trained jointly with one shared encoder, on the
    bundled corpus, with every other value from TrainConfig's defaults."""
    return load_config(tasks=list(DEMO_TASKS), progress=progress)
DEFAULT_ARTICLE = "mixed_offensive"


def cache_root() -> Path:
    return Path(os.environ.get("FRAMELENS_CACHE", Path.home() / ".cache" / "framelens"))


def default_bundle_dir() -> Path:
    """Cache key: the corpus files and the default recipe; change either and the demo retrains."""
    digest = hashlib.sha256()
    for path in corpus_files():
        digest.update(path.read_bytes())
    recipe = default_bundle_config().to_dict() | {"progress": None}
    digest.update(json.dumps(recipe, sort_keys=True).encode())
    return cache_root() / "models" / f"default-{digest.hexdigest()[:12]}"


@dataclass
class DemoResult:
    bundle_dir: Path
    trained: list[TrainResult]
    rows: list[dict[str, Any]]
    outputs: list[Path]
    gold_agreement: dict[str, float]


def ensure_default_bundle(
    bundle_dir: Path | None = None, progress: bool = True
) -> tuple[Path, list[TrainResult]]:
    """Train frame and stance models on the bundled corpus unless already cached."""
    bundle_dir = bundle_dir or default_bundle_dir()
    if is_bundle(bundle_dir):
        return bundle_dir, []
    bundle = train_joint(default_bundle_config(progress))
    # The cache folder is ours alone: a half-written one (a killed run) is replaced whole.
    bundle.save(bundle_dir, overwrite=True)
    return bundle_dir, list(bundle.results.values())


def _gold_agreement(article: Path, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Share of sentences whose predicted label matches the article's gold file, if any."""
    import json

    gold_path = article.with_suffix(".labels.jsonl")
    if not gold_path.is_file():
        return {}
    gold = {}
    for line in gold_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            gold[" ".join(item["text"].split())] = item
    matched = [(r, gold[r["text"]]) for r in rows if r["text"] in gold]
    if not matched:
        return {}
    return {
        task: sum(r[task] == g[task] for r, g in matched) / len(matched) for task in DEMO_TASKS
    } | {"sentences_with_gold": float(len(matched))}


def run_demo(
    article: str | Path = DEFAULT_ARTICLE,
    out_dir: str | Path = "outputs/demo",
    bundle_dir: Path | None = None,
    progress: bool = True,
) -> DemoResult:
    bundle, trained = ensure_default_bundle(bundle_dir, progress=progress)
    article_path = Path(article) if Path(article).is_file() else sample_article(str(article))
    model = Classifier.load(bundle)
    rows = model.analyze(article_path.read_text(encoding="utf-8"), doc_id=article_path.name).rows()
    out_dir = Path(out_dir)
    outputs = [write_rows(rows, out_dir / f"{article_path.stem}.{ext}") for ext in ("jsonl", "csv")]
    return DemoResult(bundle, trained, rows, outputs, _gold_agreement(article_path, rows))
