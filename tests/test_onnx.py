"""ONNX export and the ONNX backend on tiny models: parity with torch, the report, backend choice.

Every test exports into a copy of the session fixtures: an `onnx/` folder inside the shared
fixture would make `backend="auto"` pick the graph in every later test that loads it.
"""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest
from conftest import MINI_CORPUS, tiny_config
from typer.testing import CliRunner

pytest.importorskip("onnxruntime", reason="pip install 'framelens[onnx]'")

TEXTS = ["Shelling hit the market at dawn.", "Talks resume on Monday in Geneva.",
         "Troops cleared the last extremist hideouts.", "Aid trucks reached the camp.",
         "x"]


@pytest.fixture(scope="module")
def shared_bundle(tiny_base_dir, tmp_path_factory):
    """A frame + stance bundle trained with one shared encoder (a few epochs: speed only)."""
    from framelens.training.multitask import train_joint_and_save

    out = tmp_path_factory.mktemp("onnx-joint") / "bundle"
    train_joint_and_save(tiny_config(tiny_base_dir, out, tasks=["frame", "stance"], epochs=3))
    return out


def _copy(src, tmp_path, name="model"):
    return shutil.copytree(src, tmp_path / name)


def _report(folder) -> dict:
    return json.loads((folder / "parity.json").read_text())


def test_export_command_writes_graphs_and_a_parity_report(trained_frame, tmp_path):
    from framelens.models.onnx_backend import load_task_models
    from framelens.models.predictor import Predictor

    from framelens.cli.main import app

    model = _copy(trained_frame, tmp_path)
    result = CliRunner().invoke(app, ["export", "onnx", str(model), "--quantize", "int8",
                                      "--data", str(MINI_CORPUS)])
    assert "model.int8.onnx" in result.output and "argmax agree" in result.output
    folder = model / "onnx"
    assert {p.name for p in folder.iterdir()} == {"model.onnx", "model.int8.onnx", "parity.json"}
    assert not list(model.glob(".onnx*"))  # no temporary folder left behind
    report = _report(folder)
    # The tiny random model's classes are nearly tied (|dp| ~ 1e-4 can flip a row), so int8
    # may pass or fail here; the exit status must say which the report says.
    passed = all(v["passed"] for v in report["variants"].values())
    assert result.exit_code == (0 if passed else 1), result.output
    assert ("parity failed" in result.output) is not passed
    fp32 = report["variants"]["fp32"]["tasks"]["frame"]
    assert fp32["rows"] == 46 and fp32["max_prob_diff"] < 1e-4
    assert fp32["argmax_agreement"] == 1.0 and fp32["macro_f1_onnx"] == fp32["macro_f1_torch"]
    assert report["fused_operators"].get("Attention", 0) > 0  # eager attention, fused
    assert set(report["variants"]["int8"]["tasks"]) == {"frame"}

    # The fp32 graph, straight, against torch on unseen texts (temperature applied alike).
    onnx_models, shared = load_task_models(model, "fp32")
    assert not shared
    ours = Predictor(onnx_models).predict_proba(TEXTS)["frame"]
    torch_probs = Predictor.load(model).predict_proba(TEXTS)["frame"]
    np.testing.assert_allclose(ours, torch_probs, atol=1e-4)
    assert (ours.argmax(1) == torch_probs.argmax(1)).all()


