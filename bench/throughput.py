"""CPU throughput: `transformers.pipeline` vs framelens on torch, ONNX fp32 and ONNX int8.

Two scenarios on the same sentences (the bundled test split, repeated to --sentences), in one
process, interleaved: every round runs every engine once, in turn, so a slow moment of the
machine hits all of them alike; the best round counts (the median is kept too).

- one task: one pipeline vs framelens on the single-task model (--model);
- both labels: one pipeline per task vs framelens on the bundle (--bundle), which runs the
  encoder once for both heads when the bundle shares one.

It also measures the machine's fp32 matmul peak (one big torch matmul, same threads) and
reports what fraction of it each engine reaches, from an estimate of the model's FLOPs per
sentence (the encoder's matmuls and attention at each sentence's own token count; padding is
not useful work). int8 runs integer kernels, so its fraction is against the fp32 peak.
Macro-F1 on the labelled rows shows what int8 costs in accuracy next to fp32 and torch.

Graphs: a model's own `onnx/` folder when `framelens export onnx --quantize int8` made one;
otherwise a temporary copy is exported (the model directory is not touched).
Without --model/--bundle, the packaged MiniLM with fresh heads stands in (speed does not depend
on what a head learned; its macro-F1 then means nothing).

    python bench/throughput.py --model runs/frame --bundle runs/bundle   # bench/results/throughput.json
    python bench/throughput.py --table                                   # Markdown table from it
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "throughput.json"


# -- inputs --------------------------------------------------------------------------------------
def labelled_rows(split: str) -> list[dict[str, Any]]:
    from framelens.data.corpus import split_path

    return [json.loads(line) for line in split_path(split).read_text().splitlines() if line.strip()]


def repeat_to(texts: list[str], n: int) -> list[str]:
    return (texts * (n // len(texts) + 1))[:n]


def stand_in_model(directory: Path, tasks: list[str], shared: bool) -> Path:
    """The packaged MiniLM with a fresh head per task; a bundle when several tasks."""
    from framelens.data.tasks import get_task
    from framelens.models.loading import load_base_for_task
    from framelens.models.metadata import ModelMetadata
    from framelens.models.model_dir import write_bundle, write_metadata
    from framelens.models.registry import DEFAULT_BASE_MODEL

    encoder = None
    for name in tasks:
        task = get_task(name)
        model, tokenizer, _ = load_base_for_task(DEFAULT_BASE_MODEL, task)
        if shared and encoder is not None:
            model.bert.load_state_dict(encoder)
        encoder = model.bert.state_dict()
        out = directory / name if len(tasks) > 1 else directory
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        write_metadata(out, ModelMetadata(task=task))
    if len(tasks) > 1:
        write_bundle(directory, {t: t for t in tasks}, shared_encoder=shared)
    return directory


def with_onnx(path: Path, scratch: Path, labelled: Path) -> Path:
    """`path` itself when every graph it needs is exported; else an exported copy."""
    from framelens.models.model_dir import is_bundle, read_bundle
    from framelens.models.onnx_export import export_onnx

    def exported(folder: Path) -> bool:
        return (folder / "model.onnx").is_file() and (folder / "model.int8.onnx").is_file()

    folders = [path / "onnx"] if not is_bundle(path) or exported(path / "onnx") else \
        [path / sub / "onnx" for sub in read_bundle(path).values()]
    if all(exported(f) for f in folders):
        return path
    copy = scratch / f"{path.name}-onnx"
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns("onnx"))
    export_onnx(copy, quantize="int8", data=labelled)
    return copy


# -- FLOPs ---------------------------------------------------------------------------------------
def encoder_flops(config, tokens: np.ndarray) -> float:
    """Multiply-adds × 2 of one encoder pass over sentences of these token counts: per layer,
    the Q/K/V/output projections (4·h²), the feed-forward (2·h·ffn) per token, and the
    attention scores and weighted sum (2·L·h per token); then the pooler on [CLS]."""
    h, layers = config.hidden_size, config.num_hidden_layers
    ffn = config.intermediate_size
    per_token = 2 * (4 * h * h + 2 * h * ffn)
    attention = 2 * 2 * h * tokens.astype(np.float64) ** 2
    return float(layers * (per_token * tokens.sum() + attention.sum()) + 2 * h * h * len(tokens))


def matmul_peak_gflops(n: int, repeats: int) -> float:
    """The machine's fp32 matmul rate with torch's threads: the best of `repeats` n×n×n."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    torch.mm(a, b, out=c)  # warm-up: thread pool, caches
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


