"""The answer graph's lanes and its synchronous driver (knowledge/graph.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from knowledge.graph import (
    STAGES,
    InlineLane,
    Lanes,
    batch_size,
    enabled_stages,
    model_stages,
    run_inline,
)
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from tests.conftest import LENIENT, FakeEncoder


@dataclass
class Doubling:
    """A stage that doubles numbers and records every model call's batch."""

    max_batch: int = 3
    name: str = "double"
    calls: list[list[int]] = field(default_factory=list)

    def prepare(self, items: Sequence[int]) -> list[int]:
        return list(items)

    def forward(self, prepared: list[int]) -> list[int]:
        self.calls.append(prepared)
        return [2 * x for x in prepared]

    def finish(self, items: Sequence[int], raw: list[int]) -> list[int]:
        return raw


class Sleepy:
    """A lane that suspends, as a micro-batched one does."""

    name = "sleepy"

    async def map(self, items: Sequence[Any]) -> list[Any]:
        await asyncio.sleep(0)
        return list(items)

    def stats(self) -> dict[str, Any]:
        return {}


def test_inline_lane_calls_the_model_in_chunks_of_the_stage_batch_in_order() -> None:
    stage = Doubling(max_batch=3)
    lane = InlineLane(stage)
    assert run_inline(lane.map([1, 2, 3, 4, 5, 6, 7])) == [2, 4, 6, 8, 10, 12, 14]
    assert stage.calls == [[1, 2, 3], [4, 5, 6], [7]]
    assert lane.stats() == {"items": 7, "batches": 3}
    assert run_inline(lane.map([])) == [] and len(stage.calls) == 3


def test_run_inline_refuses_a_lane_that_waits() -> None:
    with pytest.raises(RuntimeError, match="not inline"):
        run_inline(Sleepy().map([1]))


def test_lanes_list_the_configured_stages_in_graph_order() -> None:
    encode, search, read = InlineLane(Doubling(name="encode")), Sleepy(), Sleepy()
    lanes = Lanes(encode=encode, search=search, read=read)  # type: ignore[arg-type]
    assert lanes.all() == [encode, search, read]
    assert list(lanes.stats()) == ["encode", "search", "read"], "by stage, whatever the names"


def test_stages_follow_the_components(settings: Settings) -> None:
    svc = KnowledgeService(settings, encoder=FakeEncoder())  # type: ignore[arg-type]
    stages = model_stages(settings, svc.encoder, svc.retriever)
    assert list(stages) == ["encode", "search"]  # no reader: no read
    assert enabled_stages(Settings(reader_model="")) == ["encode", "search"]
    both = Settings(reader_model="kefu/reader-multilingual-e5-small", reranker_model="r")
    assert enabled_stages(both) == list(STAGES)
    assert batch_size(Settings(batch_max=8), "read") == 8


def test_the_synchronous_path_works_inside_a_running_event_loop(
    settings: Settings, fake_encoder: FakeEncoder
) -> None:
    svc = KnowledgeService(settings, encoder=fake_encoder)  # type: ignore[arg-type]
    svc.build_index()
    svc.warm_up()
    svc.decision = LENIENT
    expected = svc.answer("How long does standard delivery take?")

    async def inside_a_loop() -> str:
        return svc.answer("How long does standard delivery take?").text

    assert asyncio.run(inside_a_loop()) == expected.text and not expected.abstained
