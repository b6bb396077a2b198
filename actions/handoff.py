"""Human handoff: tell the shopper when agents are available, mark and pause the conversation.

The conversation is marked for agents twice over: the ``handoff`` slot (the console lists
conversations where it is true) and Rasa's ``pause`` event, which also stops the bot from
answering until an agent hands back (a ``resume`` event and ``handoff`` set to false, both
through Rasa's HTTP API; see web/README or the agent console).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of
from actions.texts import HANDOFF_TEXTS, pick

OPEN_HOUR, CLOSE_HOUR = 9, 21  # Beijing time, every day


def agents_available(at: datetime | None = None) -> bool:
    """Whether human agents are on duty at ``at`` (aware datetime; default now)."""
    beijing = (at or datetime.now(UTC)).astimezone(UTC) + timedelta(hours=8)
    return OPEN_HOUR <= beijing.hour < CLOSE_HOUR


class ActionHandoff(KefuAction):
    """Hand the conversation to a human."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_handoff"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Say what happens next, then mark and pause the conversation."""
        lang = lang_of(tracker)
        topic = " ".join(str(tracker.get_slot("handoff_topic") or "").split())[:200]
        available = agents_available()
        zh, en = HANDOFF_TEXTS["open" if available else "closed"]
        dispatcher.utter_message(
            text=pick(lang, zh, en).format(topic=topic or "-"),
            handoff={"topic": topic, "agents_available": available},
        )
        return [SlotSet("handoff", True), SlotSet("handoff_topic", None), ConversationPaused()]
