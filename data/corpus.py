"""Where the bundled corpus, challenge set and sample articles live.

They ship inside the installed package (package data), so a wheel install
finds them without the source tree.
"""

from __future__ import annotations

from pathlib import Path

from framelens.data.errors import ConfigError, DataError

PACKAGE_DIR = Path(__file__).resolve().parent
CORPUS_DIR = PACKAGE_DIR / "corpus"
SAMPLES_DIR = PACKAGE_DIR / "samples"
SPLITS = ("train", "dev", "test")


def split_path(split: str) -> Path:
    """Path of one split of the bundled corpus (train, dev or test)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return CORPUS_DIR / f"{split}.jsonl"


def challenge_path() -> Path:
    return CORPUS_DIR / "challenge.jsonl"


def corpus_files() -> list[Path]:
    """The bundled split files that exist, in split order."""
    return [p for p in (split_path(s) for s in SPLITS) if p.is_file()]


def sample_articles() -> list[Path]:
    """The bundled sample articles (plain text), sorted by name."""
    return sorted(SAMPLES_DIR.glob("*.txt"))


def sample_article(name: str) -> Path:
    """A bundled sample article by file stem, e.g. 'mixed_offensive'."""
    path = SAMPLES_DIR / f"{name}.txt"
    if not path.is_file():
        known = ", ".join(p.stem for p in sample_articles()) or "(none)"
        raise DataError.single(name, None, "(article)",
                               f"no such file or bundled sample article; samples: {known}")
    return path

CODEBOOK_PATH = PACKAGE_DIR / "CODEBOOK.md"
DATACARD_PATH = PACKAGE_DIR / "DATACARD.md"
