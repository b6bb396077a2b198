"""The action server answers only Rasa: every call but ``/health`` carries the action token.

Rasa sends it as an ``Authorization: Bearer`` header when its endpoints file says
``action_endpoint: {url: ..., headers: {Authorization: Bearer ${KEFU_ACTION_TOKEN}}}`` (what
``make run`` writes: no URL, so no access log, carries it), or as ``?token=...`` with Rasa's
``token:`` option; either is accepted. Anything else that reaches the port (a forged tracker
claiming any sender) gets 401 and a log line, never an action run.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.identity import bearer

log = logging.getLogger("kefu.actions")
OPEN_PATHS = frozenset({"/health"})
MIN_TOKEN_CHARS = 16


class ActionTokenError(ValueError):
    """``KEFU_ACTION_TOKEN`` is missing or too short to guard the action server."""


def check_token(token: str) -> str:
    """``token`` if it can guard the server; else :class:`ActionTokenError` saying what to set."""
    if len(token) < MIN_TOKEN_CHARS:
        raise ActionTokenError(
            f"KEFU_ACTION_TOKEN must be set (at least {MIN_TOKEN_CHARS} characters) and given to "
            "Rasa as `action_endpoint: {url: ..., headers: {Authorization: Bearer "
            "${KEFU_ACTION_TOKEN}}}`; `make run` makes one"
        )
    return token


def presented(request: Request) -> str:
    """The token a request carries (query ``token``, else ``Authorization: Bearer``)."""
    token = request.args.get("token")
    return str(token) if token else bearer(request.headers.get("Authorization")) or ""


Middleware = Callable[[Request], Coroutine[Any, Any, HTTPResponse | None]]


def token_middleware(token: str) -> Middleware:
    """A Sanic request middleware refusing calls without ``token`` (401)."""
    expected = check_token(token).encode()

    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if hmac.compare_digest(presented(request).encode(), expected):
            return None
        log.warning(
            "refused %s %s from %s: no valid action token", request.method, request.path,
            request.ip,
        )  # fmt: skip
        return response.json({"error": "this action server answers only kefu's Rasa"}, 401)

    return require_token


def protect(app: Sanic, token: str) -> Sanic:
    """``app`` with :func:`token_middleware` in front of every route."""
    app.register_middleware(token_middleware(token), "request")
    return app
