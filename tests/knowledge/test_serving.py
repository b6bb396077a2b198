"""knowledge/serving.py and knowledge/remote.py without a Ray cluster.

The stages run in StageServer objects behind fake handles, so the remote path is checked
against the in-process one.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from knowledge.errors import KnowledgeError, OverloadedError
from knowledge.graph import Lanes, enabled_stages
from knowledge.remote import RemoteStage, ServingError, app_name, remote_lanes
from knowledge.service import KnowledgeService
from knowledge.serving import StageServer, build_stage
from knowledge.settings import Settings
from tests.conftest import FakeEncoder


class LocalHandle:
    """What a Ray Serve handle does for one item, minus Ray: one batch of one."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.calls = 0

    async def _call(self, item: Any) -> Any:
        self.calls += 1
        return (await self.server([item]))[0]

    def remote(self, item: Any) -> Any:
        return self._call(item)


class FailingHandle:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def _fail(self) -> Any:
        raise self.exc

    def remote(self, item: Any) -> Any:
        return self._fail()


def served(service: KnowledgeService, stage: str) -> StageServer:
    server = StageServer.__new__(StageServer)  # skip __init__'s logging and service build
    server.stage = build_stage(service, stage)
    server.pool = __import__("concurrent.futures").futures.ThreadPoolExecutor(1)
    return server


def test_stages_follow_the_configuration() -> None:
    assert enabled_stages(Settings(reader_model="")) == ["encode", "search"]
    assert enabled_stages(Settings(reranker_model="r")) == list(("encode", "search", "rerank"))
    assert app_name(Settings(serve_app="shop"), "read") == "shop-read"


def test_remote_answers_equal_local_answers(settings: Settings, fake_encoder: FakeEncoder) -> None:
    local = KnowledgeService(settings, encoder=fake_encoder)  # type: ignore[arg-type]
    local.build_index()
    local.warm_up()
    remote = KnowledgeService(
        replace(settings, batch_backend="ray"),
        encoder=fake_encoder,  # type: ignore[arg-type]
    )
    remote.warm_up()
    handles = {s: LocalHandle(served(local, s)) for s in enabled_stages(settings)}
    remote._remote = lanes = Lanes(**{s: RemoteStage(s, h) for s, h in handles.items()})
    questions = ["How long does standard delivery take?", "退款多久原路退回？", "Do you sell cars?"]

    async def ask() -> list[Any]:
        return list(await asyncio.gather(*(remote.answer_async(q) for q in questions)))

    got = asyncio.run(ask())
    want = [local.answer(q) for q in questions]
    assert [a.text for a in got] == [a.text for a in want]
    assert [a.abstained for a in got] == [a.abstained for a in want]
    assert all(h.calls == 3 for h in handles.values()), "every question went to every stage"
    assert remote.batch_stats() == {s: {"items": 3, "failed": 0} for s in handles}
    assert lanes.rerank is None and [lane.name for lane in lanes.all()] == list(handles)


def test_remote_warm_up_loads_no_stage_model(settings: Settings, fake_encoder: FakeEncoder) -> None:
    KnowledgeService(settings, encoder=fake_encoder).build_index()  # type: ignore[arg-type]
    remote = KnowledgeService(replace(settings, batch_backend="ray"), encoder=fake_encoder)  # type: ignore[arg-type]
    remote.warm_up()
    assert remote.ready and remote.retriever.index is None, "the index stays on Ray Serve"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (RuntimeError("replica died"), ServingError),
        (OverloadedError("busy"), OverloadedError),
    ],
)
def test_remote_failures_become_knowledge_errors(
    raised: Exception, expected: type[KnowledgeError]
) -> None:
    stage = RemoteStage("read", FailingHandle(raised))
    with pytest.raises(expected):
        asyncio.run(stage.submit(("q", ())))
    assert (stage.items, stage.failed) == (1, 1)


def test_back_pressure_is_overload() -> None:
    serve_exceptions = pytest.importorskip("ray.serve.exceptions")
    stage = RemoteStage(
        "encode",
        FailingHandle(
            serve_exceptions.BackPressureError(num_queued_requests=9, max_queued_requests=8)
        ),
    )
    with pytest.raises(OverloadedError, match="too many questions"):
        asyncio.run(stage.submit("q"))


def test_unreachable_cluster_says_what_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray")
    monkeypatch.setattr(ray, "is_initialized", lambda: False)

    def refuse(**_: Any) -> None:
        raise ConnectionError("no cluster at 127.0.0.1:1")

    monkeypatch.setattr(ray, "init", refuse)
    with pytest.raises(ServingError, match=r"knowledge\.serving deploy"):
        remote_lanes(Settings(batch_backend="ray", ray_address="127.0.0.1:1"))
