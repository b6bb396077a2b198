"""Answer store-policy questions from the knowledge engine.

Each question goes through the engine's micro-batched path (``answer_async``): concurrent
conversations share its model calls, and one shopper's failing question fails only theirs.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.service import get_service
from actions.texts import answer_text, busy_text, failure_text
from common.lang import detect_language
from knowledge.errors import KnowledgeError, OverloadedError

log = logging.getLogger(__name__)


async def answer_question(dispatcher: CollectingDispatcher, question: str) -> list[EventType]:
    """Answer ``question`` from the knowledge engine (or abstain); set language and abstention."""
    lang = detect_language(question)
    try:
        answer = await get_service().answer_async(question)
    except OverloadedError:
        log.warning("knowledge service busy: asked %r to try again", question[:200])
        dispatcher.utter_message(text=busy_text(lang))
        return [SlotSet("language", lang)]
    except Exception as exc:  # the action boundary: the shopper always gets a reply
        level = logging.ERROR if isinstance(exc, KnowledgeError) else logging.CRITICAL
        log.log(level, "knowledge service failed for %r", question[:200], exc_info=True)
        dispatcher.utter_message(text=failure_text(lang))
        return [SlotSet("language", lang)]
    dispatcher.utter_message(text=answer_text(answer), evidence=answer.evidence())
    return [SlotSet("language", lang), SlotSet("kefu_abstained", answer.abstained)]


class ActionAnswerPolicy(Action):
    """Quote the passage that answers the question, with its source, or abstain."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Call the knowledge service once and utter its answer in the question's language."""
        return await answer_question(dispatcher, tracker.latest_message.get("text") or "")
