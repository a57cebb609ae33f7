"""The ONNX prediction backend: the same `logits(texts) -> {task: array}` as torch, from a graph.

`Predictor.load(path, backend="onnx"|"auto")` builds its task models on an `OnnxRunner` instead
of torch weights, so everything above the predictor (the Classifier, the batch engine, the
server) is unchanged: same tokenizer files, same length-sorted batches, same truncation length,
and the same temperature applied by `Predictor.predict_proba` from each task's metadata.

Threads: one onnxruntime intra-op pool as wide as the cores this process may use, and the
tokenizer kept serial while the graph runs, so the two never fight for the same cores.
Which graph is picked, and when, is decided by `select_variant` from the parity report that
`framelens export onnx` wrote (see `framelens.models.onnx_export`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from framelens.data.errors import ConfigError, ModelError
from framelens.models import model_dir
from framelens.models.metadata import ModelMetadata
from framelens.models.onnx_export import (
    ONNX_DIR,
    graph_path,
    importable,
    is_export_folder,
    output_name,
    read_report,
    require_onnx_extra,
)
from framelens.models.predictor import (
    TaskModel,
    _task_from_config,
    check_batch_size,
    check_texts,
    cpu_threads,
    length_sorted_batches,
    pick_device,
)
from tqdm.auto import tqdm

OUTPUT_PREFIX = "logits_"


@contextlib.contextmanager
def serial_tokenizers() -> Iterator[None]:
    """TOKENIZERS_PARALLELISM=false for the duration: the Rust tokenizer's own thread pool
    would otherwise compete with onnxruntime's for the same cores."""
    before = os.environ.get("TOKENIZERS_PARALLELISM")
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = before


def _onnxruntime():
    require_onnx_extra("onnxruntime")
    import onnxruntime

    return onnxruntime


