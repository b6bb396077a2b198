import asyncio
import logging
from typing import Any

import numpy as np
import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.policy
from actions.policy import ActionAnswerPolicy
from actions.texts import busy_text, failure_text
from common.lang import detect_language
from knowledge.errors import IndexMissingError, OverloadedError
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.types import Answer, Hit, Passage, Source
from tests.actions.conftest import tracker_with
from tests.conftest import FakeEncoder

SOURCE = Source(doc="zh/returns.md", title="退货政策", section="退款", effective="2026-07-01")
PASSAGE = Passage(
    id="zh/returns.md#1", text="退款 3 个工作日内原路退回。", source=SOURCE, lang="zh"
)


class FakeService:
    def __init__(self, abstain: bool = False, error: Exception | None = None) -> None:
        self.abstain = abstain
        self.error = error
        self.questions: list[str] = []

    def answer(self, question: str) -> Answer:
        self.questions.append(question)
        if self.error:
            raise self.error
        hit = Hit(PASSAGE, 0.91)
        if self.abstain:
            return Answer(question, detect_language(question), "", "", 0.3, None, True, (hit,))
        return Answer(
            question, "zh", "3 个工作日内", PASSAGE.text, 0.91, SOURCE, False, (hit,),
            span=(3, 10), passage_id=PASSAGE.id,
        )  # fmt: skip

    async def answer_async(self, question: str) -> Answer:
        return self.answer(question)


def run(monkeypatch: pytest.MonkeyPatch, service: FakeService, text: str):
    monkeypatch.setattr(actions.policy, "get_service", lambda: service)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerPolicy().run(dispatcher, tracker_with(text), {}))
    return dispatcher.messages, events


def test_quotes_the_passage_and_names_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    service = FakeService()
    messages, events = run(monkeypatch, service, "退款多久到账？")
    assert service.questions == ["退款多久到账？"]
    (message,) = messages
    assert message["text"].startswith("退款 【3 个工作日内】原路退回。")
    assert "《退货政策》" in message["text"] and "退款" in message["text"]
    assert message["evidence"]["passages"][0]["id"] == "zh/returns.md#1"
    assert {"event": "slot", "name": "kefu_abstained", "value": False, "timestamp": None} in events


def test_abstains_in_the_shoppers_language_and_offers_a_human(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    messages, events = run(monkeypatch, FakeService(abstain=True), "你们卖汽车吗")
    assert "人工客服" in messages[0]["text"]
    assert {"event": "slot", "name": "kefu_abstained", "value": True, "timestamp": None} in events
    messages, _ = run(monkeypatch, FakeService(abstain=True), "Do you sell cars?")
    assert "human agent" in messages[0]["text"]


@pytest.mark.parametrize("error", [IndexMissingError("no index"), RuntimeError("boom")])
def test_a_failing_engine_still_gets_the_shopper_a_polite_reply(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    messages, _ = run(monkeypatch, FakeService(error=error), "How long is delivery?")
    assert len(messages) == 1 and "try again" in messages[0]["text"]
    assert "boom" not in messages[0]["text"] and "index" not in messages[0]["text"]


def test_a_busy_engine_asks_the_shopper_to_try_again_in_their_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    busy = FakeService(error=OverloadedError("256 items are already waiting for encode."))
    messages, _ = run(monkeypatch, busy, "退款多久到账？")
    assert "稍等片刻" in messages[0]["text"] and "人工" in messages[0]["text"]
    messages, _ = run(monkeypatch, busy, "How long is delivery?")
    assert "again in a moment" in messages[0]["text"] and "waiting" not in messages[0]["text"]


@pytest.mark.parametrize(
    ("error", "level", "text"),
    [
        (OverloadedError("256 items are already waiting"), logging.WARNING, "again in a moment"),
        (IndexMissingError("no index"), logging.ERROR, "went wrong"),
        (RuntimeError("boom"), logging.CRITICAL, "went wrong"),
    ],
)
def test_failures_are_answered_and_logged_at_the_action_boundary(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception,
    level: int, text: str,
) -> None:  # fmt: skip
    """KefuAction.run answers for the policy action: busy, a known failure, or a bug."""
    with caplog.at_level(logging.WARNING, logger="actions"):
        messages, events = run(monkeypatch, FakeService(error=error), "How long is delivery?")
    assert [m["text"] for m in messages] == [
        busy_text("en") if level == logging.WARNING else failure_text("en")
    ]
    assert text in messages[0]["text"] and events == []
    (record,) = [r for r in caplog.records if r.name == "actions.common"]
    assert record.levelno == level and "action_answer_policy" in record.getMessage()
    assert (record.exc_info is None) == (level == logging.WARNING)


class PoisonEncoder(FakeEncoder):
    """Fails any batch holding a question with "boom" in it."""

    def forward(self, features: list[str]) -> np.ndarray:
        if any("boom" in text for text in features):
            raise RuntimeError("the encoder choked")
        return super().forward(features)


def test_concurrent_conversations_share_a_batch_and_keep_failures_to_themselves(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    svc = KnowledgeService(
        Settings(**{**settings.__dict__, "batch_delay_ms": 50.0}),
        encoder=PoisonEncoder(),  # type: ignore[arg-type]
    )
    svc.build_index()
    svc.warm_up()
    monkeypatch.setattr(actions.policy, "get_service", lambda: svc)

    async def main() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        good, bad = CollectingDispatcher(), CollectingDispatcher()
        await asyncio.gather(
            ActionAnswerPolicy().run(good, tracker_with("How long is standard delivery?", "a"), {}),
            ActionAnswerPolicy().run(bad, tracker_with("boom delivery", "b"), {}),
        )
        stats = svc.batch_stats()
        await svc.aclose()
        return good.messages, bad.messages, stats

    good, bad, stats = asyncio.run(main())
    assert good[0]["text"].startswith("【Standard delivery takes 2-4 days in mainland China.】")
    assert "try again" in bad[0]["text"]
    assert stats["encode"]["largest_batch"] == 2, "both questions shared one encoder batch"
    assert stats["encode"]["failed"] == 1
