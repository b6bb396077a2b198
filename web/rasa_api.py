"""What the web server asks of Rasa's HTTP API: events appended to a conversation.

Agents take a conversation over (Rasa's ``pause`` event: the bot stops answering, the
shopper's messages are still recorded), reply through the shopper's channel (a ``bot`` event
with ``execute_side_effects``, so Rasa sends it to the widget), and hand it back (``resume``).
The shopper's thumbs up / down is a slot event (``answer_rating``, which does not influence
the dialogue). Needs ``rasa run --enable-api --auth-token`` (``make run`` does that).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class RasaUnavailable(RuntimeError):
    """Rasa did not accept the events (down, wrong token, bad conversation id)."""


class RasaAPI:
    """A small client for ``POST /conversations/<id>/tracker/events``."""

    def __init__(self, url: str, token: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def append(self, sender: str, events: list[dict[str, Any]], send: bool = False) -> None:
        """Append ``events`` to ``sender``'s conversation; ``send`` delivers bot messages."""
        query = {"token": self.token, "include_events": "NONE"}
        if send:
            query |= {"execute_side_effects": "true", "output_channel": "latest"}
        # Rasa (Sanic) does not decode the conversation id in the path: "%3A" would name
        # another conversation. Senders are checked to be URL-safe (letters, digits, _:.-).
        sender_q = urllib.parse.quote(sender, safe=":")
        url = f"{self.url}/conversations/{sender_q}/tracker/events?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(
            url, data=json.dumps(events).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise RasaUnavailable(f"Rasa refused or did not answer: {exc}") from exc

    def take_over(self, sender: str) -> None:
        """Pause the bot for this conversation and mark it handed off."""
        self.append(sender, [{"event": "pause"}, _slot("handoff", True)])

    def reply(self, sender: str, agent: str, text: str) -> None:
        """Send an agent's message to the shopper (recorded as a bot message by ``agent``)."""
        self.append(sender, [{"event": "bot", "text": text, "metadata": {"agent": agent}}], True)

    def hand_back(self, sender: str) -> None:
        """Resume the bot: the shopper's next message starts a normal turn."""
        listen = {"event": "action", "name": "action_listen"}  # the next message starts a turn
        self.append(sender, [{"event": "resume"}, _slot("handoff", False), listen])

    def rate(self, sender: str, answer_ts: float, rating: str) -> None:
        """Record the shopper's rating of the answer sent at ``answer_ts``."""
        self.append(sender, [_slot("answer_rating", {"answer_ts": answer_ts, "rating": rating})])


def _slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}
