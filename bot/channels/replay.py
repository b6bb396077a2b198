"""A message sent again with the same ``message_id`` is answered from the tracker, not re-run.

Clients of the REST channel may send ``{"sender": ..., "message": ..., "message_id": ...}``.
When a replica dies mid-turn, the balancer or the client sends the message again, perhaps to
another replica: if the first attempt's turn was stored (the replica died after saving it, before
answering), the replies stored after that message are sent back and nothing is processed twice;
otherwise the message is processed as new. Either way the conversation holds it once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

from channels.watch import stored_tracker

logger = logging.getLogger(__name__)
Handler = Callable[[UserMessage], Awaitable[Any]]
MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")
REPLAYED_KEYS = ("buttons", "elements", "custom", "quick_replies", "image", "attachment")


def valid_message_id(value: object) -> bool:
    """1-128 characters: letters, digits, ``_ . : @ -``."""
    return isinstance(value, str) and MESSAGE_ID.fullmatch(value) is not None


def stored_replies(events: list[Any], message_id: str) -> list[dict[str, Any]] | None:
    """The bot's messages after the user message ``message_id``; None if it is not stored."""
    replies: list[dict[str, Any]] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the next user message: the turn is over
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            data = event.data or {}
            message = {"text": event.text} if event.text else {}
            message.update({k: data[k] for k in REPLAYED_KEYS if data.get(k)})
            replies.append(message)
    return replies


def deduplicated(on_new_message: Handler) -> Handler:
    """``on_new_message`` that answers a message it has already stored from the tracker."""

    async def handle(message: UserMessage) -> None:
        message_id = (message.metadata or {}).get("message_id")
        if not valid_message_id(message_id):
            await on_new_message(message)
            return
        message.message_id = message_id
        try:
            tracker = await stored_tracker(message.sender_id or "")
            replies = stored_replies(list(tracker.events) if tracker else [], message_id)
        except Exception:  # the store is down: processing it is better than losing it
            logger.warning(
                "could not look for message %s in the tracker", message_id, exc_info=True
            )
            replies = None
        if replies is None:
            await on_new_message(message)
            return
        logger.info(
            "message %s of %s was already handled: replaying", message_id, message.sender_id
        )
        for reply in replies:
            await message.output_channel.send_response(message.sender_id or "", reply)

    return handle
