"""Admission control: past capacity, a fast honest "we're busy" instead of a two-minute wait.

One :class:`Admission` per Rasa process, shared by its channels (:func:`admission`):

- at most ``running`` turns (``KEFU_TURNS_AT_ONCE``) go through the dialogue at once; the others
  wait in line;
- **the budget** (``KEFU_TURN_BUDGET_S``): a shopper should hear back within it. A turn that
  cannot start in time to finish within it is answered at once with the ``busy`` reply: when
  it arrives, if the turns ahead of it would already take longer (their number / ``running`` x
  the recent mean turn time); while it waits, when the budget less a turn's time has passed;
- **fairness**: the line is served one turn per shopper in turn (round robin over senders), so
  one chatty sender with many messages waiting cannot hold the line for the others;
- **nothing lost, nothing answered twice**: a message answered "busy" is stored in its
  conversation with the busy reply (:func:`store_busy`: the user message, the reply, then
  Rasa's ``UserUtteranceReverted``, so the dialogue goes on as if the turn had not happened
  while agents still see both in the transcript); it is not run later.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from common.config import value

logger = logging.getLogger(__name__)
EWMA = 0.1  # weight of the latest turn in the mean turn time


@dataclass
class Admission:
    """Who runs, who waits, who is told "busy" (see the module docstring)."""

    budget_s: float = 3.0
    running: int = 8
    mean_turn_s: float = 0.2  # the recent mean turn time (updated by :meth:`leave`)
    active: int = 0
    _lines: dict[str, deque[asyncio.Future[None]]] = field(default_factory=dict)
    _order: deque[str] = field(default_factory=deque)
    admitted: int = 0
    refused: int = 0

    @classmethod
    def from_env(cls) -> Admission:
        """``KEFU_TURN_BUDGET_S`` and ``KEFU_TURNS_AT_ONCE``."""
        return cls(budget_s=value("KEFU_TURN_BUDGET_S"), running=value("KEFU_TURNS_AT_ONCE"))

    @property
    def waiting(self) -> int:
        """Turns in line."""
        return sum(len(line) for line in self._lines.values())

    def expected_wait(self) -> float:
        """Seconds until a turn joining the line now would start (roughly)."""
        if self.active < self.running and not self.waiting:
            return 0.0
        return (self.waiting + 1) / self.running * self.mean_turn_s

    async def enter(self, sender: str) -> bool:
        """Wait for a turn of ``sender``; False: it cannot start in time (answer "busy").

        Every True must be followed by :meth:`leave`.
        """
        if self.budget_s <= 0:  # admission control off
            self.active += 1
            return True
        patience = self.budget_s - self.mean_turn_s
        if self.active < self.running and not self.waiting:
            self.active += 1
            self.admitted += 1
            return True
        if self.expected_wait() > patience:
            self.refused += 1
            return False
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if sender not in self._lines:
            self._lines[sender] = deque()
            self._order.append(sender)
        self._lines[sender].append(ticket)
        try:
            await asyncio.wait_for(asyncio.shield(ticket), timeout=max(0.0, patience))
        except asyncio.TimeoutError:  # noqa: UP041 (Rasa runs Python 3.10: not TimeoutError)
            if ticket.done():  # admitted just as the wait ran out: take it
                self.admitted += 1
                return True
            self._withdraw(sender, ticket)
            self.refused += 1
            return False
        except asyncio.CancelledError:
            if ticket.done():
                self.leave(0.0)  # admitted, but the caller is gone: pass the slot on
            else:
                self._withdraw(sender, ticket)
            raise
        self.admitted += 1
        return True

    def leave(self, seconds: float) -> None:
        """A turn ended after ``seconds``: its slot goes to the next sender in line."""
        if seconds > 0:
            self.mean_turn_s += EWMA * (seconds - self.mean_turn_s)
        self.active -= 1
        while self._order and self.active < self.running:
            sender = self._order.popleft()
            line = self._lines[sender]
            ticket = line.popleft()
            if line:
                self._order.append(sender)  # its next turn waits for everyone else's
            else:
                del self._lines[sender]
            if not ticket.done():
                self.active += 1
                ticket.set_result(None)

    def _withdraw(self, sender: str, ticket: asyncio.Future[None]) -> None:
        line = self._lines.get(sender)
        if line is None or ticket not in line:
            return
        line.remove(ticket)
        if not line:
            del self._lines[sender]
            self._order.remove(sender)

    def stats(self) -> dict[str, Any]:
        """Counters for logs and reports."""
        return {
            "active": self.active, "waiting": self.waiting, "admitted": self.admitted,
            "refused": self.refused, "mean_turn_s": round(self.mean_turn_s, 3),
        }  # fmt: skip


@functools.cache
def admission() -> Admission:
    """The process's one :class:`Admission` (every channel shares it)."""
    return Admission.from_env()


async def store_busy(message: Any, reply: str) -> None:
    """Keep a message answered "busy" in its conversation (see the module docstring).

    Waits for the conversation's lock as Rasa does; appends the three events without reading
    the conversation when the store can (kefu's redacting SQL store), else reads and saves it.
    Raises when the tracker store fails (the caller logs it: the shopper has had the reply).
    """
    from rasa.shared.core.events import BotUttered, UserUtteranceReverted, UserUttered
    from sanic import Sanic

    agent = Sanic.get_app("rasa_server").ctx.agent
    sender = message.sender_id or ""
    events = [
        UserUttered(
            message.text,
            intent={"name": None, "confidence": 0.0},
            input_channel=message.input_channel,
            message_id=message.message_id,
            metadata={**(message.metadata or {}), "kefu_busy": True},
        ),
        BotUttered(reply, metadata={"kefu_busy": True}),
        UserUtteranceReverted(),
    ]
    store = agent.tracker_store
    while not hasattr(store, "append") and hasattr(store, "_tracker_store"):
        store = store._tracker_store  # Rasa's fail-safe and awaitable wrappers
    async with agent.lock_store.lock(sender, wait_time_in_seconds=0.1):
        if hasattr(store, "append"):
            await store.append(sender, events)
            return
        tracker = await agent.tracker_store.get_or_create_tracker(sender)
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)
