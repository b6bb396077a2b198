from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

import actions.service as service


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
