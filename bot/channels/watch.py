"""Run one shopper turn so that the shopper always hears back.

``guarded(on_new_message)`` wraps the function Rasa gives each channel: the message is checked
(``guard.py``) and answered there if it cannot go on; otherwise the turn runs, and

- if it sends nothing within ``slow_seconds``, the shopper is told kefu is still working (over
  socket.io; the turn goes on) or gets that as the reply (REST, whose reply is one response;
  the turn still completes and is stored);
- if it ends without a word while kefu is not paused for an agent (the action server is down
  or an action failed: Rasa logs it and says nothing), the shopper gets an apology that offers
  a human.

Before it runs, the turn takes its place in the process's line (``admission.py``): past
capacity it is answered "busy" at once, and that message and reply are stored first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.admission import Admission, store_busy
from channels.guard import Guard, reply

logger = logging.getLogger(__name__)
_BACKGROUND: set[asyncio.Future[Any]] = set()  # turns that outlived their REST reply
Handler = Callable[[UserMessage], Awaitable[Any]]


class _Counter:
    """Counts what a turn sends through an output channel (wrapping ``send_response``)."""

    def __init__(self, output: Any) -> None:
        self.sent = 0
        original = output.send_response

        async def counted(recipient_id: str, message: dict[str, Any]) -> None:
            self.sent += 1
            await original(recipient_id, message)

        output.send_response = counted


async def stored_tracker(sender: str) -> Any:
    """``sender``'s conversation as the tracker store holds it (None if it has none).

    Raises when Rasa runs without its HTTP API app (``--enable-api``) or the store is down.
    """
    from sanic import Sanic

    agent = Sanic.get_app("rasa_server").ctx.agent
    return await agent.tracker_store.retrieve(sender)


async def _paused(sender: str) -> bool | None:
    """Whether kefu is paused for ``sender`` (an agent has it); None when unknown."""
    try:
        tracker = await stored_tracker(sender)
        return bool(tracker and tracker.is_paused())
    except Exception:  # no API app (rasa run without --enable-api), or the store is down
        logger.warning("could not tell whether %s is paused", sender, exc_info=True)
        return None


def guarded(
    on_new_message: Handler,
    guard: Guard,
    slow_seconds: float | None = None,
    line: Admission | None = None,
) -> Handler:
    """``on_new_message`` behind the guard, the line and the no-reply watch (module docstring).

    ``slow_seconds`` (default ``guard.slow_seconds``): when to say kefu is still working;
    ``line``: the process's admission (None: every turn runs at once).
    """
    slow = guard.slow_seconds if slow_seconds is None else slow_seconds

    async def handle(message: UserMessage) -> None:
        output = message.output_channel
        sender = message.sender_id or ""
        verdict = guard.check(sender, message.text)
        if verdict.reply is not None:
            await output.send_text_message(sender, verdict.reply)
            return
        message.text = verdict.text
        if line is not None and not await line.enter(sender):
            busy = reply("busy", verdict.text)
            await _kept_first(store_busy(message, busy), line.budget_s)
            await output.send_text_message(sender, busy)
            return
        counter = _Counter(output)
        started = time.monotonic()
        turn = asyncio.ensure_future(on_new_message(message))
        if line is not None:  # the slot is held until the turn ends, even past a REST reply
            turn.add_done_callback(lambda _: line.leave(time.monotonic() - started))
        done, _ = await asyncio.wait({turn}, timeout=slow)
        if not done and counter.sent == 0:
            await output.send_text_message(sender, reply("slow", verdict.text))
            if isinstance(output, CollectingOutputChannel):
                _keep(turn, "a slow turn")
                return  # REST answers now; the turn completes and is stored
        try:
            await turn
        except Exception:
            logger.exception("the turn of %s failed", sender)
        if counter.sent == 0 and await _paused(sender) is False:
            await output.send_text_message(sender, reply("no_reply", verdict.text))

    return handle


async def _kept_first(storing: Awaitable[None], wait_s: float) -> None:
    """Store a busy turn before the shopper hears back.

    A process killed after the reply would otherwise lose it, and the client, answered, would
    not send it again. Waits at most ``wait_s`` (the conversation's own turn may hold its
    lock): then the store goes on after the reply. A store that fails is logged; the shopper
    still hears back.
    """
    task = asyncio.ensure_future(storing)
    done, _ = await asyncio.wait({task}, timeout=max(wait_s, 1.0))
    if not done:
        _keep(task, "storing a busy turn")
    elif task.exception() is not None:
        logger.error("storing a busy turn failed", exc_info=task.exception())


def _keep(task: asyncio.Future[Any], what: str) -> None:
    """Let ``task`` run on after the reply; log if it fails."""
    _BACKGROUND.add(task)  # asyncio keeps only weak references to tasks

    def finished(task: asyncio.Future[Any]) -> None:
        _BACKGROUND.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s failed", what, exc_info=task.exception())

    task.add_done_callback(finished)
