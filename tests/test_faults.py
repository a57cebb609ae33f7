"""Injected faults: a training run killed with SIGKILL and resumed, a write killed half-way,
a full disk, a read-only or missing output folder. Each must end in a clear error or a
complete result, never in a half-written file at the final path or a lost user file.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from framelens.data.errors import OutputError


def case(area: str, name: str, expect: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(area=area, case=name, expect=expect)


def _env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    env.pop("FRAMELENS_DEBUG", None)
    return env


def _python(code: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=_env(), cwd=cwd, timeout=timeout)


# -- training killed and resumed ---------------------------------------------------------------
def _train_args(base: Path, train: Path, dev: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "framelens", "train", "--task", "frame", "--train", str(train),
            "--dev", str(dev), "--out", str(out), "--base-model", str(base), "--epochs", "6",
            "--batch-size", "8", "--learning-rate", "3e-3", "--max-length", "32", "--patience", "20",
            "--seed", "13", "--no-calibrate", "--device", "cpu"]


def _dev_probs(model: Path, texts: list[str]) -> np.ndarray:
    from framelens.models.predictor import TaskModel

    return TaskModel.load(model, device="cpu").predict_proba(texts)


# Measured: the resumed model's dev probabilities equal the uninterrupted run's exactly
# (max |Δp| = 0.0 on CPU, fp32), since the Trainer restores weights, optimiser, scheduler,
# RNG states and the data order. The assertion allows float noise only.
RESUME_TOLERANCE = 1e-5


@case("fault", "train killed with SIGKILL mid-epoch, rerun with --resume --overwrite",
      f"completes; dev predictions equal an uninterrupted run (|Δp| ≤ {RESUME_TOLERANCE:g})")
def test_train_killed_mid_epoch_resumes_to_the_same_model(tiny_base_dir, mini_corpus, tmp_path):
    lines = mini_corpus.read_text().splitlines()
    train = tmp_path / "train.jsonl"  # 8 copies: 46 steps an epoch, long enough to kill inside one
    train.write_text("\n".join(lines * 8) + "\n")
    dev_texts = [json.loads(line)["text"] for line in lines]

    reference = tmp_path / "reference"
    ref = subprocess.run(_train_args(tiny_base_dir, train, mini_corpus, reference),
                         capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=600)
    assert ref.returncode == 0, ref.stderr[-2000:]

    out = tmp_path / "resumed"
    ckpt = tmp_path / ".resumed.checkpoints"
    proc = subprocess.Popen(_train_args(tiny_base_dir, train, mini_corpus, out), env=_env(),
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    try:
        # Wait for the end of epoch 2 (step 92) to be saved completely, then kill a moment
        # into epoch 3 (an epoch takes about a second here).
        while time.time() < deadline and proc.poll() is None:
            if (ckpt / "checkpoint-92" / "trainer_state.json").is_file():
                time.sleep(0.25)
                break
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training ended before it could be killed"
    assert not out.exists()  # nothing at the final path
    steps = sorted(int(p.name.split("-")[1]) for p in ckpt.glob("checkpoint-*"))
    assert steps and max(steps) < 276  # killed before the last epoch was saved

    again = subprocess.run(_train_args(tiny_base_dir, train, mini_corpus, out) +
                           ["--resume", "--overwrite"], capture_output=True, text=True,
                           env=_env(), cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "model.safetensors").is_file() and not ckpt.exists()
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]

    want, got = _dev_probs(reference, dev_texts), _dev_probs(out, dev_texts)
    assert np.abs(want - got).max() <= RESUME_TOLERANCE
    assert (want.argmax(1) == got.argmax(1)).all()


@case("fault", "train killed while a checkpoint was being saved",
      "--resume skips the incomplete checkpoint and uses the one before")
def test_resume_skips_an_incomplete_checkpoint(tmp_path):
    from framelens.training.trainer import last_complete_checkpoint

    for step, complete in ((46, True), (92, True), (138, False)):
        d = tmp_path / f"checkpoint-{step}"
        d.mkdir()
        (d / "model.safetensors").write_bytes(b"x")
        if complete:
            (d / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-92"
    assert not (tmp_path / "checkpoint-138").exists()
    assert last_complete_checkpoint(tmp_path / "none") is None


# -- writes killed, disks full, folders unwritable ---------------------------------------------
@case("fault", "a write killed with SIGKILL half-way",
      "final file untouched; the hidden temp file is removed by the next write")
def test_killed_write_leaves_the_old_file_and_the_next_write_cleans_up(tmp_path):
    target = tmp_path / "rows.jsonl"
    target.write_text("previous\n")
    killed = _python(f"""
        import os, signal
        from framelens.data.outputs import atomic_file
        with atomic_file({str(target)!r}) as fh:
            fh.write("half a row")
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        """, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL
    leftovers = list(tmp_path.glob(".rows.jsonl.tmp-*"))
    assert len(leftovers) == 1 and target.read_text() == "previous\n"
    # Somebody else's files that only look alike are never touched.
    keep = [tmp_path / ".rows.jsonl.checkpoints", tmp_path / ".other.jsonl.tmp-1-ab",
            tmp_path / "rows.jsonl.tmp-1-ab"]
    for path in keep:
        path.write_text("not ours")
        os.utime(path, (1, 1))
    time.sleep(0.05)

    rerun = _python(f"""
        from framelens.data.writers import write_rows
        write_rows([{{"index": 0, "text": "complete"}}], {str(target)!r})
        """, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert not list(tmp_path.glob(".rows.jsonl.tmp-*"))
    assert json.loads(target.read_text()) == {"index": 0, "text": "complete"}
    assert all(path.exists() for path in keep)


@case("fault", "a temp file of a write still running in another process",
      "left alone by the cleanup")
def test_cleanup_spares_a_live_writer(tmp_path):
    from framelens.data.outputs import clean_stale_temps

    target = tmp_path / "out.csv"
    live = tmp_path / f".out.csv.tmp-{os.getppid()}-abcd1234"  # our parent is alive
    dead = tmp_path / ".out.csv.tmp-4194303-abcd1234"  # above the usual pid range
    old_style = tmp_path / ".out.csv.tmp-k2j4_x9z"  # a tempfile name from older versions
    for path in (live, dead, old_style):
        path.write_text("x")
        os.utime(path, (1, 1))
    fresh = tmp_path / ".out.csv.tmp-4194302-ffff0000"
    fresh.write_text("written after this process started")
    removed = clean_stale_temps(target)
    assert sorted(removed) == sorted([dead, old_style])
    assert live.exists() and fresh.exists()


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FullDisk:
    """A file object whose writes fail as on a full disk."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        _enospc()

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@case("fault", "disk full while writing a predictions file (failing writer)",
      "clear error, exit 2; the previous file is intact, no temp file left")
