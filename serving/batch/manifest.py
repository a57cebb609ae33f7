"""Resumable runs: a hidden work folder beside the output, and a manifest of what is done.

The work folder (`.OUTPUT.framelens-work/`, beside the output, never inside anything the
user owns) holds one part file per committed chunk and `manifest.json`. A chunk commits
in two steps, each an atomic rename: its part files, then the manifest that counts it.
A run killed at any instant therefore leaves a manifest that counts only whole parts; a
part written after the last manifest is simply written again. The manifest also records
the input's fingerprint and the options that decide what each chunk holds, so a resume
against a changed input or with other options is refused instead of mixing two runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from framelens.data.errors import ConfigError, OutputError
from framelens.data.outputs import atomic_file
from framelens.serving.batch.inputs import Source

VERSION = 1
WORK_SUFFIX = ".framelens-work"
MANIFEST = "manifest.json"
# Files up to this size are hashed whole; larger ones by their first and last MiB (with
# size and mtime, that catches appends, truncation and edits at either end in milliseconds).
FULL_HASH_BYTES = 2 << 20
EDGE_BYTES = 1 << 20
# Per-file entries make "which file changed" answerable; past this many, only the digest.
LISTED_FILES = 100


def work_dir_for(out: Path) -> Path:
    return out.parent / f".{out.name}{WORK_SUFFIX}"


def part_path(work: Path, number: int, fmt: str) -> Path:
    return work / f"part-{number:06d}.{fmt}"


def rejects_part(work: Path, number: int) -> Path:
    return work / f"part-{number:06d}.rejects.jsonl"


def tally_part(work: Path, number: int) -> Path:
    return work / f"part-{number:06d}.summary.jsonl"


def file_fingerprint(source: Source) -> dict[str, Any]:
    stat = source.path.stat()
    digest = hashlib.sha256()
    with source.path.open("rb") as fh:
        if stat.st_size <= FULL_HASH_BYTES:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        else:
            digest.update(fh.read(EDGE_BYTES))
            fh.seek(-EDGE_BYTES, 2)
            digest.update(fh.read(EDGE_BYTES))
    return {"name": source.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "sha256": digest.hexdigest()}


def fingerprint(sources: Sequence[Source]) -> dict[str, Any]:
    """Files, sizes, modification times and content hashes of every input, in order."""
    entries = [file_fingerprint(s) for s in sources]
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
    out: dict[str, Any] = {"files": len(entries), "bytes": sum(e["size"] for e in entries),
                           "digest": digest}
    if len(entries) <= LISTED_FILES:
        out["entries"] = entries
    return out


def _what_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    if old.get("files") != new.get("files"):
        return f"{old.get('files')} input file(s) then, {new.get('files')} now"
    for a, b in zip(old.get("entries") or [], new.get("entries") or [], strict=False):
        if a != b:
            what = [k for k in ("name", "size", "mtime_ns", "sha256") if a.get(k) != b.get(k)]
            return f"{b['name']} changed ({', '.join(what)})"
    return f"{old.get('bytes')} bytes then, {new.get('bytes')} now"


@dataclass
class Manifest:
    """What the work folder holds: the run's identity and the chunks committed so far."""

    fingerprint: dict[str, Any]
    options: dict[str, Any]
    labels: dict[str, list[str]]
    chunks_done: int = 0
    items_done: int = 0
    sentences_done: int = 0
    rejects_done: int = 0
    complete: bool = False
    version: int = VERSION

    def save(self, work: Path) -> None:
        with atomic_file(work / MANIFEST) as fh:
            json.dump(asdict(self), fh, indent=1)

    @classmethod
    def load(cls, work: Path) -> Manifest:
        path = work / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise OutputError(f"{work}: the work folder of the interrupted run is damaged "
                              f"({exc.__class__.__name__}); pass --overwrite to start again") from None
        if manifest.version != VERSION:
            raise OutputError(f"{work}: written by another framelens version; pass --overwrite "
                              "to start again")
        return manifest

    def check_same_run(self, other: Manifest, work: Path) -> None:
        """Refuse to continue with another input, other options or another model."""
        if self.fingerprint["digest"] != other.fingerprint["digest"]:
            raise ConfigError(
                "cannot resume: the input changed since the interrupted run ("
                + _what_changed(self.fingerprint, other.fingerprint)
                + "); pass --overwrite to start again")
        for key, then in self.options.items():
            now = other.options.get(key)
            if then != now:
                raise ConfigError(
                    f"cannot resume: {key.replace('_', '-')} was {then!r} in the interrupted run, "
                    f"now {now!r}; run with the same options, or pass --overwrite to start again")
        if self.labels != other.labels:
            raise ConfigError("cannot resume: the model's tasks or labels differ from the "
                              "interrupted run's; pass --overwrite to start again")
        missing = [n for n in range(self.chunks_done)
                   if not part_path(work, n, other.options.get("format", "")).exists()]
        if missing:
            raise OutputError(f"{work}: part {missing[0]} of the interrupted run is missing; "
                              "pass --overwrite to start again")


def remove_stale_temporaries(folder: Path, prefix: str = ".") -> None:
    """Temporary files a killed write left behind (atomic_file names them `.NAME.tmp-*`)."""
    if folder.is_dir():
        for tmp in folder.glob(f"{prefix}*.tmp-*"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


def remove_work_dir(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