class OnnxRunner:
    """One onnxruntime session over one graph: tokenise, run, logits for each task it holds.

    A shared-encoder bundle's graph answers every task in one run; `tasks` narrows the
    outputs asked for, so a one-task view of the bundle computes only its head's output.
    """

    def __init__(self, session, tokenizer, max_length: int, source: Path):
        self.session = session
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.source = source
        self.input_names = [i.name for i in session.get_inputs()]
        self.widths = {o.name: o.shape[1] if isinstance(o.shape[1], int) else None
                       for o in session.get_outputs()}
        # Fast tokenizers are not safe to call from several threads at once; sessions are.
        self._tokenizer_lock = threading.Lock()

    @classmethod
    def from_file(cls, graph: str | Path, tokenizer, max_length: int,
                  threads: int | None = None) -> OnnxRunner:
        ort = _onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or cpu_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # errors only: no notices about unused initializers
        try:
            session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        except (RuntimeError, ValueError) as exc:  # onnxruntime's Fail / InvalidGraph
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{graph}: the ONNX graph could not be loaded ({first[:200]}); "
                             "export it again with `framelens export onnx`") from None
        return cls(session, tokenizer, max_length, Path(graph))

    @property
    def tasks(self) -> list[str]:
        return [name[len(OUTPUT_PREFIX):] for name in self.widths if name.startswith(OUTPUT_PREFIX)]

    def logits(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False,
               tasks: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Raw logits per task, shape (n, num_labels), in input order."""
        texts = check_texts(texts)
        check_batch_size(batch_size)
        names = list(tasks) if tasks is not None else self.tasks
        missing = [t for t in names if output_name(t) not in self.widths]
        if missing:
            raise ModelError(f"{self.source}: the graph has no output for task(s) "
                             f"{', '.join(missing)} (it has {', '.join(self.tasks)}); export again")
        outputs = [output_name(t) for t in names]
        out = {t: np.zeros((len(texts), self.widths[o] or 0), dtype=np.float32)
               for t, o in zip(names, outputs, strict=True)}
        batches = list(length_sorted_batches(texts, batch_size))
        with serial_tokenizers():
            for idx in tqdm(batches, desc="classifying", unit="batch", disable=not progress):
                with self._tokenizer_lock:
                    enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                         max_length=self.max_length, return_tensors="np")
                feed = {name: np.asarray(enc[name], dtype=np.int64) for name in self.input_names}
                for t, value in zip(names, self.session.run(outputs, feed), strict=True):
                    if out[t].shape[1] != value.shape[1]:  # a graph without a static width
                        out[t] = np.zeros((len(texts), value.shape[1]), dtype=np.float32)
                    out[t][idx] = value
        return out


# -- which backend, which graph -------------------------------------------------------------------
def _layout(path: Path) -> list[tuple[Path, dict[str | None, Path]]]:
    """(onnx folder, {bundle task name: task directory}) for each graph a path is served by.

    A bundle with a bundle-level folder has one graph for every task (shared encoder);
    otherwise each task directory has its own. A model directory is one task (name None:
    read from its metadata).
    """
    if not model_dir.is_bundle(path):
        return [(path / ONNX_DIR, {None: path})]
    tasks = {name: path / sub for name, sub in model_dir.read_bundle(path).items()}
    if is_export_folder(path / ONNX_DIR):
        return [(path / ONNX_DIR, dict(tasks))]
    return [(d / ONNX_DIR, {name: d}) for name, d in tasks.items()]


def _passed(folder: Path, variant: str) -> bool:
    if not graph_path(folder, variant).is_file():
        return False
    report = read_report(folder)
    return report is not None and report.passed(variant)


def select_variant(path: str | Path, backend: str = "auto", device: str | None = None) -> str | None:
    """The ONNX graph to load ("int8" or "fp32"), or None for torch.

    auto: int8 when every graph the model needs exists and its parity report passed, on a
    CPU, with onnxruntime installed; otherwise torch. onnx: int8 on the same terms, else
    fp32; no export at all is an error that says how to make one.
    """
    from framelens.models.predictor import BACKENDS

    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return None
    path = Path(path)
    on_cpu = pick_device(device).split(":", 1)[0] == "cpu"
    folders = [folder for folder, _ in _layout(path)]
    if backend == "auto":
        usable = on_cpu and all(_passed(f, "int8") for f in folders)
        return "int8" if usable and importable("onnxruntime") else None
    if not on_cpu:
        raise ConfigError("the ONNX backend runs on the CPU; use --device cpu (or auto), or "
                          "--backend torch for the GPU")
    require_onnx_extra("onnxruntime")
    if all(_passed(f, "int8") for f in folders):
        return "int8"
    if all(graph_path(f, "fp32").is_file() for f in folders):
        return "fp32"
    raise ModelError(f"{path}: no ONNX export for this model; run `framelens export onnx {path}` "
                     "first")


def _tokenizer(directory: Path):
    from framelens.models.loading import quiet_transformers
    from transformers import AutoTokenizer

    try:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(str(directory))
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{directory}: the tokenizer could not be loaded ({first[:200]})") from None


def _metadata(directory: Path) -> ModelMetadata:
    meta = model_dir.read_metadata(directory)
    if meta is not None:
        return meta
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(directory))  # a plain Hugging Face directory
    return ModelMetadata(task=_task_from_config(SimpleNamespace(config=config)))


def load_task_models(path: str | Path, variant: str,
                     threads: int | None = None) -> tuple[dict[str, TaskModel], bool]:
    """Task models that run on ONNX graphs (no torch weights loaded), and whether one graph
    serves them all (a shared encoder)."""
    path = Path(path)
    layout = _layout(path)
    models: dict[str, TaskModel] = {}
    for folder, dirs in layout:
        metas = {name: _metadata(d) for name, d in dirs.items()}
        tokenizer = _tokenizer(next(iter(dirs.values())))
        max_length = next(iter(metas.values())).max_length
        runner = OnnxRunner.from_file(graph_path(folder, variant), tokenizer, max_length, threads)
        for name, meta in metas.items():
            if output_name(meta.task.name) not in runner.widths:
                raise ModelError(f"{runner.source}: the graph has no output for task "
                                 f"{meta.task.name!r}; export again with `framelens export onnx`")
            models[name or meta.task.name] = TaskModel(None, tokenizer, meta, device="cpu",
                                                       runner=runner)
    return models, len(layout) == 1 and len(models) > 1
