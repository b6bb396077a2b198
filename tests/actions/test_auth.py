import asyncio
import json
from types import SimpleNamespace

import pytest

from actions.auth import ActionTokenError, check_token, token_middleware

TOKEN = "action-token-for-tests"


def call(path: str, args: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    request = SimpleNamespace(
        path=path, method="POST", ip="127.0.0.1", args=args or {}, headers=headers or {}
    )
    return asyncio.run(token_middleware(TOKEN)(request))  # type: ignore[arg-type]


def test_rasas_calls_with_the_token_go_through() -> None:
    assert call("/webhook", args={"token": TOKEN}) is None
    assert call("/webhook", headers={"Authorization": f"Bearer {TOKEN}"}) is None
    assert call("/health") is None, "health checks need no token"


@pytest.mark.parametrize(
    ("args", "headers"),
    [
        ({}, {}),
        ({"token": "wrong"}, {}),
        ({"token": TOKEN[:-1]}, {}),
        ({}, {"Authorization": f"Basic {TOKEN}"}),
        ({}, {"Authorization": "Bearer "}),
    ],
)
def test_a_forged_call_is_refused_with_401(args: dict, headers: dict) -> None:
    for path in ("/webhook", "/actions"):
        refused = call(path, args=args, headers=headers)
        assert refused is not None and refused.status == 401
        assert "only kefu's Rasa" in json.loads(refused.body)["error"]


def test_the_server_needs_a_token_of_some_length() -> None:
    with pytest.raises(ActionTokenError, match="KEFU_ACTION_TOKEN"):
        check_token("")
    with pytest.raises(ActionTokenError):
        check_token("short")
    assert check_token(TOKEN) == TOKEN