# -- engines -------------------------------------------------------------------------------------
@dataclass
class Engine:
    name: str
    run: Callable[[list[str]], dict[str, list[str]]]  # texts -> task -> predicted labels
    passes: int  # encoder passes per sentence (two pipelines: 2; a shared encoder: 1)


def pipeline_engine(task_dirs: dict[str, Path], batch_size: int, max_length: int) -> Engine:
    from transformers import pipeline

    pipes = {t: pipeline("text-classification", model=str(d), device="cpu", top_k=None,
                         truncation=True, max_length=max_length) for t, d in task_dirs.items()}

    def run(texts: list[str]) -> dict[str, list[str]]:
        return {t: [max(scores, key=lambda s: s["score"])["label"]
                    for scores in pipe(texts, batch_size=batch_size)]
                for t, pipe in pipes.items()}

    name = "pipeline" if len(pipes) == 1 else f"{len(pipes)} pipelines"
    return Engine(name, run, len(pipes))


def framelens_engine(name: str, predictor, batch_size: int) -> Engine:
    def run(texts: list[str]) -> dict[str, list[str]]:
        probs = predictor.predict_proba(texts, batch_size)
        return {t: [predictor.labels(t)[i] for i in p.argmax(axis=1)] for t, p in probs.items()}

    passes = 1 if predictor.shared_encoder or len(predictor.tasks) == 1 else len(predictor.tasks)
    return Engine(name, run, passes)


def engines_for(path: Path, onnx_path: Path, batch_size: int) -> tuple[list[Engine], Any]:
    from framelens.models.model_dir import is_bundle, read_bundle
    from framelens.models.onnx_backend import load_task_models
    from framelens.models.predictor import Predictor

    torch_side = Predictor.load(path, device="cpu")
    first = next(iter(torch_side.models.values()))
    task_dirs = ({t: path / sub for t, sub in read_bundle(path).items()} if is_bundle(path)
                 else {first.task.name: path})
    engines = [
        pipeline_engine(task_dirs, batch_size, first.metadata.max_length),
        framelens_engine("framelens torch", torch_side, batch_size),
        framelens_engine("framelens onnx fp32", Predictor(*load_task_models(onnx_path, "fp32")),
                         batch_size),
        framelens_engine("framelens onnx int8", Predictor(*load_task_models(onnx_path, "int8")),
                         batch_size),
    ]
    return engines, first


def scenario(label: str, path: Path, onnx_path: Path, texts: list[str],
             gold: dict[str, list[str]], args: argparse.Namespace, peak: float) -> dict[str, Any]:
    engines, first = engines_for(path, onnx_path, args.batch_size)
    tokens = np.array([len(ids) for ids in first.tokenizer(
        texts, truncation=True, max_length=first.metadata.max_length)["input_ids"]])
    flops = encoder_flops(first.model.config, tokens)
    warm = texts[: min(len(texts), 64)]
    for engine in engines:
        engine.run(warm)
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    predictions: dict[str, dict[str, list[str]]] = {}
    for _ in range(args.rounds):
        for engine in engines:  # interleaved: every engine once per round
            start = time.perf_counter()
            predictions[engine.name] = engine.run(texts)
            times[engine.name].append(time.perf_counter() - start)
            print(f"  {label}: {engine.name}: {len(texts) / times[engine.name][-1]:.1f} "
                  "sentences/s", file=sys.stderr)
    baseline = min(times[engines[0].name])
    rows = min(len(texts), min((len(g) for g in gold.values()), default=0))
    out: dict[str, Any] = {"tasks": list(predictions[engines[0].name]), "engines": {}}
    for engine in engines:
        best = min(times[engine.name])
        achieved = flops * engine.passes / best / 1e9
        out["engines"][engine.name] = {
            "sentences_per_s": round(len(texts) / best, 1),
            "median_sentences_per_s": round(len(texts) / statistics.median(times[engine.name]), 1),
            "ratio_vs_pipeline": round(baseline / best, 2),
            "encoder_passes": engine.passes,
            "gflops": round(achieved, 2),
            "fraction_of_fp32_peak": round(achieved / peak, 4),
            "macro_f1": _macro_f1(predictions[engine.name], gold, rows),
        }
    int8, fp32 = (out["engines"][f"framelens onnx {v}"]["macro_f1"] for v in ("int8", "fp32"))
    out["int8_minus_fp32_macro_f1_points"] = {
        t: round((int8[t] - fp32[t]) * 100, 2) for t in int8 if int8[t] is not None}
    out["labelled_rows"] = rows
    out["mean_tokens"] = round(float(tokens.mean()), 1)
    out["gflop_per_sentence"] = round(flops / len(texts) / 1e9, 4)
    return out


