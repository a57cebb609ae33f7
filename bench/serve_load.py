"""Load bench of `framelens serve`: throughput and latency under 1, 8 and 32 concurrent
clients, with micro-batching on and off, against the offline batch throughput of the
same Classifier on the same sentences.

The server runs as a separate process (`python -m framelens serve`, loopback only, on a
free port), so the clients' Python does not share its interpreter lock. Every scenario is
bounded by a request count and a time limit, and the script stops by itself.

    python bench/serve_load.py --model runs/bundle            # writes bench/results/serve_load.json
    python bench/serve_load.py --table                        # Markdown table from that JSON

Targets at 32 clients (issue 8): served throughput ≥ 80% of offline, p99 ≤ 1 s, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT / "results" / "serve_load.json"
CLIENTS = (1, 8, 32)
# (name, texts per request): a sentence at a time, and the small batches a tool sends.
SHAPES = (("single", 1), ("batch8", 8))
# Micro-batching off = every request is its own model call (one at a time).
MODES = {"on": {}, "off": {"max_batch_size": 1, "max_wait_ms": 0}}
TARGET_RATIO, TARGET_P99_MS = 0.8, 1000.0


# -- sentences and the offline baseline --------------------------------------------------------
def load_sentences(n: int) -> list[str]:
    from framelens.data.corpus import split_path

    base = [json.loads(line)["text"] for line in split_path("test").read_text().splitlines()]
    return (base * (n // len(base) + 1))[:n]


def offline_throughput(model: Path, texts: list[str], batch_size: int, rounds: int) -> dict[str, Any]:
    """Texts per second of Classifier.predict on all the sentences at once (best of N)."""
    from framelens.serving import Classifier

    clf = Classifier.load(model, device="cpu", batch_size=batch_size)
    clf.predict(texts[:64])  # warm-up
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        clf.predict(texts)
        best = min(best, time.perf_counter() - started)
    return {"texts": len(texts), "batch_size": batch_size, "rounds": rounds,
            "seconds": round(best, 4), "texts_per_s": round(len(texts) / best, 2)}


# -- the server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(model: Path, options: dict[str, Any], start_timeout_s: float) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "framelens", "serve", str(model), "--host", "127.0.0.1",
           "--port", str(port)]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    env = {k: v for k, v in os.environ.items() if k != "FRAMELENS_API_TOKEN"}
    url = f"http://127.0.0.1:{port}"
    # The server's log goes to a file: a pipe nobody reads would block it once full.
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            wait_ready(proc, url, log, start_timeout_s)
            yield url
        finally:
            proc.send_signal(signal.SIGINT)  # graceful: in-flight requests finish
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_ready(proc: subprocess.Popen, url: str, log, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server exited: {log.read()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)


# -- the clients -------------------------------------------------------------------------------
async def run_clients(url: str, texts: list[str], clients: int, per_request: int,
                      requests: int, max_seconds: float) -> dict[str, Any]:
    """`clients` loops, each sending requests back to back until `requests` in all are done
    or `max_seconds` have passed."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        # Warm-up: one request per connection, not measured.
        await asyncio.gather(*(http.post("/v1/classify", json={"texts": texts[:per_request]})
                               for _ in range(clients)))
        info_before = (await http.get("/v1/info")).json()["batching"]
        started = time.perf_counter()
        deadline = started + max_seconds

        async def client(k: int) -> None:
            nonlocal sent
            while sent < requests and time.perf_counter() < deadline:
                i = sent
                sent += 1
                batch = [texts[(i * per_request + j) % len(texts)] for j in range(per_request)]
                t0 = time.perf_counter()
                try:
                    response = await http.post("/v1/classify", json={"texts": batch})
                    ok = response.status_code == 200 and len(response.json()["results"]) == per_request
                    key = None if ok else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                if key is None:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[key] = errors.get(key, 0) + 1

        await asyncio.gather(*(client(k) for k in range(clients)))
        seconds = time.perf_counter() - started
        info_after = (await http.get("/v1/info")).json()["batching"]
    done = len(latencies)
    batches = info_after["batches"] - info_before["batches"]
    served = info_after["texts"] - info_before["texts"]
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {"requests": done, "errors": sum(errors.values()), "error_kinds": errors,
            "seconds": round(seconds, 3), "requests_per_s": round(done / seconds, 2),
            "texts_per_s": round(done * per_request / seconds, 2),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "model_calls": batches,
            "mean_batch_texts": round(served / batches, 2) if batches else 0.0,
            "stopped_by_time": done + sum(errors.values()) < requests}


