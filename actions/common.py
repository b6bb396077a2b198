"""What every kefu action shares: the shopper's language and identity, and a safe boundary.

``KefuAction.run`` catches any exception from ``act``: the shopper gets a polite reply in
their language (try again in a moment when the knowledge engine is busy; an apology that
offers a human otherwise), the cause goes to the log, and the conversation goes on.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.service import connected
from actions.texts import busy_text, failure_text, not_connected_text
from common.identity import shopper_for_sender
from common.lang import detect_language
from knowledge.errors import KnowledgeError, NotConnectedError, OverloadedError
from knowledge.types import Language

log = logging.getLogger(__name__)


def lang_of(tracker: Tracker) -> Language:
    """The language to answer in: the latest message's, else the ``language`` slot's."""
    text = tracker.latest_message.get("text") or ""
    if text.strip() and not text.startswith("/"):
        return detect_language(text)
    return "zh" if tracker.get_slot("language") == "zh" else "en"


def shopper_of(tracker: Tracker) -> str | None:
    """The verified shopper of this conversation (None: a guest).

    The channels derive the sender id from the shopper's signed token (``common/identity.py``),
    and the action server answers only Rasa (``actions/auth.py``), so the id can be trusted.
    """
    return shopper_for_sender(tracker.sender_id)


class KefuAction(Action, ABC):
    """A custom action whose failures never leave the shopper without an answer.

    ``needs``: the parts of the store it works on (``actions.service.connected``); a store
    that has not connected one gets :meth:`not_connected` instead of :meth:`act`.
    """

    needs: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The action's work."""

    async def not_connected(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """What a store without one of ``needs`` gets: it says so and offers a person."""
        dispatcher.utter_message(text=not_connected_text(lang_of(tracker)))
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Run ``act``; on any exception, answer politely in the shopper's language and log.

        A busy knowledge engine (:class:`OverloadedError`) asks the shopper to try again in a
        moment (a warning); a part the store has not connected (:class:`NotConnectedError`:
        a store that brought only its documents has no catalog or orders) says so; a known
        failure (:class:`KnowledgeError`: no index, the order store
        down...) is an error; anything else is a bug, logged as critical.
        """
        try:
            if not all(connected(part) for part in self.needs):
                return await self.not_connected(dispatcher, tracker, domain)
            return await self.act(dispatcher, tracker, domain)
        except OverloadedError:
            log.warning("%s: the knowledge engine is busy; %s was asked to try again",
                        self.name(), tracker.sender_id)  # fmt: skip
            dispatcher.utter_message(text=busy_text(lang_of(tracker)))
            return []
        except NotConnectedError as exc:  # a part it needs but did not declare
            log.info("%s: %s", self.name(), exc)
            dispatcher.utter_message(text=not_connected_text(lang_of(tracker)))
            return []
        except Exception as exc:  # the action boundary
            level = logging.ERROR if isinstance(exc, KnowledgeError) else logging.CRITICAL
            log.log(level, "%s failed (sender %s)", self.name(), tracker.sender_id, exc_info=True)
            dispatcher.utter_message(text=failure_text(lang_of(tracker)))
            return []
