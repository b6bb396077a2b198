"""Low NLU confidence: answer when the store's documents surely do, else ask once.

The question goes to the knowledge engine first (its second opinion, ``actions/policy.py``);
below that bar the bot asks, offering the two likeliest intents as buttons.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of
from actions.policy import answered_from_documents
from actions.texts import CLARIFY, INTENT_LABELS, pick


def likeliest_intents(tracker: Tracker, n: int = 2) -> list[str]:
    """The ``n`` best-ranked real intents of the latest message (``nlu_fallback`` skipped)."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    names = [r.get("name") for r in ranking if r.get("name") in INTENT_LABELS]
    return names[:n]


class ActionClarify(KefuAction):
    """Answer from the documents when the engine is sure; else ask which intent was meant."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_clarify"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The engine's sure answers, else buttons: the intents themselves (``/track_order``)."""
        if await answered_from_documents(dispatcher, tracker):
            return []
        lang = lang_of(tracker)
        intents = likeliest_intents(tracker)
        if not intents:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = [{"title": pick(lang, *INTENT_LABELS[i]), "payload": f"/{i}"} for i in intents]
        dispatcher.utter_message(text=pick(lang, *CLARIFY), buttons=buttons)
        return []
