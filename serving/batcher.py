"""Micro-batching: requests that arrive together share one model call.

A transformer on a CPU scores 32 sentences in little more time than 4, so a server that
runs every request alone wastes most of its throughput once several clients call at once.
Requests queue here; one collector takes the first, adds whatever else is waiting (up to
`max_batch_size` texts, waiting at most `max_wait_ms` for more), and runs the merged batch
in a single worker thread. The event loop only moves futures around, so it never blocks on
the model, and the model never runs two batches at once (torch already uses every core for
one). The queue is bounded: when it is full, `submit` raises `QueueFull` at once, which the
server answers with 429 and Retry-After instead of letting latency grow without limit.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueFull(Exception):
    """Too many requests are waiting; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"the server is busy; retry in {retry_after} s")
        self.retry_after = retry_after


class NotRunning(Exception):
    """The batcher has not started or is shutting down."""


@dataclass
class _Job:
    texts: list[str]
    future: asyncio.Future


@dataclass
class BatchStats:
    """Counts since start: how well requests were merged."""

    batches: int = 0
    requests: int = 0
    texts: int = 0
    busy_s: float = 0.0
    rejected: int = 0

    def to_dict(self) -> dict[str, float | int]:
        return {"batches": self.batches, "requests": self.requests, "texts": self.texts,
                "mean_batch_texts": round(self.texts / self.batches, 2) if self.batches else 0,
                "mean_batch_ms": round(1000 * self.busy_s / self.batches, 2) if self.batches else 0,
                "rejected": self.rejected}


_STOP = object()  # put on the queue by close(): everything before it still runs


class MicroBatcher(Generic[T]):
    """Merge concurrent `submit(texts)` calls into batched calls of `run(texts)`.

    `run` must return one item per input text, in order; each caller gets back exactly the
    slice for its own texts.
    """

    def __init__(self, run: Callable[[list[str]], Sequence[T]], max_batch_size: int = 32,
                 max_wait_ms: float = 5.0, queue_size: int = 64):
        self.run = run
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000
        self.queue_size = queue_size
        self.stats = BatchStats()
        self._queue: asyncio.Queue | None = None
        self._carry: _Job | None = None
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._closing = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._closing

    async def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="framelens-model")
        self._task = asyncio.get_running_loop().create_task(self._collect(), name="framelens-batcher")

    async def submit(self, texts: list[str]) -> list[T]:
        """This request's results, computed in a batch with whatever else is waiting."""
        if not self.running or self._queue is None:
            raise NotRunning("the model is not ready")
        if not texts:
            return []
        job = _Job(list(texts), asyncio.get_running_loop().create_future())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.stats.rejected += 1
            raise QueueFull(self._retry_after()) from None
        return await job.future

    def _retry_after(self) -> int:
        """Whole seconds until the queue has likely drained (at least 1)."""
        per_batch = self.stats.busy_s / self.stats.batches if self.stats.batches else 0.1
        waiting = self._queue.qsize() if self._queue is not None else 0
        return max(1, math.ceil(per_batch * (waiting + 1)))

    async def close(self, timeout_s: float = 30.0) -> None:
        """Stop taking requests, finish the ones already queued, then stop the worker."""
        if self._task is None or self._queue is None:
            return
        self._closing = True
        try:
            await asyncio.wait_for(self._queue.put(_STOP), timeout_s)
            await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
        except TimeoutError:
            self._task.cancel()
        while not self._queue.empty():  # only after a timeout: tell the callers left
            job = self._queue.get_nowait()
            if isinstance(job, _Job) and not job.future.done():
                job.future.set_exception(NotRunning("the server is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # -- the collector --------------------------------------------------------------------------
    async def _collect(self) -> None:
        loop = asyncio.get_running_loop()
        stop = False
        while not stop:
            batch, stop = await self._next_batch()
            if batch:
                await self._run_batch(loop, batch)

    async def _next_batch(self) -> tuple[list[_Job], bool]:
        """The jobs of the next model call, and whether close() was seen."""
        assert self._queue is not None
        first = self._carry if self._carry is not None else await self._queue.get()
        self._carry = None
        if first is _STOP:
            return [], True
        batch, n = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait_s
        while n < self.max_batch_size:
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    # A timeout here cannot lose a job: asyncio.Queue keeps the item until
                    # get() returns it, so a cancelled get leaves it queued.
                    job = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if job is _STOP:
                return batch, True
            if n + len(job.texts) > self.max_batch_size:
                self._carry = job  # first in line for the next call
                break
            batch.append(job)
            n += len(job.texts)
        return batch, False

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Job]) -> None:
        # A caller that went away (cancelled future) costs no model time.
        batch = [job for job in batch if not job.future.done()]
        if not batch:
            return
        texts = [t for job in batch for t in job.texts]
        started = time.perf_counter()
        try:
            results = await loop.run_in_executor(self._executor, self.run, texts)
            if len(results) != len(texts):
                raise RuntimeError(f"the model returned {len(results)} results for {len(texts)} texts")
        except Exception as exc:  # the callers see it; the collector keeps serving
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        finally:
            self.stats.batches += 1
            self.stats.requests += len(batch)
            self.stats.texts += len(texts)
            self.stats.busy_s += time.perf_counter() - started
        offset = 0
        for job in batch:
            part = list(results[offset : offset + len(job.texts)])
            offset += len(job.texts)
            if not job.future.done():
                job.future.set_result(part)
