"""bot/channels/replay.py: a message sent again with its message_id is answered, not re-run."""

from __future__ import annotations

import asyncio
from typing import Any

import channels.replay
import pytest
from channels.replay import deduplicated, stored_replies, valid_message_id
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

BUTTONS = [{"title": "查询订单", "payload": "/track_order"}]
EVENTS = [
    UserUttered("退货政策", message_id="m1"),
    BotUttered("签收后 7 天内可以无理由退货。", data={"buttons": BUTTONS, "elements": None}),
    BotUttered("", data={"custom": {"products": [1]}}),
    UserUttered("谢谢", message_id="m2"),
    BotUttered("不客气！"),
    UserUttered("还有吗", message_id="m3"),
]


class Tracker:
    def __init__(self, events: list[Any]) -> None:
        self.events = events


def test_message_ids() -> None:
    assert valid_message_id("m-1_a.b:c@d") and valid_message_id("x" * 128)
    for bad in ("", "x" * 129, "a b", "m1\n", None, 7, ["m1"]):
        assert not valid_message_id(bad)


def test_the_replies_stored_after_a_message_up_to_the_next_one() -> None:
    assert stored_replies(EVENTS, "m1") == [
        {"text": "签收后 7 天内可以无理由退货。", "buttons": BUTTONS},
        {"custom": {"products": [1]}},
    ]
    assert stored_replies(EVENTS, "m2") == [{"text": "不客气！"}]
    assert stored_replies(EVENTS, "m3") == [], "stored, but the turn said nothing yet"
    assert stored_replies(EVENTS, "m4") is None, "never stored: process it"


def handle(
    monkeypatch: pytest.MonkeyPatch, metadata: dict[str, Any] | None, tracker: Any
) -> tuple[list[UserMessage], list[dict[str, Any]], list[str]]:
    """Send one message through ``deduplicated``; what was processed, replayed, looked up."""
    processed: list[UserMessage] = []
    looked_up: list[str] = []

    async def on_new_message(message: UserMessage) -> None:
        processed.append(message)

    async def stored_tracker(sender: str) -> Any:
        looked_up.append(sender)
        if isinstance(tracker, Exception):
            raise tracker
        return tracker

    monkeypatch.setattr(channels.replay, "stored_tracker", stored_tracker)
    output = CollectingOutputChannel()
    message = UserMessage("退货政策", output, "u1001:abc", metadata=metadata)
    asyncio.run(deduplicated(on_new_message)(message))
    return processed, output.messages, looked_up


def test_a_stored_message_is_answered_from_the_tracker_not_processed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    processed, replayed, looked_up = handle(monkeypatch, {"message_id": "m1"}, Tracker(EVENTS))
    assert processed == [] and looked_up == ["u1001:abc"]
    assert [m.get("text") for m in replayed] == ["签收后 7 天内可以无理由退货。", None]
    assert replayed[0]["buttons"] == BUTTONS and replayed[1]["custom"] == {"products": [1]}


def test_a_new_message_is_processed_under_its_own_id(monkeypatch: pytest.MonkeyPatch) -> None:
    processed, replayed, _ = handle(monkeypatch, {"message_id": "m9"}, Tracker(EVENTS))
    assert [m.message_id for m in processed] == ["m9"] and replayed == []
    processed, _, _ = handle(monkeypatch, {"message_id": "m9"}, None)  # no conversation yet
    assert [m.message_id for m in processed] == ["m9"]


def test_without_a_usable_id_the_store_is_not_consulted(monkeypatch: pytest.MonkeyPatch) -> None:
    for metadata in (None, {}, {"message_id": "a b"}, {"message_id": 7}):
        processed, _, looked_up = handle(monkeypatch, metadata, Tracker(EVENTS))
        assert len(processed) == 1 and looked_up == []


def test_a_store_that_is_down_means_processing_rather_than_losing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    processed, replayed, _ = handle(
        monkeypatch, {"message_id": "m1"}, ConnectionError("tracker store down")
    )
    assert [m.message_id for m in processed] == ["m1"] and replayed == []
