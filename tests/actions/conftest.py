from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

import actions.policy
import actions.service as service
from common.lang import detect_language
from knowledge.types import Answer, Hit, Passage, Source

SOURCE = Source(doc="zh/returns.md", title="退货政策", section="退款", effective="2026-07-01")
PASSAGE = Passage(
    id="zh/returns.md#1", text="退款 3 个工作日内原路退回。", source=SOURCE, lang="zh"
)


class FakeService:
    """The knowledge engine: answers every question from PASSAGE (at ``score``), or abstains."""

    def __init__(
        self, abstain: bool = False, error: Exception | None = None, score: float = 0.91
    ) -> None:
        self.abstain = abstain
        self.error = error
        self.score = score
        self.questions: list[str] = []

    def answer(self, question: str) -> Answer:
        self.questions.append(question)
        if self.error:
            raise self.error
        hit = Hit(PASSAGE, 0.91)
        if self.abstain:
            return Answer(question, detect_language(question), "", "", 0.3, None, True, (hit,))
        return Answer(
            question, "zh", "3 个工作日内", PASSAGE.text, self.score, SOURCE, False, (hit,),
            span=(3, 10), passage_id=PASSAGE.id,
        )  # fmt: skip

    async def answer_async(self, question: str) -> Answer:
        return self.answer(question)


@pytest.fixture(autouse=True)
def engine_abstains(monkeypatch: pytest.MonkeyPatch) -> FakeService:
    """Actions that ask the engine for a second opinion get none (tests that want one patch)."""
    fake = FakeService(abstain=True)
    monkeypatch.setattr(actions.policy, "get_service", lambda: fake)
    return fake


def tracker_with(
    text: str,
    sender: str = "shopper-1",
    slots: dict[str, Any] | None = None,
    intent: str = "ask_policy",
    entities: list[dict[str, Any]] | None = None,
    ranking: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message is ``text``."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent},
        "entities": entities or [],
        "intent_ranking": ranking or [],
    }
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _clear() -> None:
    for getter in (
        service.get_settings,
        service.get_shop_settings,
        service.get_orders,
        service.get_catalog,
        service.get_promotions,
        service.get_return_rules,
        service.get_network,
        service.get_recommender,
        service.get_generator,
    ):
        getter.cache_clear()


@pytest.fixture
def shop_env(shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The action server's environment pointing at the test shop (services rebuilt)."""
    monkeypatch.setenv("KEFU_DATA_DIR", str(shop))
    monkeypatch.setenv("KEFU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(
        "KEFU_GENERATOR_MODEL", "none"
    )  # templates; tests that need a model patch one
    _clear()
    yield shop
    _clear()
