"""Stand-ins for the few rasa 3.6 names ``bot/channels`` imports, for the app environment's tests.

Rasa runs in its own Python 3.10 environment, which has no pytest; the channels' own logic is
tested in the app environment against these classes instead. Each copies what the channels rely
on from rasa 3.6.21 (what a ``UserMessage`` holds, how an output channel sends and collects,
what a tracker event carries, the attributes of the REST and socket.io input channels);
``test_rasa_contract.py`` checks them against the real rasa in the dialogue environment.
Standard library only (that check imports this module under rasa's Python).
"""

from __future__ import annotations

import json
import sys
import types
import uuid
from typing import Any

DEFAULT_SENDER_ID = "default"


class OutputChannel:
    """rasa.core.channels.channel.OutputChannel: ``send_response`` dispatches on the keys."""

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if message.get("quick_replies"):
            await self.send_quick_replies(
                recipient_id, message.pop("text"), message.pop("quick_replies"), **message
            )
        elif message.get("buttons"):
            await self.send_text_with_buttons(
                recipient_id, message.pop("text"), message.pop("buttons"), **message
            )
        elif message.get("text"):
            await self.send_text_message(recipient_id, message.pop("text"), **message)
        if message.get("custom"):
            await self.send_custom_json(recipient_id, message.pop("custom"), **message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        raise NotImplementedError

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, text)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, json.dumps(json_message))


class CollectingOutputChannel(OutputChannel):
    """rasa's collecting output (the REST channel's): texts split on blank lines."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return "collector"

    @staticmethod
    def _message(
        recipient_id: str,
        text: str | None = None,
        image: str | None = None,
        buttons: list[dict[str, Any]] | None = None,
        attachment: str | None = None,
        custom: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        obj = {"recipient_id": recipient_id, "text": text, "image": image, "buttons": buttons,
               "attachment": attachment, "custom": custom}  # fmt: skip
        return {k: v for k, v in obj.items() if v is not None}

    async def _persist_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for message_part in text.strip().split("\n\n"):
            await self._persist_message(self._message(recipient_id, text=message_part))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._persist_message(self._message(recipient_id, text=text, buttons=buttons))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._persist_message(self._message(recipient_id, custom=json_message))


class UserMessage:
    """rasa's incoming message: stripped text, an id, a collecting output by default."""

    def __init__(
        self,
        text: str | None = None,
        output_channel: OutputChannel | None = None,
        sender_id: str | None = None,
        parse_data: dict[str, Any] | None = None,
        input_channel: str | None = None,
        message_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.text = text.strip() if text else text
        self.message_id = str(message_id) if message_id is not None else uuid.uuid4().hex
        self.output_channel = output_channel or CollectingOutputChannel()
        self.sender_id = str(sender_id) if sender_id is not None else DEFAULT_SENDER_ID
        self.input_channel = input_channel
        self.parse_data = parse_data
        self.metadata = metadata


class UserUttered:
    """rasa.shared.core.events.UserUttered: what the replay reads of it."""

    def __init__(
        self,
        text: str | None = None,
        intent: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        parse_data: dict[str, Any] | None = None,
        timestamp: float | None = None,
        input_channel: str | None = None,
        message_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        use_text_for_featurization: bool | None = None,
    ) -> None:
        self.text = text
        self.message_id = message_id
        self.metadata = metadata or {}
        self.timestamp = timestamp


class BotUttered:
    """rasa.shared.core.events.BotUttered: text, data (buttons, custom...), metadata."""

    def __init__(
        self,
        text: str | None = None,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        timestamp: float | None = None,
    ) -> None:
        self.text = text
        self.data = data or {}
        self.metadata = metadata or {}
        self.timestamp = timestamp


class InputChannel:
    """rasa.core.channels.channel.InputChannel."""

    @classmethod
    def name(cls) -> str:
        return cls.__name__


class RestInput(InputChannel):
    """rasa's REST input; ``blueprint`` keeps the handler it was given (``self.handler``)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Any) -> str | None:
        return req.json.get("sender", None)

    def _extract_message(self, req: Any) -> str | None:
        return req.json.get("message", None)

    def get_metadata(self, request: Any) -> dict[str, Any] | None:
        return request.json.get("metadata", None)

    def blueprint(self, on_new_message: Any) -> Any:
        from sanic import Blueprint

        self.handler = on_new_message
        return Blueprint(f"custom_webhook_{type(self).__name__}", type(self).__module__)


class AsyncServer:
    """What the channels use of python-socketio 5.9's AsyncServer, recording what they do."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[str, str | None], Any] = {}
        self.emitted: list[tuple[str, Any, str | None]] = []
        self.rooms: list[tuple[str, str, str | None]] = []
        self.eio = types.SimpleNamespace(cors_allowed_origins=[])

    def on(self, event: str, handler: Any = None, namespace: str | None = None) -> Any:
        self.handlers[(event, namespace)] = handler
        return handler

    async def emit(self, event: str, data: Any = None, room: str | None = None, **kw: Any) -> None:
        self.emitted.append((event, data, room))

    def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.rooms.append((sid, room, namespace))


class SocketIOOutput(OutputChannel):
    """rasa's socket.io output: ``_send_message`` emits the bot event to the room."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt

    async def _send_message(self, socket_id: str, response: Any) -> None:
        await self.sio.emit(self.bot_message_evt, response, room=socket_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for message_part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": message_part})


class SocketIOInput(InputChannel):
    """rasa's socket.io input: its settings, and a blueprint that makes ``self.sio``."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: str | None = None,
        session_persistence: bool = False,
        socketio_path: str | None = "/socket.io",
        jwt_key: str | None = None,
        jwt_method: str | None = "HS256",
        metadata_key: str | None = "metadata",
    ) -> None:
        self.bot_message_evt = bot_message_evt
        self.session_persistence = session_persistence
        self.user_message_evt = user_message_evt
        self.namespace = namespace
        self.socketio_path = socketio_path
        self.sio: AsyncServer | None = None
        self.metadata_key = metadata_key
        self.jwt_key = jwt_key
        self.jwt_algorithm = jwt_method

    def blueprint(self, on_new_message: Any) -> Any:
        from sanic import Blueprint

        self.sio = AsyncServer()
        return Blueprint("socketio_webhook", type(self).__module__)


MODULES = {
    "rasa.core.channels.channel": {
        "OutputChannel": OutputChannel, "CollectingOutputChannel": CollectingOutputChannel,
        "UserMessage": UserMessage, "InputChannel": InputChannel,
    },
    "rasa.core.channels.rest": {"RestInput": RestInput},
    "rasa.core.channels.socketio": {"SocketIOInput": SocketIOInput,
                                    "SocketIOOutput": SocketIOOutput},
    "rasa.shared.core.events": {"UserUttered": UserUttered, "BotUttered": BotUttered},
}  # fmt: skip


def install() -> None:
    """Make ``import rasa...`` of the names above find these classes (rasa must be absent)."""
    for dotted, names in MODULES.items():
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name not in sys.modules:
                module = types.ModuleType(name, "stand-in (tests/bot/channels/rasa_standins.py)")
                module.__path__ = []  # a package, so that submodules resolve
                sys.modules[name] = module
                if i > 1:
                    setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], module)
        vars(sys.modules[dotted]).update(names)
