"""Detect the language of each shopper message (the slot's custom mapping runs this)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from common.lang import detect_language


class ActionDetectLanguage(Action):
    """Set the ``language`` slot to ``zh`` or ``en`` from the latest message."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Detect and set; keeps the previous value for messages without text."""
        text = tracker.latest_message.get("text") or ""
        if not text.strip():
            return []
        return [SlotSet("language", detect_language(text))]
