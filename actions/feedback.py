"""Keep feedback and complaints for agents (the reply itself is a domain response)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction
from actions.service import get_orders

log = logging.getLogger(__name__)


class ActionRecordFeedback(KefuAction):
    """Store the latest message as feedback or, for the ``complain`` intent, a complaint."""

    needs = ("orders",)  # kept beside the orders

    async def not_connected(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """No order store to keep it in: it stays in the transcript agents read."""
        log.info("feedback of %s kept in the transcript only (no order store)", tracker.sender_id)
        return []

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