def test_disk_full_keeps_the_previous_file(tmp_path, monkeypatch):
    from framelens.data import outputs
    from framelens.data.writers import write_rows

    target = tmp_path / "rows.csv"
    target.write_text("previous\n")
    real_fdopen = os.fdopen
    monkeypatch.setattr(outputs.os, "fdopen", lambda *a, **k: _FullDisk(real_fdopen(*a, **k)))
    with pytest.raises(OutputError) as err:
        write_rows([{"index": 0, "text": "x"}], target)
    assert str(err.value).startswith(f"{target}: could not be written (No space left on device); "
                                     "free some space")
    assert target.read_text() == "previous\n"
    assert not list(tmp_path.glob(".rows.csv.tmp-*"))


@case("fault", "disk full while saving a model directory",
      "clear error; nothing at the final path, no temp folder left")
def test_disk_full_while_saving_a_model(trained_frame, tmp_path, monkeypatch):
    from framelens.models import model_dir
    from framelens.models.predictor import TaskModel

    model = TaskModel.load(trained_frame, device="cpu")
    monkeypatch.setattr(model_dir, "write_metadata", _enospc)
    out = tmp_path / "model"
    with pytest.raises(OutputError, match="No space left on device"):
        model.save(out)
    assert not out.exists() and os.listdir(tmp_path) == []


@case("fault", "framelens train: disk full when saving (real CLI, failing writer)",
      "exit 2, one line, no traceback; nothing at --out")
