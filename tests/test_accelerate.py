"""Training through `accelerate launch`, the path to several GPUs or machines, on one CPU process.

framelens trains with the Hugging Face Trainer, which picks up the processes `accelerate
launch` starts; this checks that the launch path itself works (module entry point, options,
model directory written), not a speed-up.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import MINI_CORPUS

pytest.importorskip("accelerate")


def test_accelerate_launch_trains_and_saves_a_model(tiny_base_dir, tmp_path):
    out = tmp_path / "frame"
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "1", "--cpu",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "-m", "framelens.cli.main", "train", "--task", "frame", "--train", str(MINI_CORPUS),
        "--dev", str(MINI_CORPUS), "--out", str(out), "--base-model", str(tiny_base_dir),
        "--epochs", "1", "--max-length", "32", "--no-calibrate",
    ]
    env = os.environ | {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert {"config.json", "model.safetensors", "framelens.json"} <= {p.name for p in out.iterdir()}
    assert f"saved to {out}" in " ".join(result.stdout.split())
