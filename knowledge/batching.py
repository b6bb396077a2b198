"""Dynamic micro-batching: concurrent conversations share one model call per stage.

A model stage plugs in through :class:`Stage`: ``prepare`` (CPU: tokenise a batch),
``forward`` (the device: inference only) and ``finish`` (CPU: one result per item).
:class:`MicroBatcher` runs one stage for every caller of one event loop::

    async with MicroBatcher(stage, max_batch=16, max_delay_ms=2) as batcher:
        vector = await batcher.submit("how long is delivery?")

How it schedules:

* A collector waits for the first item, then takes more until ``max_batch`` items or
  ``max_delay_ms`` have passed, and prepares the batch in the CPU thread. It starts a batch
  only when the device has room for it (one prepared batch waits at most), so items that
  arrive while the device is busy form the next, larger batch.
* A runner feeds prepared batches to the device thread and finishes each batch in the CPU
  thread while the device runs the next one: tokenising batch n+1 and decoding batch n-1
  overlap the forward pass of batch n.
* The queue is bounded: when ``max_queue`` items are waiting, ``submit`` raises
  :class:`~knowledge.errors.OverloadedError` at once, so a shopper gets a polite "busy"
  answer instead of a reply that comes too late to matter.
* A batch that fails is run again in halves until the failing items are alone: only their
  callers get the exception, everyone else their result.
* A caller that gives up (its task is cancelled) is skipped; ``stop()`` fails everything
  still pending with :class:`~knowledge.errors.BatcherClosedError`.

No model library is imported here: tests drive it with fake stages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from knowledge.errors import BatcherClosedError, OverloadedError

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT")
PreparedT = TypeVar("PreparedT")
RawT = TypeVar("RawT")
ResultT = TypeVar("ResultT")
ItemT_contra = TypeVar("ItemT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)
T = TypeVar("T")


class Stage(Protocol[ItemT_contra, PreparedT, RawT, ResultT_co]):
    """One model stage in three steps; ``finish`` returns one result per item, in order."""

    @property
    def name(self) -> str:
        """Short name for logs and statistics (``encode``, ``read``...)."""

    @property
    def max_batch(self) -> int:
        """Items per batch unless the batcher is told otherwise."""

    def prepare(self, items: Sequence[ItemT_contra]) -> PreparedT:
        """CPU work before the model: tokenise, stack, pad."""

    def forward(self, prepared: PreparedT) -> RawT:
        """The model call on the device, nothing else."""

    def finish(self, items: Sequence[ItemT_contra], raw: RawT) -> Sequence[ResultT_co]:
        """CPU work after the model: one result per item."""


@dataclass
class StageStats:
    """Counters of one batcher (times in seconds, summed over batches or items)."""

    name: str
    batches: int = 0
    items: int = 0
    largest_batch: int = 0
    failed: int = 0
    rejected: int = 0
    cancelled: int = 0
    retries: int = 0
    queue_wait_s: float = 0.0
    prepare_s: float = 0.0
    forward_s: float = 0.0
    finish_s: float = 0.0

    @property
    def mean_batch(self) -> float:
        """Mean items per batch."""
        return self.items / self.batches if self.batches else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form, with the mean batch size and per-item times in milliseconds."""
        per_item = {
            f"{k[:-2]}_ms_per_item": round(1000 * v / self.items, 3) if self.items else 0.0
            for k, v in asdict(self).items()
            if k.endswith("_s")
        }
        return asdict(self) | {"mean_batch": round(self.mean_batch, 2)} | per_item


@dataclass(eq=False)
class _Job(Generic[ItemT, ResultT]):
    item: ItemT
    future: asyncio.Future[ResultT]
    queued_at: float


