from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def tracker_with(text: str, sender: str = "shopper-1") -> Tracker:
    """A tracker whose latest message is ``text``."""
    latest: dict[str, Any] = {"text": text, "intent": {"name": "ask_policy"}, "entities": []}
    return Tracker(
        sender_id=sender,
        slots={},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
