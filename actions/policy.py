"""Answer store-policy questions from the knowledge engine.

Each question goes through the engine's micro-batched path (``answer_async``): concurrent
conversations share its model calls, and one shopper's failing question fails only theirs.
A failure (or a busy engine) is answered at the action boundary, ``KefuAction.run``.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction
from actions.service import get_service
from actions.texts import answer_text
from common.lang import detect_language


async def answer_question(dispatcher: CollectingDispatcher, question: str) -> list[EventType]:
    """Answer ``question`` from the knowledge engine (or abstain); set language and abstention.

    The engine's errors (:class:`~knowledge.errors.OverloadedError` included) propagate to the
    calling action's boundary.
    """
    answer = await get_service().answer_async(question)
    dispatcher.utter_message(text=answer_text(answer), evidence=answer.evidence())
    return [SlotSet("language", detect_language(question)),
            SlotSet("kefu_abstained", answer.abstained)]  # fmt: skip


class ActionAnswerPolicy(KefuAction):
    """Quote the passage that answers the question, with its source, or abstain."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_answer_policy"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Call the knowledge service once and utter its answer in the question's language."""
        return await answer_question(dispatcher, tracker.latest_message.get("text") or "")