class MicroBatcher(Generic[ItemT, PreparedT, RawT, ResultT]):
    """Collect concurrent ``submit`` calls into batches of one stage (see the module doc).

    Args:
        stage: the model stage.
        max_batch: items per batch (default: ``stage.max_batch``).
        max_delay_ms: how long the first item of a batch waits for company.
        max_queue: items allowed to wait; one more raises ``OverloadedError``.
        device: the executor for ``forward`` (default: a thread of its own); pass one
            single-thread executor to several batchers to serialise their model calls.
        cpu: the executor for ``prepare`` and ``finish`` (default: a thread of its own).
    """

    def __init__(
        self,
        stage: Stage[ItemT, PreparedT, RawT, ResultT],
        max_batch: int | None = None,
        max_delay_ms: float = 2.0,
        max_queue: int = 1024,
        device: Executor | None = None,
        cpu: Executor | None = None,
    ) -> None:
        self.stage = stage
        self.max_batch = stage.max_batch if max_batch is None else max_batch
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {self.max_batch}")
        if max_delay_ms < 0:
            raise ValueError(f"max_delay_ms must be 0 or more, got {max_delay_ms}")
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        self.max_delay = max_delay_ms / 1000
        self.max_queue = max_queue
        self.stats = StageStats(stage.name)
        self._device = device
        self._cpu = cpu
        self._owned: list[ThreadPoolExecutor] = []
        self._queue: asyncio.Queue[_Job[ItemT, ResultT]] | None = None
        self._ready: asyncio.Queue[tuple[list[_Job[ItemT, ResultT]], PreparedT]] | None = None
        self._room = asyncio.Semaphore(1)
        self._pending: set[_Job[ItemT, ResultT]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._queue is not None

    @property
    def waiting(self) -> int:
        """Items submitted and not yet answered."""
        return len(self._pending)

    async def start(self) -> None:
        """Start the collector and the runner on the running event loop."""
        if self.running:
            return
        for role in ("device", "cpu"):
            if getattr(self, f"_{role}") is None:
                pool = ThreadPoolExecutor(1, thread_name_prefix=f"kefu-{self.stage.name}-{role}")
                self._owned.append(pool)
                setattr(self, f"_{role}", pool)
        self._queue = asyncio.Queue(self.max_queue)
        self._ready = asyncio.Queue(1)
        self._room = asyncio.Semaphore(1)
        self._spawn(self._collect())
        self._spawn(self._run())

    async def stop(self) -> None:
        """Stop; every item not yet answered fails with ``BatcherClosedError``."""
        if not self.running:
            return
        self._queue = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        closed = BatcherClosedError(f"The {self.stage.name} batcher was stopped.")
        for job in list(self._pending):
            if not job.future.done():
                job.future.set_exception(closed)
        self._pending.clear()
        for pool in self._owned:
            pool.shutdown(wait=False, cancel_futures=True)
            if self._device is pool:
                self._device = None
            if self._cpu is pool:
                self._cpu = None
        self._owned.clear()

    async def __aenter__(self) -> MicroBatcher[ItemT, PreparedT, RawT, ResultT]:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def submit(self, item: ItemT) -> ResultT:
        """Queue ``item`` and wait for its result (or its own exception).

        Raises:
            OverloadedError: ``max_queue`` items are already waiting (nothing was queued).
            BatcherClosedError: the batcher is not running, or was stopped meanwhile.
        """
        if self._queue is None:
            raise BatcherClosedError(f"The {self.stage.name} batcher is not running.")
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        job = _Job(item, future, time.perf_counter())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.stats.rejected += 1
            raise OverloadedError(
                f"{self.max_queue} items are already waiting for {self.stage.name}."
            ) from None
        self._pending.add(job)
        future.add_done_callback(lambda _: self._forget(job))
        return await future

    def _forget(self, job: _Job[ItemT, ResultT]) -> None:
        self._pending.discard(job)
        if job.future.cancelled():  # its caller gave up; the workers will skip it
            self.stats.cancelled += 1

    # -- the two workers -------------------------------------------------------------------

    async def _collect(self) -> None:
        assert self._ready is not None
        while True:
            await self._room.acquire()  # released when the runner takes the batch
            batch = await self._gather()
            if not batch:
                self._room.release()
                continue
            try:
                prepared = await self._call("prepare", self._cpu, self.stage.prepare, _items(batch))
            except Exception as exc:
                self._room.release()
                self._spawn(self._isolate(batch, exc))
                continue
            await self._ready.put((batch, prepared))

    async def _gather(self) -> list[_Job[ItemT, ResultT]]:
        """The first live item, then more until ``max_batch`` or ``max_delay``."""
        queue = self._queue
        assert queue is not None
        loop = asyncio.get_running_loop()
        batch = self._live([await queue.get()])
        deadline = loop.time() + self.max_delay
        while len(batch) < self.max_batch:
            if queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        job = await queue.get()
                except TimeoutError:
                    break
            else:
                job = queue.get_nowait()
            batch += self._live([job])
        now = time.perf_counter()
        self.stats.queue_wait_s += sum(now - j.queued_at for j in batch)
        return batch

    async def _run(self) -> None:
        assert self._ready is not None
        while True:
            batch, prepared = await self._ready.get()
            self._room.release()
            if not self._live(batch):  # every caller gave up; the rest are kept for finish
                continue
            self.stats.batches += 1
            self.stats.items += len(batch)
            self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
            try:
                raw = await self._call("forward", self._device, self.stage.forward, prepared)
            except Exception as exc:
                self._spawn(self._isolate(batch, exc))
                continue
            self._spawn(self._finish(batch, raw))  # overlaps the next forward pass

    async def _finish(self, batch: list[_Job[ItemT, ResultT]], raw: RawT) -> None:
        try:
            results = await self._call(
                "finish", self._cpu, self._checked_finish, _items(batch), raw
            )
        except Exception as exc:
            await self._isolate(batch, exc)
            return
        _resolve(batch, results)

    # -- failures ----------------------------------------------------------------------------

    async def _isolate(self, batch: list[_Job[ItemT, ResultT]], error: Exception) -> None:
        """Re-run a failed batch in halves until each failing item is alone."""
        batch = self._live(batch)
        if len(batch) == 1:
            self.stats.failed += 1
            log.warning("%s failed for one item: %r", self.stage.name, error)
            batch[0].future.set_exception(error)
            return
        if not batch:
            return
        self.stats.retries += 1
        mid = len(batch) // 2
        for half in (batch[:mid], batch[mid:]):
            half = self._live(half)
            if not half:
                continue
            try:
                results = await self._whole(_items(half))
            except Exception as exc:
                await self._isolate(half, exc)
            else:
                _resolve(half, results)

    async def _whole(self, items: list[ItemT]) -> Sequence[ResultT]:
        prepared = await self._call("prepare", self._cpu, self.stage.prepare, items)
        raw = await self._call("forward", self._device, self.stage.forward, prepared)
        return await self._call("finish", self._cpu, self._checked_finish, items, raw)

    # -- helpers -----------------------------------------------------------------------------

    def _checked_finish(self, items: list[ItemT], raw: RawT) -> Sequence[ResultT]:
        results = self.stage.finish(items, raw)
        if len(results) != len(items):
            raise RuntimeError(
                f"{self.stage.name}.finish returned {len(results)} results for {len(items)} items"
            )
        return results

    async def _call(
        self, step: str, executor: Executor | None, fn: Callable[..., T], *args: Any
    ) -> T:
        """``fn(*args)`` in ``executor``; its time (not the wait for the thread) is counted."""

        def timed() -> tuple[T, float]:
            start = time.perf_counter()
            return fn(*args), time.perf_counter() - start

        result, seconds = await asyncio.get_running_loop().run_in_executor(executor, timed)
        setattr(self.stats, f"{step}_s", getattr(self.stats, f"{step}_s") + seconds)
        return result

    @staticmethod
    def _live(jobs: list[_Job[ItemT, ResultT]]) -> list[_Job[ItemT, ResultT]]:
        """The jobs whose caller still waits."""
        return [j for j in jobs if not j.future.done()]

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_crash)


def _items(batch: list[_Job[ItemT, ResultT]]) -> list[ItemT]:
    return [j.item for j in batch]


def _resolve(batch: list[_Job[ItemT, ResultT]], results: Sequence[ResultT]) -> None:
    for job, result in zip(batch, results, strict=True):
        if not job.future.done():
            job.future.set_result(result)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("micro-batcher worker crashed", exc_info=task.exception())
