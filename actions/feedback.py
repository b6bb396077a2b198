"""Keep feedback and complaints for agents (the reply itself is a domain response)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction
from actions.service import get_orders


class ActionRecordFeedback(KefuAction):
    """Store the latest message as feedback or, for the ``complain`` intent, a complaint."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_record_feedback"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Record; says nothing (the rule's next step answers)."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        kind = "complaint" if intent == "complain" else "feedback"
        text = tracker.latest_message.get("text") or ""
        await asyncio.to_thread(get_orders().record_feedback, tracker.sender_id, kind, text)
        return []
