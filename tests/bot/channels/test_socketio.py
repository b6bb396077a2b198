"""bot/channels/socketio.py: the widget's channel sends each message whole; the token says who."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from channels.guard import reply
from channels.socketio import (
    BAD_MESSAGE,
    BAD_SESSION,
    KefuSocketIOInput,
    KefuSocketIOOutput,
    widget_message,
)
from rasa.core.channels.channel import UserMessage

from common.identity import sign

EVIDENCE = {"abstained": False, "source": {"title": "退货政策"}}


def test_the_widget_gets_what_it_renders_and_nothing_empty() -> None:
    message = {
        "recipient_id": "u1001:abc",
        "text": "第一段\n\n第二段",
        "buttons": [],
        "products": [{"id": "p1"}],
        "evidence": EVIDENCE,
        "custom": {"x": 1},
        "agent": None,
        "timestamp": datetime(2026, 11, 28, 9, 30),
    }
    assert widget_message(message) == {
        "text": "第一段\n\n第二段",
        "products": [{"id": "p1"}],
        "evidence": EVIDENCE,
        "timestamp": "2026-11-28 09:30:00",
    }


def test_quick_replies_become_buttons_unless_there_are_buttons() -> None:
    quick = [{"title": "是", "payload": "/affirm"}]
    assert widget_message({"text": "?", "quick_replies": quick}) == {"text": "?", "buttons": quick}
    both = widget_message({"text": "?", "buttons": [{"title": "b"}], "quick_replies": quick})
    assert both == {"text": "?", "buttons": [{"title": "b"}]}


def test_each_bot_message_is_emitted_once_whole_to_the_conversations_room() -> None:
    channel = KefuSocketIOInput(session_persistence=True)
    channel.blueprint(lambda message: asyncio.sleep(0))
    output = channel.get_output_channel()
    assert isinstance(output, KefuSocketIOOutput)
    message = {"text": "第一段\n\n第二段", "evidence": EVIDENCE, "buttons": [{"title": "b"}]}
    asyncio.run(output.send_response("u1001:abc", message))
    assert channel.sio.emitted == [
        ("bot_uttered", {"text": "第一段\n\n第二段", "buttons": [{"title": "b"}],
                         "evidence": EVIDENCE}, "u1001:abc"),
    ]  # fmt: skip


class Widget:
    """The channel's socket.io handlers, driven as the widget's socket would."""

    def __init__(self, persistence: bool = True) -> None:
        self.turns: list[UserMessage] = []

        async def on_new_message(message: UserMessage) -> None:
            self.turns.append(message)
            await message.output_channel.send_response(message.sender_id, {"text": "好的"})

        self.channel = KefuSocketIOInput(session_persistence=persistence)
        self.channel.blueprint(on_new_message)
        self.sio = self.channel.sio

    def send(self, event: str, sid: str, data: Any) -> None:
        asyncio.run(self.sio.handlers[(event, None)](sid, data))


def test_a_session_request_joins_the_room_the_token_names(identity_secret: str) -> None:
    w = Widget()
    token = sign("u1001", identity_secret)
    w.send("session_request", "sid1", {"session_id": "u1002:abc", "token": token})
    assert w.sio.rooms == [("sid1", "u1001:abc", None)]
    assert w.sio.emitted == [("session_confirm", "u1001:abc", "sid1")]


def test_a_claim_without_its_token_is_a_guest_who_cannot_listen_in(identity_secret: str) -> None:
    w = Widget()
    w.send("session_request", "sid1", {"session_id": "u1001:abc"})
    assert w.sio.rooms == [("sid1", "u1001-abc", None)]
    assert w.sio.emitted == [("session_confirm", "u1001-abc", "sid1")]


def test_a_bad_conversation_key_is_answered_and_joins_nothing(identity_secret: str) -> None:
    w = Widget()
    w.send("session_request", "sid1", {"session_id": "../etc/passwd"})
    w.send("user_uttered", "sid1", {"session_id": "a b", "message": "hi"})
    assert w.sio.rooms == [] and w.turns == []
    assert w.sio.emitted == [("bot_uttered", {"text": BAD_SESSION}, "sid1")] * 2
    assert reply("bad_session") == BAD_SESSION


def test_a_message_that_is_not_an_object_is_answered(identity_secret: str) -> None:
    w = Widget()
    w.send("user_uttered", "sid1", "hi")
    assert w.sio.emitted == [("bot_uttered", {"text": BAD_MESSAGE}, "sid1")] and w.turns == []
    assert BAD_MESSAGE == "无法读取这条消息。\nThis message could not be read."


def test_a_message_runs_as_the_tokens_shopper_with_identity_the_client_cannot_set(
    identity_secret: str,
) -> None:
    w = Widget()
    forged = {"verified": True, "shopper": "u1002", "reason": "verified"}
    w.send("user_uttered", "sid9", {
        "session_id": "abc", "message": " 退货政策 ", "token": sign("u1001", identity_secret),
        "metadata": {"identity": forged, "token": "leaked?", "page": "/p/1"},
    })  # fmt: skip
    (turn,) = w.turns
    assert turn.sender_id == "u1001:abc" and turn.text == "退货政策"
    assert turn.input_channel == "socketio"
    assert turn.metadata == {
        "page": "/p/1", "identity": {"verified": True, "shopper": "u1001", "reason": "verified"}
    }  # fmt: skip
    assert ("sid9", "u1001:abc", None) in w.sio.rooms, "joined before the reply (reconnects)"
    assert w.sio.emitted == [("bot_uttered", {"text": "好的"}, "u1001:abc")]


def test_metadata_sent_as_a_json_string_is_read_and_bad_metadata_dropped(
    identity_secret: str,
) -> None:
    w = Widget()
    w.send("user_uttered", "s", {"session_id": "abc", "message": "hi", "metadata": '{"page": 1}'})
    w.send("user_uttered", "s", {"session_id": "abc", "message": "hi", "metadata": "{bad"})
    w.send("user_uttered", "s", {"session_id": "abc", "message": 42, "metadata": ["x"]})
    guest = {"verified": False, "shopper": None, "reason": "no token"}
    assert [t.metadata for t in w.turns] == [{"page": 1, "identity": guest}, {"identity": guest},
                                            {"identity": guest}]  # fmt: skip
    assert w.turns[2].text == "42"


def test_without_session_persistence_the_socket_is_the_conversation(identity_secret: str) -> None:
    w = Widget(persistence=False)
    w.send("user_uttered", "sid7", {"session_id": "u1001:abc", "message": "hi"})
    assert [t.sender_id for t in w.turns] == ["sid7"] and w.sio.rooms == []


def test_allowed_origins_come_from_kefu_cors(
    identity_secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_CORS", "https://shop.example https://m.shop.example")
    w = Widget()
    assert w.sio.eio.cors_allowed_origins == ["https://shop.example", "https://m.shop.example"]
    monkeypatch.delenv("KEFU_CORS")
    assert Widget().sio.eio.cors_allowed_origins == []
