"""bot/channels/admission.py: past capacity, "busy" at once; the line is fair; nothing lost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import channels.watch
import pytest
from channels.admission import Admission
from channels.guard import Guard, reply
from channels.watch import guarded
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage


def test_a_free_slot_admits_at_once_and_a_full_line_refuses_at_once() -> None:
    async def scenario() -> None:
        line = Admission(budget_s=1.0, running=1, mean_turn_s=0.4)
        assert await line.enter("a")  # free: runs
        waiting = asyncio.ensure_future(line.enter("b"))  # ~0.4 s away: waits
        await asyncio.sleep(0)
        assert line.waiting == 1 and not waiting.done()
        started = time.monotonic()
        assert not await line.enter("c")  # 2 turns ahead x 0.4 s > 1.0 - 0.4 s: busy now
        assert time.monotonic() - started < 0.05
        line.leave(0.4)
        assert await waiting  # the slot went to b
        assert (line.active, line.waiting, line.refused) == (1, 0, 1)

    asyncio.run(scenario())


def test_a_turn_that_cannot_start_within_the_budget_is_refused_then() -> None:
    async def scenario() -> None:
        line = Admission(budget_s=0.3, running=1, mean_turn_s=0.05)
        assert await line.enter("a")
        started = time.monotonic()
        assert not await line.enter("b")  # a never leaves
        assert 0.2 < time.monotonic() - started < 0.5  # the budget less a turn's time
        assert line.waiting == 0  # withdrawn from the line

    asyncio.run(scenario())


def test_the_line_serves_one_turn_per_sender_in_turn() -> None:
    async def scenario() -> list[str]:
        line = Admission(budget_s=60.0, running=1, mean_turn_s=0.001)
        order: list[str] = []
        assert await line.enter("first")

        async def turn(sender: str) -> None:
            assert await line.enter(sender)
            order.append(sender)

        # a chatty sender queues five messages before two others queue one each
        tasks = [asyncio.ensure_future(turn("chatty")) for _ in range(5)]
        await asyncio.sleep(0)
        tasks += [asyncio.ensure_future(turn(s)) for s in ("quiet-1", "quiet-2")]
        await asyncio.sleep(0)
        line.leave(0.001)
        for _ in range(7):
            await asyncio.sleep(0.01)
            line.leave(0.001)
        await asyncio.gather(*tasks)
        return order

    order = asyncio.run(scenario())
    assert order[:3] == ["chatty", "quiet-1", "quiet-2"]  # not five of chatty's first
    assert order.count("chatty") == 5


def test_budget_zero_turns_admission_control_off() -> None:
    async def scenario() -> None:
        line = Admission(budget_s=0.0, running=1)
        assert all([await line.enter(str(i)) for i in range(20)])

    asyncio.run(scenario())


def test_a_busy_turn_is_stored_then_answered_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[tuple[str, str]] = []
    ran: list[str] = []
    stored_before_reply: list[bool] = []

    class Output(CollectingOutputChannel):
        async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
            stored_before_reply.append(bool(stored))
            await super().send_text_message(recipient_id, text, **kwargs)

    async def store_busy(message: UserMessage, text: str) -> None:
        await asyncio.sleep(0.01)  # a write takes a moment
        stored.append((message.text, text))

    async def turn(message: UserMessage) -> None:
        ran.append(message.text)

    monkeypatch.setattr(channels.watch, "store_busy", store_busy)

    async def scenario() -> list[Any]:
        line = Admission(budget_s=1.0, running=1, mean_turn_s=2.0)  # no time to wait at all
        assert await line.enter("someone-else")
        output = Output()
        handle = guarded(turn, Guard(per_minute=0), slow_seconds=5.0, line=line)
        started = time.monotonic()
        await handle(UserMessage("退货要几天？", output, "shopper-1"))
        assert time.monotonic() - started < 0.5  # at once
        return output.messages

    replies = asyncio.run(scenario())
    busy = reply("busy", "退货要几天？")
    assert [m["text"] for m in replies] == [busy] and "人工" in busy
    assert stored == [("退货要几天？", busy)]
    assert stored_before_reply == [True]  # kept before the shopper heard back
    assert ran == []  # not run later either: answered once


def test_an_admitted_turn_holds_its_slot_until_it_ends() -> None:
    async def scenario() -> tuple[int, int]:
        line = Admission(budget_s=10.0, running=2)

        async def turn(message: UserMessage) -> None:
            await asyncio.sleep(0.05)
            await message.output_channel.send_text_message(message.sender_id, "ok")

        handle = guarded(turn, Guard(per_minute=0), slow_seconds=5.0, line=line)
        running = asyncio.ensure_future(handle(UserMessage("hi", CollectingOutputChannel(), "s")))
        await asyncio.sleep(0.01)
        during = line.active
        await running
        return during, line.active

    assert asyncio.run(scenario()) == (1, 0)
