"""Write output directories and files atomically: all or nothing, never partial.

Everything is written to a hidden sibling (`.NAME.tmp-PID-XXXX`) and renamed over the
target only when complete, so a full disk, a kill or a bug leaves the previous file (or
nothing) at the final path, never half a file. The sibling is created with the mode the
umask gives any new file, and a file we replace keeps its mode: we do not decide who may
read the user's outputs. A sibling left by a killed run is removed on the next write to
the same target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from framelens.data.errors import OutputError

# Leftover temporaries are only those older than this process: a newer one belongs to a
# run that started after us and may still be writing.
_PROCESS_START = time.time()
# Failures while writing that mean "this cannot be written here", as opposed to a bug.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                           errno.EIO, errno.EFBIG})


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


# -- temporaries ------------------------------------------------------------------------------
def temp_name(target: Path) -> Path:
    """The hidden sibling a write to `target` goes through (our pid makes it ours)."""
    return target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"


def _temp_pattern(target: Path) -> re.Pattern[str]:
    # `.NAME.tmp-PID-HEX` (this module) or `.NAME.tmp-XXXXXXXX` (older tempfile names).
    return re.compile(rf"\.{re.escape(target.name)}\.tmp-(?:(\d+)-)?[A-Za-z0-9_]+")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an old file with our pid is from a previous process that had it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_stale_temps(target: str | Path) -> list[Path]:
    """Remove temporaries that a killed write to `target` left behind.

    Only siblings named by our own pattern, older than this process and not held by a
    live process are removed; best effort, never an error.
    """
    target = Path(target)
    pattern = _temp_pattern(target)
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match:
            continue
        try:
            st = entry.lstat()
            if st.st_mtime >= _PROCESS_START:
                continue
            if match.group(1) and _alive(int(match.group(1))):
                continue
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            continue
    return removed


def _cannot_write(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    hint = {errno.ENOSPC: "free some space or choose another disk",
            errno.EDQUOT: "free some space or choose another disk",
            errno.EROFS: "the file system is read-only; choose another output path",
            errno.EACCES: "choose a folder you can write to",
            errno.EPERM: "choose a folder you can write to"}.get(exc.errno or 0)
    tail = f"; {hint}" if hint else ""
    return OutputError(f"{target}: could not be written ({reason}){tail}; nothing was written "
                       "there")


def _is_write_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno == errno.EEXIST or isinstance(exc, FileExistsError | NotADirectoryError):
            raise OutputError(f"{target}: a part of the folder path is a file; choose another "
                              "output path") from None
        raise _cannot_write(target, exc) from None


def check_writable(target: str | Path) -> Path:
    """Fail now, before hours of work, if `target` could not be written later.

    Creates the parent folder if missing and writes (then removes) an empty temporary
    beside the target.
    """
    target = Path(target)
    _make_parent(target)
    probe = temp_name(target)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        probe.unlink()
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    return target


# -- directories ------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces `target`.

    If the body raises, the temporary directory is removed and an existing
    `target` is left untouched.
    """
    target = Path(target)
    _make_parent(target)
    clean_stale_temps(target)
    tmp = temp_name(target)
    try:
        tmp.mkdir(0o777)  # the umask decides, as for any folder the user makes
        if target.is_dir():
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        yield tmp
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if _is_write_error(exc):
            raise _cannot_write(target, exc) from exc  # type: ignore[arg-type]
        raise
    old = None
    try:
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            target.rename(old)
        tmp.rename(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not target.exists():
            old.rename(target)
        raise _cannot_write(target, exc) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- files ------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_file(target: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary sibling file for writing; it replaces `target` only on success.

    Writing through a symbolic link updates the file it points to (the link stays).
    """
    target = Path(target)
    if target.is_symlink():
        target = target.resolve()
    _make_parent(target)
    clean_stale_temps(target)
    tmp = temp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as fh:
            with contextlib.suppress(FileNotFoundError):
                # Replacing a file keeps its mode (a private 0600 stays private, 0644 stays
                # readable); a new file keeps what the umask gave it.
                os.fchmod(fh.fileno(), stat.S_IMODE(target.stat().st_mode))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if _is_write_error(exc):
            raise _cannot_write(target, exc) from exc  # type: ignore[arg-type]
        raise
