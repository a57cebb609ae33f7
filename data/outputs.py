"""Write output directories and files atomically: all or nothing, never partial."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from framelens.data.errors import OutputError


def guard_output_dir(
    target: str | Path, overwrite: bool, is_ours: Callable[[Path], bool], kind: str
) -> None:
    """Refuse an output directory that would destroy something the user has.

    A missing path or an empty directory is fine. A directory framelens wrote (`is_ours`)
    may be replaced only with `overwrite`. A file, or a directory with other content, is
    never replaced: we cannot know what it holds.
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        raise OutputError(f"{target}: exists and is not a directory; choose another output path")
    if not any(target.iterdir()):
        return
    if not is_ours(target):
        raise OutputError(
            f"{target}: exists and is not a framelens {kind}; refusing to replace it "
            "(choose another output path)"
        )
    if not overwrite:
        raise OutputError(
            f"{target}: a framelens {kind} is already there; pass --overwrite to replace it"
        )


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces `target`.

    If the body raises, the temporary directory is removed and an existing
    `target` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator:
    """Open a temporary sibling file for writing; it replaces `target` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with open(tmp, mode, **kwargs) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