# -- the run -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from framelens import __version__

    # As in the server (the CLI sets it): tokenizer threads would fight torch's for the CPUs.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    texts = load_sentences(args.sentences)
    before = offline_throughput(args.model, texts, args.batch_size, args.rounds)
    print(f"offline Classifier.predict: {before['texts_per_s']:.1f} texts/s", flush=True)
    scenarios = []
    for mode, options in MODES.items():
        options = {"queue_size": max(64, 2 * max(args.clients)), **options}
        with server(args.model, options, args.start_timeout) as url:
            for shape, per_request in SHAPES:
                for clients in args.clients:
                    result = asyncio.run(run_clients(url, texts, clients, per_request,
                                                     args.requests, args.max_seconds))
                    row = {"batching": mode, "shape": shape, "texts_per_request": per_request,
                           "clients": clients, **result}
                    scenarios.append(row)
                    print(f"batching {mode:3} {shape:7} {clients:3} clients: "
                          f"{row['texts_per_s']:8.1f} texts/s  p50 {row['p50_ms']:7.1f} ms  "
                          f"p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}", flush=True)
    # Measured again after the load, and the better of the two kept: a busy machine slows
    # one measurement, and the ratio must not flatter the server by a slow baseline.
    after = offline_throughput(args.model, texts, args.batch_size, args.rounds)
    offline = max(before, after, key=lambda o: o["texts_per_s"])
    offline["texts_per_s_before_after"] = [before["texts_per_s"], after["texts_per_s"]]
    print(f"offline again: {after['texts_per_s']:.1f} texts/s", flush=True)
    return {"meta": {"model": str(args.model), "date": datetime.now(UTC).isoformat(timespec="seconds"),
                     "framelens": __version__, "python": platform.python_version(),
                     "machine": platform.machine(), "cpu_count": os.cpu_count(),
                     "torch_threads": torch.get_num_threads(), "sentences": len(texts),
                     "requests_per_scenario": args.requests, "max_seconds": args.max_seconds},
            "offline": offline, "scenarios": scenarios, "targets": targets(offline, scenarios)}


def targets(offline: dict[str, Any], scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """Issue 8's targets, judged at the largest client count with batching on."""
    top = max(s["clients"] for s in scenarios)
    out: dict[str, Any] = {"clients": top, "min_ratio": TARGET_RATIO, "max_p99_ms": TARGET_P99_MS,
                           "errors_all_scenarios": sum(s["errors"] for s in scenarios), "shapes": {}}
    for s in scenarios:
        if s["clients"] == top and s["batching"] == "on":
            ratio = s["texts_per_s"] / offline["texts_per_s"]
            out["shapes"][s["shape"]] = {
                "throughput_ratio": round(ratio, 3), "p99_ms": s["p99_ms"],
                "meets": bool(ratio >= TARGET_RATIO and s["p99_ms"] <= TARGET_P99_MS
                              and s["errors"] == 0)}
    out["meets_all"] = (all(v["meets"] for v in out["shapes"].values())
                        and out["errors_all_scenarios"] == 0)
    return out


# -- the table ---------------------------------------------------------------------------------
def markdown_table(data: dict[str, Any]) -> str:
    """The README table: one row per scenario, then the verdict against the targets."""
    offline = data["offline"]
    lines = [f"Model `{data['meta']['model']}`, {data['meta']['cpu_count']} CPUs, "
             f"{data['meta']['date']}. Offline `Classifier.predict` (batch "
             f"{offline['batch_size']}): **{offline['texts_per_s']:.1f} texts/s**.", "",
             "| batching | request | clients | texts/s | vs offline | p50 ms | p95 ms | p99 ms "
             "| texts per model call | errors |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in data["scenarios"]:
        ratio = s["texts_per_s"] / offline["texts_per_s"]
        lines.append(f"| {s['batching']} | {s['shape']} | {s['clients']} | {s['texts_per_s']:.1f} "
                     f"| {ratio:.0%} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} "
                     f"| {s['mean_batch_texts']:.1f} | {s['errors']} |")
    t = data["targets"]
    verdicts = ", ".join(f"{shape}: {v['throughput_ratio']:.0%} of offline, p99 {v['p99_ms']:.0f} ms "
                         f"({'meets' if v['meets'] else 'misses'})" for shape, v in t["shapes"].items())
    lines += ["", f"Targets at {t['clients']} clients with batching on (≥ {t['min_ratio']:.0%} of "
              f"offline, p99 ≤ {t['max_p99_ms']:.0f} ms, no errors): {verdicts}; errors in all "
              f"scenarios: {t['errors_all_scenarios']}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="Model directory or bundle to serve.")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Results JSON.")
    ap.add_argument("--table", action="store_true", help="Print the Markdown table of --out and exit.")
    ap.add_argument("--clients", type=int, nargs="+", default=list(CLIENTS))
    ap.add_argument("--requests", type=int, default=400, help="Requests per scenario (all clients).")
    ap.add_argument("--max-seconds", type=float, default=30.0, help="Time limit per scenario.")
    ap.add_argument("--sentences", type=int, default=1024, help="Distinct sentences sent.")
    ap.add_argument("--batch-size", type=int, default=32, help="Offline batch size.")
    ap.add_argument("--rounds", type=int, default=3, help="Offline rounds (best of).")
    ap.add_argument("--start-timeout", type=float, default=300.0, help="Seconds to wait for the server.")
    args = ap.parse_args()
    if args.table:
        print(markdown_table(json.loads(args.out.read_text(encoding="utf-8"))))
        return
    if args.model is None:
        ap.error("--model is required (a model directory or bundle), unless --table")
    data = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}\n")
    print(markdown_table(data))


if __name__ == "__main__":
    main()
