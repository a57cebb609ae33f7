"""The prediction backend: tokenise, forward, logits, probabilities.

Training's evaluation, the batch engine, the Python API and the HTTP server all score
text through `Predictor`, so a sentence gets the same probabilities whichever way it
comes in. `Predictor` answers the same calls whether it holds one task (a model
directory) or several (a bundle): callers never check what was loaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from framelens.data.errors import ConfigError, EnvironmentProblem, ModelError
from framelens.data.tasks import Task
from framelens.models import model_dir
from framelens.models.metadata import ModelMetadata
from tqdm.auto import tqdm

DEVICES = ("auto", "cpu", "cuda", "mps")
# torch: the weights as trained; onnx: the exported graph (framelens.models.onnx_backend);
# auto: the int8 graph when its parity report passed, else torch.
BACKENDS = ("auto", "torch", "onnx")
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
_threads_set = False


def pick_device(device: str | None = None) -> str:
    """'auto' → CUDA when present, else CPU. An explicit device must exist: asking for a GPU
    on a machine without one is an error, never a silent fall-back to the CPU."""
    name = (device or "auto").strip().lower()
    kind = name.split(":", 1)[0]
    if kind not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if kind == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if kind == "cuda" and not torch.cuda.is_available():
        raise EnvironmentProblem("device 'cuda' was asked for, but this machine has no CUDA GPU "
                                 "(use --device cpu or auto)")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise EnvironmentProblem("device 'mps' was asked for, but it is not available here")
    return name


def cpu_threads() -> int:
    """Intra-op threads for this process: OMP_NUM_THREADS when set (the user, a scheduler or
    Ray chose), else every core this process may run on (its affinity, so a container's or
    taskset's limit counts, unlike os.cpu_count())."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def use_all_cores() -> None:
    """torch.set_num_threads(cores), once per process, unless the thread environment
    variables are set: then the user has chosen and torch already follows them."""
    global _threads_set
    if _threads_set or any(os.environ.get(name) for name in _THREAD_ENV):
        return
    _threads_set = True
    if torch.get_num_threads() != cpu_threads():
        torch.set_num_threads(cpu_threads())


def check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch size must be a whole number ≥ 1, got {batch_size!r}")
    return batch_size


def check_texts(texts: Sequence[str]) -> list[str]:
    """A list of strings, or a TypeError naming the first element that is not one."""
    if isinstance(texts, str | bytes):
        raise TypeError("expected a list of strings, got a single string")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text at index {i} is {type(t).__name__}, not str")
    return out


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Temperature-scaled softmax (temperature 1 = the model's own probabilities)."""
    z = logits / max(float(temperature), 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> Iterator[list[int]]:
    """Indices in batches of similar length: on a CPU, padded tokens are most of the cost
    of a naive batch."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


class TaskModel:
    """One fine-tuned model directory: an encoder with a classification head for one task.

    It owns its files (load and save go through `model_dir`), like setfit's model class.
    """

    def __init__(self, model, tokenizer, metadata: ModelMetadata, device: str = "cpu",
                 runner=None):
        self.model = model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.device = device
        # An ONNX graph (`onnx_backend.OnnxRunner`) that computes the logits instead of
        # `model`, which is then None: the same calls, another engine.
        self.runner = runner
        # Fast tokenizers are not safe to call from several threads at once ("Already
        # borrowed"); the forward pass is. Lock only the tokenizer.
        self._tokenizer_lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path, device: str | None = None,
             allow_pickle: bool = False) -> TaskModel:
        dev = pick_device(device)
        model, tokenizer = model_dir.load_weights(path, dev, allow_pickle)
        meta = model_dir.read_metadata(path) or ModelMetadata(task=_task_from_config(model))
        return cls(model, tokenizer, meta, device=dev)

    def save(self, target: str | Path, *, metrics=None, training_config=None, card=None,
             overwrite: bool = False) -> Path:
        """A model directory of its own, written in one atomic step."""
        return model_dir.save_model_dir(
            target, model=self.model, tokenizer=self.tokenizer, metadata=self.metadata,
            metrics=metrics, training_config=training_config, card=card, overwrite=overwrite,
        )

    def write(self, directory: Path, *, metrics=None, training_config=None, card=None) -> None:
        """The model directory's files into `directory`, inside a bundle that the caller
        writes atomically as a whole (no second temporary folder inside the first)."""
        directory.mkdir()
        model_dir.write_model_files(directory, model=self.model, tokenizer=self.tokenizer,
                                    metadata=self.metadata, metrics=metrics,
                                    training_config=training_config, card=card)

    @property
    def task(self) -> Task:
        return self.metadata.task

    @torch.inference_mode()
    def logits(self, texts: Sequence[str], batch_size: int = 32,
               progress: bool = False) -> np.ndarray:
        """Raw logits, shape (n, num_labels), in input order."""
        if self.runner is not None:
            name = self.task.name
            return self.runner.logits(texts, batch_size, progress, tasks=[name])[name]
        texts = check_texts(texts)
        check_batch_size(batch_size)
        out = np.zeros((len(texts), len(self.task.labels)), dtype=np.float32)
        batches = list(length_sorted_batches(texts, batch_size))
        for idx in tqdm(batches, desc="classifying", unit="batch", disable=not progress):
            with self._tokenizer_lock:
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                     max_length=self.metadata.max_length, return_tensors="pt")
            out[idx] = self.model(**enc.to(self.device)).logits.float().cpu().numpy()
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 32,
                      progress: bool = False) -> np.ndarray:
        """Class probabilities, temperature-scaled when the model is calibrated."""
        return probabilities(self.logits(texts, batch_size, progress), self.metadata.temperature)


def _tie(models: list[TaskModel]) -> bool:
    """Share one encoder between a bundle's task models, if they really have the same one
    (same weights, same tokenizer settings); otherwise each runs its own."""
    from framelens.models.shared_encoder import tie_encoders

    first = models[0]
    if any(m.metadata.max_length != first.metadata.max_length or m.device != first.device
           for m in models[1:]):
        return False
    return tie_encoders([m.model for m in models])


def _task_from_config(model) -> Task:
    """A task rebuilt from a plain Hugging Face model's config (a directory not made by us)."""
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    if model.config.problem_type == "multi_label_classification":
        raise ModelError("multi-label models are not supported by framelens")
    return Task(name="task", labels=tuple(id2label[i] for i in sorted(id2label)))


class Predictor:
    """Probabilities for one or several tasks: a model directory or a bundle, one interface.

    When a bundle's tasks share one encoder (joint training), the encoder runs once per
    batch and each task applies only its head.
    """

    def __init__(self, models: dict[str, TaskModel], shared_encoder: bool = False):
        if not models:
            raise ModelError("a predictor needs at least one task model")
        self.models = dict(models)
        self.shared_encoder = shared_encoder and len(self.models) > 1

    @classmethod
    def load(cls, path: str | Path | None, device: str | None = None,
             allow_pickle: bool = False, backend: str = "torch") -> Predictor:
        """A model directory (one task) or a bundle (one directory per task).

        `backend`: "torch" (the trained weights), "onnx" (the exported graph: int8 when its
        parity report passed, else fp32) or "auto" (ONNX int8 when it exists and passed,
        on a CPU; otherwise torch).
        """
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if path is None or not str(path).strip():
            raise ModelError("no model given: pass a model directory or bundle")
        path = Path(path)
        if not path.exists():
            raise ModelError(f"{path}: no such model directory or bundle")
        if backend != "torch":
            from framelens.models.onnx_backend import load_task_models, select_variant

            variant = select_variant(path, backend, device)
            if variant is not None:
                models, shared = load_task_models(path, variant)
                return cls(models, shared_encoder=shared)
        if pick_device(device).startswith("cpu"):
            use_all_cores()
        if model_dir.is_bundle(path):
            subdirs = model_dir.read_bundle(path)
            models = {name: TaskModel.load(path / sub, device, allow_pickle)
                      for name, sub in subdirs.items()}
            shared = model_dir.bundle_shares_encoder(path) and _tie(list(models.values()))
            return cls(models, shared_encoder=shared)
        model = TaskModel.load(path, device, allow_pickle)
        return cls({model.task.name: model})

    @property
    def tasks(self) -> list[str]:
        return list(self.models)

    def task(self, name: str | None = None) -> Task:
        return self.model(name).task

    def labels(self, name: str | None = None) -> tuple[str, ...]:
        return self.task(name).labels

    def model(self, name: str | None = None) -> TaskModel:
        """The task model `name`; with one task loaded, `None` (or that name) picks it."""
        if name is None:
            if len(self.models) == 1:
                return next(iter(self.models.values()))
            raise ConfigError(f"the model bundle holds tasks {self.tasks}; choose one with --task")
        if name in self.models:
            return self.models[name]
        if len(self.models) == 1 and self.tasks == ["task"]:
            return self.models["task"]  # a plain HF directory answers to any task name
        raise ConfigError(f"the model has no task {name!r} (it has {', '.join(self.tasks)})")

    def only(self, name: str | None) -> Predictor:
        """A one-task view (shares the loaded weights)."""
        model = self.model(name)
        return Predictor({model.task.name: model})

    def logits(self, texts: Sequence[str], batch_size: int = 32,
               progress: bool = False) -> dict[str, np.ndarray]:
        texts = check_texts(texts)
        if all(m.runner is not None for m in self.models.values()):
            return self._runner_logits(texts, batch_size, progress)
        if self.shared_encoder:
            return self._shared_logits(texts, batch_size, progress)
        return {name: m.logits(texts, batch_size, progress) for name, m in self.models.items()}

    def _runner_logits(self, texts: list[str], batch_size: int,
                       progress: bool) -> dict[str, np.ndarray]:
        """ONNX graphs: each runs once for all the tasks it holds (a shared-encoder graph,
        once for every task)."""
        groups: dict[int, tuple] = {}  # id(runner) -> (runner, its tasks)
        for m in self.models.values():
            groups.setdefault(id(m.runner), (m.runner, []))[1].append(m.task.name)
        out: dict[str, np.ndarray] = {}
        for runner, names in groups.values():
            out.update(runner.logits(texts, batch_size, progress, tasks=names))
        return {key: out[m.task.name] for key, m in self.models.items()}

    @torch.inference_mode()
    def _shared_logits(self, texts: list[str], batch_size: int,
                       progress: bool) -> dict[str, np.ndarray]:
        """One encoder pass per batch, then every task's head on the pooled output."""
        from framelens.models.shared_encoder import bert_head_logits

        check_batch_size(batch_size)
        first = next(iter(self.models.values()))
        out = {name: np.zeros((len(texts), len(m.task.labels)), dtype=np.float32)
               for name, m in self.models.items()}
        batches = list(length_sorted_batches(texts, batch_size))
        for idx in tqdm(batches, desc="classifying", unit="batch", disable=not progress):
            with first._tokenizer_lock:
                enc = first.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                      max_length=first.metadata.max_length, return_tensors="pt")
            pooled = first.model.bert(**enc.to(first.device)).pooler_output
            for name, m in self.models.items():
                out[name][idx] = bert_head_logits(m.model, pooled).float().cpu().numpy()
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 32,
                      progress: bool = False) -> dict[str, np.ndarray]:
        logits = self.logits(texts, batch_size, progress)
        return {name: probabilities(z, self.models[name].metadata.temperature)
                for name, z in logits.items()}