def test_cli_train_disk_full(tiny_base_dir, mini_corpus, tmp_path):
    out = tmp_path / "model"
    result = _python(f"""
        import errno, os, sys
        from framelens.models import model_dir
        def full(*a, **k):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        model_dir.write_metadata = full
        sys.argv = ["framelens", "train", "--train", {str(mini_corpus)!r}, "--dev",
                    {str(mini_corpus)!r}, "--out", {str(out)!r}, "--base-model",
                    {str(tiny_base_dir)!r}, "--epochs", "1", "--max-length", "32",
                    "--no-calibrate", "--device", "cpu"]
        from framelens.cli.main import main
        main()
        """, cwd=tmp_path, timeout=600)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"error: {out}: could not be written (No space left on device)" in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".model.tmp-*"))


@pytest.mark.parametrize("how", [
    pytest.param("injected", marks=case(
        "fault", "output folder not writable (EACCES injected)", "clear error before writing")),
    pytest.param("chmod", marks=case(
        "fault", "read-only output folder (chmod 555; skipped as root)", "clear error")),
])
def test_unwritable_output_folder(tmp_path, monkeypatch, how):
    from framelens.data import outputs
    from framelens.data.writers import write_rows

    folder = tmp_path / "ro"
    folder.mkdir()
    if how == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root writes to read-only folders; the injected case covers it")
        folder.chmod(0o555)
    else:
        def denied(path, *args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        monkeypatch.setattr(outputs.os, "open", denied)
    try:
        with pytest.raises(OutputError) as err:
            outputs.check_writable(folder / "rows.jsonl")
        assert str(err.value).startswith(f"{folder / 'rows.jsonl'}: could not be written "
                                         "(Permission denied); choose a folder you can write to")
        with pytest.raises(OutputError, match="Permission denied"):
            write_rows([{"index": 0}], folder / "rows.jsonl")
    finally:
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []


@case("fault", "output folder missing", "created, then written")
def test_missing_output_folder_is_created(tmp_path):
    from framelens.data.writers import write_rows

    target = tmp_path / "new" / "deeper" / "rows.jsonl"
    write_rows([{"index": 0, "text": "x"}], target)
    assert json.loads(target.read_text())["text"] == "x"


@case("fault", "output path below a file", "clear error naming the path")
def test_output_below_a_file(tmp_path):
    from framelens.data.writers import write_rows

    (tmp_path / "file").write_text("mine")
    with pytest.raises(OutputError, match="a part of the folder path is a file"):
        write_rows([{"index": 0}], tmp_path / "file" / "rows.jsonl")
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize("kind", [
    pytest.param("file", marks=case("fault", "train --out onto a user's file",
                                    "refused; the file is untouched")),
    pytest.param("folder", marks=case("fault", "train/evaluate --out onto a user's folder",
                                      "refused even with --overwrite; files untouched")),
])
def test_user_files_are_never_replaced(tmp_path, kind):
    from framelens.data.outputs import guard_output_dir
    from framelens.models.model_dir import is_framelens_model

    target = tmp_path / "thesis"
    if kind == "file":
        target.write_text("draft")
    else:
        target.mkdir()
        (target / "chapter1.md").write_text("draft")
    with pytest.raises(OutputError, match="choose another output path"):
        guard_output_dir(target, True, is_ours=is_framelens_model, kind="model directory")
    assert (target if kind == "file" else target / "chapter1.md").read_text() == "draft"


# -- file modes --------------------------------------------------------------------------------
@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


@case("fault", "file modes of written outputs", "umask's default for new files; replaced files "
      "keep their mode")
def test_written_files_follow_the_umask_and_keep_modes(tmp_path, umask):
    from framelens.data.outputs import atomic_directory
    from framelens.data.writers import write_rows

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    umask(0o022)
    new = write_rows([{"index": 0}], tmp_path / "new.jsonl")
    assert mode(new) == 0o644
    with atomic_directory(tmp_path / "report") as tmp:
        (tmp / "metrics.json").write_text("{}")
    assert mode(tmp_path / "report") == 0o755
    umask(0o077)
    private = write_rows([{"index": 0}], tmp_path / "private.jsonl")
    assert mode(private) == 0o600
    umask(0o022)
    shared = tmp_path / "shared.csv"
    shared.write_text("old")
    shared.chmod(0o664)
    write_rows([{"index": 0}], shared)
    assert mode(shared) == 0o664 and shared.read_text().startswith("index")
    secret = tmp_path / "secret.jsonl"
    secret.write_text("old")
    secret.chmod(0o600)
    write_rows([{"index": 0}], secret)
    assert mode(secret) == 0o600