def test_shared_bundle_is_one_graph_with_every_head(shared_bundle, tmp_path):
    import onnx
    from framelens.models.onnx_backend import load_task_models
    from framelens.models.onnx_export import export_onnx
    from framelens.models.predictor import Predictor

    bundle = _copy(shared_bundle, tmp_path, "bundle")
    graphs = export_onnx(bundle, quantize="int8", data=MINI_CORPUS)
    assert [g.folder for g in graphs] == [bundle / "onnx"]
    assert not (bundle / "frame" / "onnx").exists()
    outputs = [o.name for o in onnx.load(str(bundle / "onnx" / "model.onnx")).graph.output]
    assert outputs == ["logits_frame", "logits_stance"]
    for task in ("frame", "stance"):
        t = graphs[0].report.variants["fp32"].tasks[task]
        assert t.max_prob_diff < 1e-4 and t.argmax_agreement == 1.0
        assert task in graphs[0].report.variants["int8"].tasks

    loaded = Predictor.load(bundle, backend="onnx")
    assert loaded.shared_encoder
    assert loaded.model("frame").runner is loaded.model("stance").runner  # one pass for both
    predictor = Predictor(*load_task_models(bundle, "fp32"))
    ours, theirs = predictor.predict_proba(TEXTS), Predictor.load(bundle).predict_proba(TEXTS)
    for task in ("frame", "stance"):
        np.testing.assert_allclose(ours[task], theirs[task], atol=1e-4)
    # A one-task view of the graph answers for its task only.
    assert set(predictor.only("stance").predict_proba(TEXTS)) == {"stance"}


def test_bundle_without_shared_encoder_exports_each_task(trained_bundle, tmp_path):
    from framelens.models.onnx_export import export_onnx
    from framelens.models.predictor import Predictor

    bundle = _copy(trained_bundle, tmp_path, "bundle")
    graphs = export_onnx(bundle, data=MINI_CORPUS)
    assert sorted(g.folder for g in graphs) == [bundle / "frame" / "onnx", bundle / "stance" / "onnx"]
    assert not (bundle / "onnx").exists()
    predictor = Predictor.load(bundle, backend="onnx")
    assert not predictor.shared_encoder
    assert predictor.model("frame").runner is not predictor.model("stance").runner
    ours, theirs = predictor.predict_proba(TEXTS), Predictor.load(bundle).predict_proba(TEXTS)
    for task in ("frame", "stance"):
        np.testing.assert_allclose(ours[task], theirs[task], atol=1e-4)


def test_auto_picks_int8_only_when_its_report_passed(trained_frame, tmp_path):
    from framelens.models.onnx_export import export_onnx
    from framelens.models.predictor import Predictor, cpu_threads
    from framelens.serving import Classifier

    model = _copy(trained_frame, tmp_path)
    assert Predictor.load(model, backend="auto").model().runner is None  # nothing exported
    graphs = export_onnx(model, quantize="int8", data=MINI_CORPUS)
    report_path = model / "onnx" / "parity.json"
    report = _report(model / "onnx")
    int8 = report["variants"]["int8"]["tasks"]["frame"]

    # Make the int8 result pass, then fail, on the same graph: only the report decides.
    int8.update(argmax_agreement=1.0, macro_f1_onnx=int8["macro_f1_torch"])
    report_path.write_text(json.dumps(report))
    auto = Predictor.load(model, backend="auto").model()
    assert auto.runner is not None and auto.runner.source.name == "model.int8.onnx"
    assert auto.model is None  # no torch weights loaded
    assert Classifier.load(model).predictor.model().runner is not None  # Classifier: auto
    assert Predictor.load(model).model().runner is None  # the predictor's default is torch
    assert Classifier.load(model, backend="torch").predictor.model().runner is None

    # Threads: one intra-op pool as wide as OMP_NUM_THREADS, or the usable cores.
    options = auto.runner.session.get_session_options()
    assert options.intra_op_num_threads == cpu_threads()

    int8["argmax_agreement"] = 0.98
    report_path.write_text(json.dumps(report))
    assert Predictor.load(model, backend="auto").model().runner is None
    # Asked for explicitly, ONNX falls back to the exact fp32 graph.
    assert Predictor.load(model, backend="onnx").model().runner.source.name == "model.onnx"

    int8["argmax_agreement"] = 1.0
    int8["macro_f1_onnx"] = int8["macro_f1_torch"] - 0.006  # more than half a point lower
    report_path.write_text(json.dumps(report))
    assert Predictor.load(model, backend="auto").model().runner is None

    (model / "onnx" / "model.int8.onnx").unlink()
    int8["macro_f1_onnx"] = int8["macro_f1_torch"]
    report_path.write_text(json.dumps(report))
    assert Predictor.load(model, backend="auto").model().runner is None  # no int8 file
    assert graphs[0].files["fp32"].is_file()


