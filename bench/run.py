"""CPU inference benchmark: framelens's Classifier vs the Hugging Face pipeline, side by side.

Both run the same MiniLM classifier on the same sentences (the bundled test split,
repeated) with the same batch size, in one process, alternating, best of N rounds.
Prints sentences/second for each and the ratio. Weights are the base encoder with a
fresh head: speed does not depend on what the head learned.

    python bench/run.py [--sentences 2000] [--batch-size 32] [--rounds 3] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from framelens.data.corpus import split_path
from framelens.data.tasks import get_task
from framelens.models.loading import load_base_for_task
from framelens.models.metadata import ModelMetadata
from framelens.models.model_dir import write_metadata
from framelens.models.registry import DEFAULT_BASE_MODEL
from framelens.serving import Classifier
from transformers import pipeline


def sentences(n: int) -> list[str]:
    base = [json.loads(line)["text"] for line in split_path("test").read_text().splitlines()]
    return (base * (n // len(base) + 1))[:n]


def make_model(tmp: Path) -> Path:
    task = get_task("frame")
    model, tok, _ = load_base_for_task(DEFAULT_BASE_MODEL, task)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    write_metadata(tmp, ModelMetadata(task=task))
    return tmp


def best_of(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()

    texts = sentences(args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or make_model(Path(tmp))
        ours = Classifier.load(model_dir, device="cpu", batch_size=args.batch_size)
        hf = pipeline("text-classification", model=str(model_dir), device="cpu", top_k=None,
                      truncation=True, max_length=128)
        ours.predict(texts[:64])
        hf(texts[:64], batch_size=args.batch_size)  # warm-up both
        t_ours = best_of(lambda: ours.predict(texts), args.rounds)
        t_hf = best_of(lambda: hf(texts, batch_size=args.batch_size), args.rounds)
    n = len(texts)
    print(f"CPU threads: {torch.get_num_threads()}, sentences: {n}, batch size: {args.batch_size}, "
          f"best of {args.rounds}")
    print(f"framelens Classifier.predict : {n / t_ours:8.1f} sentences/s ({t_ours:.2f}s)")
    print(f"transformers pipeline        : {n / t_hf:8.1f} sentences/s ({t_hf:.2f}s)")
    print(f"speed-up (framelens / pipeline): {t_hf / t_ours:.2f}x")


if __name__ == "__main__":
    main()
