"""The widget's socket.io channel: Rasa's, sending each bot message whole.

Rasa's own ``SocketIOOutput`` splits texts on blank lines and drops what an action attaches
to a message (the answer's evidence, product cards, who wrote it), so the widget could show
neither the source nor cards. This output emits each bot message once, as one JSON object:
``text``, ``buttons``, ``products``, ``evidence``, ``agent`` and the event ``timestamp`` (the
widget's key against duplicates when it reloads the history after a reconnect).

Who the shopper is comes from the signed token the widget sends with ``session_request`` and
each ``user_uttered`` (``{"session_id": ..., "token": ...}``; ``identity.py``): the socket joins
the room of the sender id derived from it, and ``session_confirm`` tells the widget that id. A
conversation key that claims a shopper without that shopper's valid token is a guest's, so a
socket can neither act as another shopper nor join another shopper's room to listen in.

``credentials.yml`` names it ``channels.socketio.KefuSocketIOInput``; everything else is
Rasa's channel.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.admission import admission
from channels.guard import Guard, reply, valid_sender
from channels.identity import Identity, verifier
from channels.tuning import install as tune_rasa
from channels.watch import guarded
from common.config import value

logger = logging.getLogger(__name__)
BAD_MESSAGE = reply("bad_message")  # both languages: there is no text to tell which
BAD_SESSION = reply("bad_session")

# What the widget may receive: the keys of a bot message it knows how to render.
FORWARDED = ("text", "buttons", "quick_replies", "products", "evidence", "agent", "timestamp")


def widget_message(message: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Rasa bot message the widget renders, JSON-safe, without empty keys."""
    out = {key: message[key] for key in FORWARDED if message.get(key) not in (None, [], "")}
    if "quick_replies" in out and "buttons" not in out:
        out["buttons"] = out.pop("quick_replies")
    out.pop("quick_replies", None)
    return json.loads(json.dumps(out, default=str))


class KefuSocketIOOutput(SocketIOOutput):
    """Emit each bot message once, whole (see the module docstring)."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send one message to the room of ``recipient_id`` (the conversation)."""
        await self._send_message(recipient_id, widget_message(message))


class KefuSocketIOInput(SocketIOInput):
    """Rasa's socket.io input channel, answering through :class:`KefuSocketIOOutput`."""

    def get_output_channel(self) -> OutputChannel | None:
        """The output for messages sent from outside a turn (an agent's reply via the API)."""
        if self.sio is None:
            return None
        return KefuSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with the message handler replaced to answer through our output."""
        tune_rasa()
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        handle_turn = guarded(on_new_message, Guard.from_env(), line=admission())
        identities = verifier()  # a bad KEFU_IDENTITY_SECRET stops start-up here
        origins = list(value("KEFU_CORS"))
        if origins:  # browsers on other sites may not open a socket (Rasa's default: any)
            sio.eio.cors_allowed_origins = origins

        async def join(sid: str, client_id: Any, token: Any) -> tuple[str, Identity] | None:
            """The conversation a socket's key and token name, its room joined (None: bad key)."""
            if not valid_sender(client_id):
                await sio.emit(self.bot_message_evt, {"text": BAD_SESSION}, room=sid)
                return None
            sender_id, identity = identities.identify(client_id, token)
            if self.session_persistence:
                sio.enter_room(sid, sender_id, namespace=self.namespace)
            return sender_id, identity

        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            joined = await join(sid, data.get("session_id") or uuid.uuid4().hex, data.get("token"))
            if joined is not None:
                await sio.emit("session_confirm", joined[0], room=sid)

        async def handle_message(sid: str, data: dict) -> None:
            if not isinstance(data, dict):
                await sio.emit(self.bot_message_evt, {"text": BAD_MESSAGE}, room=sid)
                return
            client_id = data.get("session_id") if self.session_persistence else sid
            # After a reconnect, socket.io sends the buffered message before the new socket's
            # session_request: join the conversation's room here too, or the reply goes to a
            # room without this socket and is lost.
            joined = await join(sid, client_id, data.get("token"))
            if joined is None:
                return
            sender_id, identity = joined
            text = data.get("message", "")
            if not isinstance(text, str):
                text = str(text)
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            metadata = dict(metadata) if isinstance(metadata, dict) else {}
            metadata.pop("token", None)  # never stored
            metadata["identity"] = identity.as_metadata()  # the client cannot set it
            output = KefuSocketIOOutput(sio, self.bot_message_evt)
            await handle_turn(
                UserMessage(
                    text,
                    output,
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return bp
