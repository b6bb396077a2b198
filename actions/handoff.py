"""Human handoff: tell the shopper when agents are available, mark and pause the conversation.

The conversation is marked for agents twice over: the ``handoff`` slot (the console lists
conversations where it is true) and Rasa's ``pause`` event, which also stops the bot from
answering until an agent hands back (a ``resume`` event and ``handoff`` set to false, both
through Rasa's HTTP API; see web/README or the agent console).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of
from actions.texts import handoff_text
from common.clock import is_open


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
        available = is_open()
        dispatcher.utter_message(
            text=handoff_text(lang, available, topic),
            handoff={"topic": topic, "agents_available": available},
        )
        return [SlotSet("handoff", True), SlotSet("handoff_topic", None), ConversationPaused()]
