"""The micro-batcher with fake stages: no model, no timing-fragile asserts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

import pytest

from knowledge.batching import MicroBatcher
from knowledge.errors import BatcherClosedError, OverloadedError


class Doubler:
    """x -> 2x; ``poison`` items make the forward pass fail; ``gate`` holds it."""

    name = "double"

    def __init__(self, max_batch: int = 16, poison: tuple[int, ...] = ()) -> None:
        self.max_batch = max_batch
        self.poison = poison
        self.gate = threading.Event()
        self.gate.set()
        self.prepared: list[list[int]] = []
        self.forwarded: list[list[int]] = []
        self.in_forward = threading.Event()

    def prepare(self, items: Sequence[int]) -> list[int]:
        self.prepared.append(list(items))
        return list(items)

    def forward(self, prepared: list[int]) -> list[int]:
        self.in_forward.set()
        assert self.gate.wait(5), "test gate never opened"
        if any(x in self.poison for x in prepared):
            raise ValueError(f"poisoned batch {prepared}")
        self.forwarded.append(prepared)
        return [2 * x for x in prepared]

    def finish(self, items: Sequence[int], raw: list[int]) -> list[int]:
        return raw


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait (polling the loop) until ``condition()`` holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


def test_concurrent_submits_share_batches_and_each_gets_its_own_result() -> None:
    stage = Doubler(max_batch=16)

    async def main() -> list[int]:
        async with MicroBatcher(stage, max_delay_ms=20) as batcher:
            return await asyncio.gather(*(batcher.submit(i) for i in range(50)))

    assert asyncio.run(main()) == [2 * i for i in range(50)]
    assert [len(b) for b in stage.forwarded] == [16, 16, 16, 2]


def test_max_delay_flushes_a_lone_item() -> None:
    stage = Doubler(max_batch=64)

    async def main() -> int:
        async with MicroBatcher(stage, max_delay_ms=5) as batcher:
            return await asyncio.wait_for(batcher.submit(21), 3)

    assert asyncio.run(main()) == 42
    assert stage.forwarded == [[21]]


def test_a_poisoned_item_fails_only_its_own_caller() -> None:
    stage = Doubler(max_batch=16, poison=(7,))

    async def main() -> tuple[
        list[int | BaseException], MicroBatcher[int, list[int], list[int], int]
    ]:
        async with MicroBatcher(stage, max_delay_ms=20) as batcher:
            results = await asyncio.gather(
                *(batcher.submit(i) for i in range(20)), return_exceptions=True
            )
        return results, batcher

    results, batcher = asyncio.run(main())
    assert isinstance(results[7], ValueError)
    assert [r for i, r in enumerate(results) if i != 7] == [2 * i for i in range(20) if i != 7]
    assert batcher.stats.failed == 1 and batcher.stats.retries >= 1


def test_finish_with_the_wrong_number_of_results_fails_loudly() -> None:
    stage = Doubler(max_batch=4)
    stage.finish = lambda items, raw: []  # type: ignore[method-assign]

    async def main() -> list[int | BaseException]:
        async with MicroBatcher(stage, max_delay_ms=20) as batcher:
            return await asyncio.gather(
                *(batcher.submit(i) for i in range(4)), return_exceptions=True
            )

    results = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) and "0 results" in str(r) for r in results)


def test_a_full_queue_rejects_at_once_then_recovers() -> None:
    stage = Doubler(max_batch=1)
    stage.gate.clear()

    async def main() -> list[int]:
        async with MicroBatcher(stage, max_delay_ms=0, max_queue=2) as batcher:
            first = [asyncio.create_task(batcher.submit(i)) for i in (1, 2)]
            # 1 is in the forward pass, 2 prepared and waiting for the device
            await until(lambda: stage.in_forward.is_set() and len(stage.prepared) == 2)
            queued = [asyncio.create_task(batcher.submit(i)) for i in (3, 4)]
            await asyncio.sleep(0)
            with pytest.raises(OverloadedError, match="2 items are already waiting"):
                await batcher.submit(5)
            assert batcher.stats.rejected == 1
            stage.gate.set()
            done = await asyncio.gather(*first, *queued)
            return [*done, await batcher.submit(6)]

    assert asyncio.run(main()) == [2, 4, 6, 8, 12]


def test_stop_fails_whatever_is_pending_and_later_submits() -> None:
    stage = Doubler(max_batch=1)
    stage.gate.clear()

    async def main() -> list[int | BaseException]:
        batcher = MicroBatcher(stage, max_delay_ms=0)
        await batcher.start()
        tasks = [asyncio.create_task(batcher.submit(i)) for i in range(3)]
        await until(stage.in_forward.is_set)
        await batcher.stop()
        stage.gate.set()
        with pytest.raises(BatcherClosedError, match="not running"):
            await batcher.submit(9)
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, BatcherClosedError) for r in results)


def test_a_cancelled_caller_is_skipped() -> None:
    stage = Doubler(max_batch=1)
    stage.gate.clear()

    async def main() -> tuple[list[int], int]:
        async with MicroBatcher(stage, max_delay_ms=0) as batcher:
            a, b, c = (asyncio.create_task(batcher.submit(i)) for i in (1, 2, 3))
            await until(lambda: len(stage.prepared) == 2)  # 1 in forward, 2 prepared, 3 queued
            c.cancel()
            stage.gate.set()
            results = await asyncio.gather(a, b)
            with pytest.raises(asyncio.CancelledError):
                await c
            return results, batcher.stats.cancelled

    results, cancelled = asyncio.run(main())
    assert results == [2, 4] and cancelled == 1
    assert [3] not in stage.prepared, "the cancelled item never reached the model"


def test_preparing_the_next_batch_overlaps_the_forward_pass() -> None:
    stage = Doubler(max_batch=2)
    stage.gate.clear()

    async def main() -> list[int]:
        async with MicroBatcher(stage, max_delay_ms=0) as batcher:
            first = asyncio.create_task(batcher.submit(1))
            await until(stage.in_forward.is_set)
            second = [asyncio.create_task(batcher.submit(i)) for i in (2, 3)]
            # batch 2 gets prepared while the device still holds batch 1
            await until(lambda: len(stage.prepared) == 2)
            assert stage.forwarded == [] and stage.prepared == [[1], [2, 3]]
            stage.gate.set()
            return await asyncio.gather(first, *second)

    assert asyncio.run(main()) == [2, 4, 6]


def test_stats_count_batches_items_and_time() -> None:
    stage = Doubler(max_batch=8)

    async def main() -> MicroBatcher[int, list[int], list[int], int]:
        async with MicroBatcher(stage, max_delay_ms=20) as batcher:
            await asyncio.gather(*(batcher.submit(i) for i in range(16)))
        return batcher

    stats = asyncio.run(main()).stats.as_dict()
    assert (stats["batches"], stats["items"], stats["mean_batch"]) == (2, 16, 8.0)
    assert stats["forward_s"] >= 0 and "queue_wait_ms_per_item" in stats


def test_batchers_can_share_one_device_thread() -> None:
    from concurrent.futures import ThreadPoolExecutor

    device = ThreadPoolExecutor(1)

    async def main() -> tuple[list[int], list[int]]:
        async with (
            MicroBatcher(Doubler(), device=device) as one,
            MicroBatcher(Doubler(), device=device) as two,
        ):
            return await asyncio.gather(*(one.submit(i) for i in range(3))), await asyncio.gather(
                *(two.submit(i) for i in range(3))
            )

    assert asyncio.run(main()) == ([0, 2, 4], [0, 2, 4])
    device.shutdown()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_batch": 0}, "max_batch"),
        ({"max_delay_ms": -1}, "max_delay_ms"),
        ({"max_queue": 0}, "max_queue"),
    ],
)
def test_arguments_are_validated(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MicroBatcher(Doubler(), **kwargs)  # type: ignore[arg-type]
