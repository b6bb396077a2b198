"""Rasa's REST channel with kefu's checks (``guard.py``, ``identity.py``, ``watch.py``).

A malformed request gets a clear 400; every message gets an answer. The sender id is derived
from the shopper's signed token (``"token"`` in the body, or ``Authorization: Bearer``): without
a valid one the conversation is a guest's, whatever ``"sender"`` claims.

``credentials.yml`` names it ``channels.rest.KefuRestInput``; the URL stays
``/webhooks/rest/webhook``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.admission import admission
from channels.guard import Guard, valid_sender
from channels.identity import bearer, verifier
from channels.replay import deduplicated, valid_message_id
from channels.tuning import install as tune_rasa
from channels.watch import guarded
from common.config import value


class JsonCheckedBlueprint(Blueprint):
    """A blueprint that, once registered, checks JSON bodies for the whole Rasa server."""

    __slots__ = ()

    def register(self, app: Any, options: Any) -> None:
        """Add :func:`reject_bad_json` to the app, then register as usual."""
        app.register_middleware(reject_bad_json, "request")
        super().register(app, options)


class KefuRestInput(RestInput):
    """``POST {"sender": "...", "message": "..."}`` -> the replies, as Rasa's REST channel.

    An optional ``"message_id"`` makes sending again safe: a message already stored is
    answered with its stored replies, not processed twice (``replay.py``; the scaled mode's
    clients retry this way when a replica dies).
    """

    guard: Guard | None = None

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's URL: /webhooks/rest/webhook."""
        return "rest"

    @staticmethod
    def _body(req: Request) -> dict:
        body = req.json  # invalid JSON or UTF-8: Sanic answers 400
        if not isinstance(body, dict):
            raise InvalidUsage('expected a JSON object: {"sender": "...", "message": "..."}')
        return body

    async def _extract_sender(self, req: Request) -> str | None:
        body = self._body(req)
        client_id = body.get("sender")
        if not valid_sender(client_id):
            raise InvalidUsage("sender must be 1-128 characters: letters, digits, _ : . @ -")
        token = body.get("token") or bearer(req.headers.get("Authorization"))
        if token is not None and not isinstance(token, str):
            raise InvalidUsage("token must be a string (the shopper's signed token)")
        sender, identity = verifier().identify(client_id, token)
        req.ctx.kefu_identity = identity
        return sender

    def _extract_message(self, req: Request) -> str | None:
        message = self._body(req).get("message")
        if message is None:
            return ""  # answered by the guard: "please type your question"
        if not isinstance(message, str):
            raise InvalidUsage("message must be a string")
        return message

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Who the shopper is (for agents), and the body's ``message_id`` if it has one."""
        identity = getattr(request.ctx, "kefu_identity", None)
        metadata: dict[str, Any] = {"identity": identity.as_metadata()} if identity else {}
        message_id = self._body(request).get("message_id")
        if message_id is None:
            return metadata or None
        if not valid_message_id(message_id):
            raise InvalidUsage("message_id must be 1-128 characters: letters, digits, _ : . @ -")
        return metadata | {"message_id": message_id}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST blueprint around the guarded handler.

        Registering it also adds :func:`reject_bad_json` to the whole Rasa server, so that
        its HTTP API answers a malformed body with 400 too (Rasa's own answer is a 500).
        """
        tune_rasa()
        self.guard = self.guard or Guard.from_env()
        verifier()  # a bad KEFU_IDENTITY_SECRET stops start-up here, with a sentence
        handler = deduplicated(
            guarded(on_new_message, self.guard, self.reply_seconds(), admission())
        )
        bp = super().blueprint(handler)
        bp.__class__ = JsonCheckedBlueprint  # same slots; only register() differs
        return bp

    @staticmethod
    def reply_seconds() -> float:
        """REST answers once: after ``KEFU_REST_REPLY_SECONDS`` it says "still working"."""
        return float(value("KEFU_REST_REPLY_SECONDS"))


async def reject_bad_json(request: Request) -> HTTPResponse | None:
    """400 for a POST whose body should be JSON (JSON or no content type) and is not."""
    ctype = (request.content_type or "").lower()
    if request.method != "POST" or not request.body or ("json" not in ctype and ctype):
        return None
    try:
        json.loads(request.body)
    except ValueError:  # bad JSON, or not UTF-8
        return response.json({"error": "the request body is not valid JSON"}, status=400)
    return None
