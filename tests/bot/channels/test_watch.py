"""bot/channels/watch.py: every turn that reaches the channels gets an answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import channels.watch
import pytest
from channels.guard import Guard, reply
from channels.watch import guarded
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

Turn = Callable[[UserMessage], Awaitable[Any]]


class Socket(OutputChannel):
    """An output that sends each message at once, as socket.io does (not a collector)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent.append(text)


class Paused:
    def __init__(self, paused: bool) -> None:
        self.paused = paused

    def is_paused(self) -> bool:
        return self.paused


def says(*texts: str, delay: float = 0.0) -> Turn:
    """A turn that answers ``texts`` through the message's output after ``delay`` seconds."""

    async def turn(message: UserMessage) -> None:
        await asyncio.sleep(delay)
        for text in texts:
            await message.output_channel.send_response(message.sender_id, {"text": text})

    return turn


def run(
    monkeypatch: pytest.MonkeyPatch, turn: Turn, text: Any, output: OutputChannel | None = None,
    paused: bool | None = False, slow: float = 5.0, guard: Guard | None = None,
) -> tuple[list[str], list[UserMessage]]:  # fmt: skip
    """Send ``text`` through ``guarded(turn)``; what the shopper got, what the turn received."""
    received: list[UserMessage] = []

    async def stored_tracker(sender: str) -> Any:
        if paused is None:
            raise ConnectionError("tracker store down")
        return Paused(paused)

    async def recording(message: UserMessage) -> None:
        received.append(message)
        await turn(message)

    monkeypatch.setattr(channels.watch, "stored_tracker", stored_tracker)
    out = output if output is not None else Socket()
    message = UserMessage(None, out, "u1001:abc")
    message.text = text  # as the channels pass it on: unchecked
    asyncio.run(guarded(recording, guard or Guard(), slow)(message))
    sent = out.sent if isinstance(out, Socket) else [m.get("text", "") for m in out.messages]
    return sent, received


def test_a_message_the_guard_answers_never_reaches_the_dialogue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent, received = run(monkeypatch, says("hi"), "   ")
    assert sent == [reply("empty")] and received == []
    sent, received = run(monkeypatch, says("hi"), "退" * 11, guard=Guard(max_chars=10))
    assert sent == [reply("too_long", "退", limit=10)] and received == []


def test_the_dialogue_gets_the_cleaned_text(monkeypatch: pytest.MonkeyPatch) -> None:
    sent, received = run(monkeypatch, says("好的"), " 退货\x00政策\u200b？\n")
    assert [m.text for m in received] == ["退货政策？"] and sent == ["好的"]


def test_a_turn_that_answers_gets_nothing_added(monkeypatch: pytest.MonkeyPatch) -> None:
    sent, _ = run(monkeypatch, says("第一句", "第二句"), "退货政策")
    assert sent == ["第一句", "第二句"]


@pytest.mark.parametrize("output", [Socket, CollectingOutputChannel])
def test_a_silent_turn_gets_an_apology_in_the_shoppers_language(
    monkeypatch: pytest.MonkeyPatch, output: type[OutputChannel]
) -> None:
    sent, _ = run(monkeypatch, says(), "我的订单到哪了", output=output())
    assert sent == [reply("no_reply", "我的订单到哪了")] and "转人工" in sent[0]
    sent, _ = run(monkeypatch, says(), "where is my order", output=output())
    assert sent == [reply("no_reply", "where is my order")] and "human" in sent[0]


def test_a_failing_turn_gets_the_apology_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("action server unreachable")

    with caplog.at_level(logging.ERROR, logger="channels.watch"):
        sent, _ = run(monkeypatch, broken, "where is my order")
    assert sent == [reply("no_reply", "where is my order")]
    assert any(r.exc_info and "u1001:abc" in r.getMessage() for r in caplog.records)


def test_no_apology_while_an_agent_has_the_conversation_or_when_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(monkeypatch, says(), "where is my order", paused=True)[0] == []
    assert run(monkeypatch, says(), "where is my order", paused=None)[0] == []


def test_a_slow_socket_turn_says_it_is_still_working_then_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent, _ = run(monkeypatch, says("答案", delay=0.3), "退货政策", slow=0.05)
    assert sent == [reply("slow", "退货政策"), "答案"]


def test_a_slow_rest_turn_replies_still_working_and_finishes_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finished: list[str] = []

    async def slow_turn(message: UserMessage) -> None:
        await asyncio.sleep(0.3)
        finished.append(message.text or "")

    async def main() -> tuple[list[dict[str, Any]], list[str]]:
        output = CollectingOutputChannel()
        message = UserMessage("where is my order", output, "u1001:abc")
        await guarded(slow_turn, Guard(), 0.05)(message)
        answered = list(output.messages)
        assert finished == [], "the REST reply does not wait for the turn"
        await asyncio.sleep(0.5)
        return answered, finished

    answered, done = asyncio.run(main())
    assert [m["text"] for m in answered] == [reply("slow", "where is my order")]
    assert done == ["where is my order"], "the turn completed after the reply"


def test_a_fast_turn_is_not_told_to_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    sent, _ = run(monkeypatch, says("答案", delay=0.01), "退货政策", slow=1.0)
    assert sent == ["答案"]