def test_backend_errors_say_what_to_do(trained_frame, tmp_path):
    from framelens.data.errors import ConfigError, ModelError
    from framelens.models.predictor import Predictor

    with pytest.raises(ConfigError, match="unknown backend 'tensorrt'"):
        Predictor.load(trained_frame, backend="tensorrt")
    with pytest.raises(ModelError, match="framelens export onnx"):
        Predictor.load(_copy(trained_frame, tmp_path), backend="onnx")


def test_missing_onnxruntime_is_a_one_line_error(trained_frame, tmp_path, monkeypatch):
    from framelens.data.errors import EnvironmentProblem
    from framelens.models.onnx_export import export_onnx
    from framelens.models.predictor import Predictor

    model = _copy(trained_frame, tmp_path)
    export_onnx(model, quantize="int8", data=MINI_CORPUS)
    report = _report(model / "onnx")
    for t in report["variants"]["int8"]["tasks"].values():
        t.update(argmax_agreement=1.0, macro_f1_onnx=t["macro_f1_torch"])
    (model / "onnx" / "parity.json").write_text(json.dumps(report))

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now fails
    with pytest.raises(EnvironmentProblem) as err:
        export_onnx(model, data=MINI_CORPUS)
    message = str(err.value)
    assert "\n" not in message and "pip install 'framelens[onnx]'" in message
    assert "onnxruntime" in message
    with pytest.raises(EnvironmentProblem, match=r"framelens\[onnx\]"):
        Predictor.load(model, backend="onnx")
    assert Predictor.load(model, backend="auto").model().runner is None  # auto: torch


def test_dynamo_exporter_also_passes_parity(trained_frame, tmp_path):
    pytest.importorskip("onnxscript", reason="torch's dynamo exporter needs onnxscript")
    from framelens.models.onnx_export import export_onnx

    graphs = export_onnx(_copy(trained_frame, tmp_path), data=MINI_CORPUS, exporter="dynamo")
    t = graphs[0].report.variants["fp32"].tasks["frame"]
    assert graphs[0].report.exporter == "dynamo"
    assert t.max_prob_diff < 1e-4 and t.argmax_agreement == 1.0


def test_thread_settings_follow_the_environment(monkeypatch):
    import os

    from framelens.models.onnx_backend import serial_tokenizers
    from framelens.models.predictor import cpu_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cpu_threads() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    with serial_tokenizers():
        assert os.environ["TOKENIZERS_PARALLELISM"] == "false"
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"  # given back afterwards


def test_int8_spares_the_ffn_outputs_and_says_so(trained_frame, tmp_path):
    """Dynamic int8 with per-channel weights, except the GELU-fed FFN output projections, which
    get block-wise 8-bit weights (MatMulNBits): the recipe is in the graph and in the report."""
    import onnx
    from framelens.models.onnx_export import export_onnx
    from framelens.models.onnx_quantize import ffn_output_matmuls

    model = _copy(trained_frame, tmp_path)
    graphs = export_onnx(model, quantize="int8", data=MINI_CORPUS)
    fp32 = onnx.load(str(model / "onnx" / "model.onnx"))
    spared = ffn_output_matmuls(fp32)
    assert len(spared) == 2  # one per layer of the tiny model
    ops = [n.op_type for n in onnx.load(str(model / "onnx" / "model.int8.onnx")).graph.node]
    assert ops.count("MatMulNBits") == len(spared)
    assert "DynamicQuantizeMatMul" in ops or "MatMulInteger" in ops  # the rest: dynamic int8
    recipe = graphs[0].report.quantization
    assert recipe["blockwise_8bit"] == spared and recipe["block_size"] == 256
    assert _report(model / "onnx")["quantization"] == recipe
