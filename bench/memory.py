"""Memory of batch classification: peak RSS streaming 100k and 1M generated sentences.

The claim checked: the batch engine reads, classifies and writes in bounded chunks, so its
memory does not grow with the input (targets: peak RSS ≤ 1.5 GB, < 10% more at 1M than at
100k). Each count runs in a fresh process, so one run's peak cannot hide another's; the
process reports its own peak (VmHWM) and its RSS just after the model loaded, and the wall
time of the run (for 1M sentences, both labels, that is the archive-sized number).

The sentences are the bundled test split, each made unique with a numbered tail (the engine
classifies exact duplicates once per chunk, which would flatter it), streamed to a one-per-line
text file and classified with `--unit sentence` into Parquet. All the script needs from the
engine is `classify_stream(texts)`; without `framelens.serving.batch` it runs the Classifier
directly, chunk by chunk, with the same bounded memory.

    python bench/memory.py --model runs/bundle                 # bench/results/memory.json
    python bench/memory.py --table                             # Markdown table from it
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "memory.json"
TARGET_PEAK_MB = 1536
TARGET_GROWTH = 0.10


def generated_sentences(n: int) -> Iterator[str]:
    """n distinct, news-like sentences, generated lazily."""
    from framelens.data.corpus import split_path

    base = [json.loads(line)["text"] for line in split_path("test").read_text().splitlines()
            if line.strip()]
    for i, text in zip(range(n), itertools.cycle(base), strict=False):
        yield f"{text} (item {i})"


def proc_status_mb(field: str) -> float:
    """VmRSS / VmHWM of this process from /proc, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def classify_stream(texts: Iterable[str], classifier, out: Path, batch_size: int,
                    chunk_size: int) -> int:
    """Classify a stream of sentences into `out` (Parquet); returns rows written."""
    try:
        from framelens.serving.batch import BatchOptions, run_batch
    except ImportError:
        return _classify_directly(texts, classifier, out, batch_size, chunk_size)
    source = out.with_suffix(".txt")
    with source.open("w", encoding="utf-8") as fh:  # streamed: one sentence per line
        for text in texts:
            fh.write(text.replace("\n", " ") + "\n")
    options = BatchOptions(inputs=(str(source),), out=out, unit="sentence",
                           batch_size=batch_size, chunk_size=chunk_size, overwrite=True)
    report = run_batch(options, classifier=classifier)
    source.unlink()
    return report.sentences


def _classify_directly(texts: Iterable[str], classifier, out: Path, batch_size: int,
                       chunk_size: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, rows = None, 0
    iterator = iter(texts)
    while chunk := list(itertools.islice(iterator, chunk_size)):
        table = pa.Table.from_pylist([{"text": r.text} | r.flat()
                                      for r in classifier.predict(chunk, batch_size)])
        writer = writer or pq.ParquetWriter(out, table.schema)
        writer.write_table(table)
        rows += len(chunk)
    if writer is not None:
        writer.close()
    return rows


def child(args: argparse.Namespace) -> None:
    """One measured run, in its own process: prints one JSON line."""
    from framelens.serving import Classifier

    classifier = Classifier.load(args.model, backend=args.backend, batch_size=args.batch_size)
    after_load = proc_status_mb("VmRSS")
    with tempfile.TemporaryDirectory(prefix="framelens-memory-") as tmp:
        start = time.perf_counter()
        rows = classify_stream(generated_sentences(args.child), classifier,
                               Path(tmp) / "out.parquet", args.batch_size, args.chunk_size)
        seconds = time.perf_counter() - start
    engine = "framelens.serving.batch" if _has_engine() else "Classifier (direct)"
    print(json.dumps({"sentences": rows, "seconds": round(seconds, 1),
                      "sentences_per_s": round(rows / seconds, 1),
                      "rss_after_load_mb": round(after_load, 1),
                      "peak_rss_mb": round(proc_status_mb("VmHWM"), 1),
                      "tasks": classifier.tasks, "engine": engine,
                      "backend": _backend(classifier)}))


def _has_engine() -> bool:
    try:
        import framelens.serving.batch  # noqa: F401
    except ImportError:
        return False
    return True


def _backend(classifier) -> str:
    runner = classifier.predictor.model(classifier.tasks[0]).runner
    return "torch" if runner is None else f"onnx ({runner.source.name})"


def run(args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for n in args.counts:
        command = [sys.executable, __file__, "--child", str(n), "--model", str(args.model),
                   "--backend", args.backend, "--batch-size", str(args.batch_size),
                   "--chunk-size", str(args.chunk_size)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"the run with {n:,} sentences failed:\n{result.stderr[-3000:]}")
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"  {n:,} sentences: peak {runs[-1]['peak_rss_mb']:.0f} MB, "
              f"{runs[-1]['seconds']:.0f} s", file=sys.stderr)
    from framelens import __version__

    smallest, largest = runs[0], runs[-1]
    growth = largest["peak_rss_mb"] / smallest["peak_rss_mb"] - 1
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": len(os.sched_getaffinity(0)), "python": platform.python_version(),
                    "framelens": __version__},
        "settings": {"model": str(args.model), "backend": args.backend,
                     "batch_size": args.batch_size, "chunk_size": args.chunk_size},
        "runs": runs,
        "growth": round(growth, 4),
        "targets": {"peak_rss_mb_at_most": TARGET_PEAK_MB, "growth_below": TARGET_GROWTH,
                    "met": max(r["peak_rss_mb"] for r in runs) <= TARGET_PEAK_MB
                    and growth < TARGET_GROWTH},
    }


def markdown_table(data: dict[str, Any]) -> str:
    s = data["settings"]
    lines = [f"Streaming generated sentences through the batch engine ({s['backend']} backend, "
             f"batch size {s['batch_size']}, chunks of {s['chunk_size']}), one process per run, "
             f"{data['machine']['cores']} cores.", "",
             "| sentences | labels | peak RSS | RSS after model load | wall time | sentences/s |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in data["runs"]:
        lines.append(f"| {r['sentences']:,} | {' + '.join(r['tasks'])} | {r['peak_rss_mb']:,.0f} MB "
                     f"| {r['rss_after_load_mb']:,.0f} MB | {r['seconds']:,.0f} s "
                     f"| {r['sentences_per_s']:,.1f} |")
    t = data["targets"]
    lines += ["", f"Peak growth from the smallest to the largest run: {data['growth']:+.1%} "
              f"(targets: ≤ {t['peak_rss_mb_at_most']:,} MB, < {t['growth_below']:.0%} growth; "
              f"{'met' if t['met'] else 'not met'})."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="Model directory or bundle (both labels: a bundle).")
    ap.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--chunk-size", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--table", action="store_true", help="Print the Markdown table of --out and exit.")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.table:
        print(markdown_table(json.loads(args.out.read_text(encoding="utf-8"))), end="")
        return
    if args.model is None:
        ap.error("--model is required (a model directory or bundle), unless --table")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.child is not None:
        child(args)
        return
    data = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown_table(data), end="")
    print(f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