def _macro_f1(predicted: dict[str, list[str]], gold: dict[str, list[str]],
              rows: int) -> dict[str, float | None]:
    from sklearn.metrics import f1_score

    scores: dict[str, float | None] = {}
    for task, labels in predicted.items():
        if task not in gold or not rows:
            scores[task] = None
            continue
        scores[task] = round(float(f1_score(gold[task][:rows], labels[:rows], average="macro",
                                            zero_division=0)), 4)
    return scores


# -- run and table -------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    import onnxruntime
    import torch
    import transformers
    from framelens.data.corpus import split_path
    from framelens.models.predictor import cpu_threads, use_all_cores

    from framelens import __version__

    use_all_cores()
    rows = labelled_rows(args.split)
    texts = repeat_to([r["text"] for r in rows], args.sentences)
    gold = {t: [r[t] for r in rows] for t in ("frame", "stance") if all(t in r for r in rows)}
    labelled = split_path(args.split)
    peak = matmul_peak_gflops(args.peak_size, args.peak_repeats)
    print(f"fp32 matmul peak: {peak:.1f} GFLOP/s", file=sys.stderr)
    data: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": _cpu_name(), "cores": len(os.sched_getaffinity(0)),
                    "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
                    "onnxruntime_threads": cpu_threads()},
        "versions": {"framelens": __version__, "torch": torch.__version__,
                     "transformers": transformers.__version__,
                     "onnxruntime": onnxruntime.__version__},
        "settings": {"sentences": len(texts), "batch_size": args.batch_size, "rounds": args.rounds,
                     "split": args.split, "peak_matmul_n": args.peak_size},
        "fp32_matmul_peak_gflops": round(peak, 1),
        "scenarios": {},
    }
    with tempfile.TemporaryDirectory(prefix="framelens-bench-") as tmp:
        scratch = Path(tmp)
        model = args.model or stand_in_model(scratch / "frame", ["frame"], shared=False)
        bundle = args.bundle or stand_in_model(scratch / "bundle", ["frame", "stance"], shared=True)
        data["models"] = {"one task": str(args.model or "MiniLM, fresh head (stand-in)"),
                          "both labels": str(args.bundle or "MiniLM, fresh heads, shared (stand-in)")}
        for label, path in (("one task", Path(model)), ("both labels", Path(bundle))):
            onnx_path = with_onnx(path, scratch, labelled)
            data["scenarios"][label] = scenario(label, path, onnx_path, texts, gold, args, peak)
    return data


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def markdown_table(data: dict[str, Any]) -> str:
    """The README table: one row per engine and scenario."""
    s = data["settings"]
    lines = [
        f"{s['sentences']:,} sentences (bundled {s['split']} split, repeated), batch size "
        f"{s['batch_size']}, best of {s['rounds']} interleaved rounds; {data['machine']['cpu']}, "
        f"{data['machine']['cores']} cores ({data['machine']['torch_threads']} torch / "
        f"{data['machine']['onnxruntime_threads']} onnxruntime threads); fp32 matmul peak "
        f"{data['fp32_matmul_peak_gflops']:.0f} GFLOP/s.",
        "",
        "| scenario | engine | sentences/s | × pipeline | % of fp32 peak | macro-F1 |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for label, sc in data["scenarios"].items():
        for name, e in sc["engines"].items():
            f1 = ", ".join(f"{t} {v:.3f}" for t, v in e["macro_f1"].items() if v is not None) or "—"
            lines.append(f"| {label} | {name} | {e['sentences_per_s']:,.1f} | "
                         f"{e['ratio_vs_pipeline']:.2f}× | {e['fraction_of_fp32_peak']:.1%} | {f1} |")
    deltas = [f"{label}: " + ", ".join(f"{t} {d:+.2f}" for t, d in
                                       sc["int8_minus_fp32_macro_f1_points"].items())
              for label, sc in data["scenarios"].items() if sc["int8_minus_fp32_macro_f1_points"]]
    if deltas:
        lines += ["", "int8 − fp32 macro-F1 (points): " + "; ".join(deltas) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="Single-task model directory (one task).")
    ap.add_argument("--bundle", type=Path, help="Bundle for both labels (frame + stance).")
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--split", default="test", help="Bundled split the sentences come from.")
    ap.add_argument("--peak-size", type=int, default=2048, help="n of the n×n matmul peak.")
    ap.add_argument("--peak-repeats", type=int, default=10)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--table", action="store_true", help="Print the Markdown table of --out and exit.")
    args = ap.parse_args()
    if args.table:
        print(markdown_table(json.loads(args.out.read_text(encoding="utf-8"))), end="")
        return
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    data = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown_table(data), end="")
    print(f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
