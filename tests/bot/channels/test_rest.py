"""bot/channels/rest.py: the REST channel's checks, identity, metadata and handler."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import channels.replay
import pytest
from channels.guard import Guard, reply
from channels.rest import JsonCheckedBlueprint, KefuRestInput, reject_bad_json
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic
from sanic.compat import Header
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from common.identity import sign

APP = Sanic("kefu_rest_channel_test")


def request(
    body: Any = None, raw: bytes | None = None, headers: dict[str, str] | None = None,
    method: str = "POST", ctype: str | None = "application/json",
) -> Request:  # fmt: skip
    head = dict(headers or {})
    if ctype:
        head["content-type"] = ctype
    req = Request(b"/webhooks/rest/webhook", Header(head), "1.1", method, None, APP)
    req.body = raw if raw is not None else json.dumps(body).encode()
    return req


def sender(body: Any, **kw: Any) -> tuple[str | None, Any]:
    req = request(body, **kw)
    found = asyncio.run(KefuRestInput()._extract_sender(req))
    return found, getattr(req.ctx, "kefu_identity", None)


def test_without_a_valid_token_the_conversation_is_a_guests(identity_secret: str) -> None:
    found, identity = sender({"sender": "u1001:abc", "message": "hi"})
    assert found == "u1001-abc" and not identity.verified and identity.reason == "no token"
    found, identity = sender({"sender": "u1001:abc", "token": sign("u1001", "another " * 6)})
    assert found == "u1001-abc" and not identity.verified


def test_a_valid_token_names_the_shopper_in_the_body_or_the_header(identity_secret: str) -> None:
    token = sign("u1001", identity_secret)
    found, identity = sender({"sender": "u1002:abc", "token": token})
    assert found == "u1001:abc" and identity.shopper == "u1001"
    found, identity = sender({"sender": "abc"}, headers={"Authorization": f"Bearer {token}"})
    assert found == "u1001:abc" and identity.verified


@pytest.mark.parametrize(
    "body",
    [{"sender": "a b"}, {"sender": ""}, {"sender": "x" * 129}, {"sender": 7}, {}, ["u1001"]],
)
def test_a_bad_sender_or_body_is_a_clear_400(identity_secret: str, body: Any) -> None:
    with pytest.raises(InvalidUsage):
        sender(body)


def test_a_token_that_is_not_a_string_is_a_clear_400(identity_secret: str) -> None:
    with pytest.raises(InvalidUsage, match="token must be a string"):
        sender({"sender": "abc", "token": 42})


def test_the_message_a_missing_one_is_empty_a_wrong_one_is_refused() -> None:
    channel = KefuRestInput()
    assert channel._extract_message(request({"sender": "a", "message": "退货"})) == "退货"
    assert channel._extract_message(request({"sender": "a"})) == ""
    with pytest.raises(InvalidUsage, match="message must be a string"):
        channel._extract_message(request({"sender": "a", "message": ["退货"]}))


def test_metadata_names_the_identity_and_a_valid_message_id(identity_secret: str) -> None:
    channel = KefuRestInput()
    req = request({"sender": "abc", "message_id": "m-1"})
    asyncio.run(channel._extract_sender(req))
    assert channel.get_metadata(req) == {
        "identity": {"verified": False, "shopper": None, "reason": "no token"},
        "message_id": "m-1",
    }
    assert channel.get_metadata(request({"sender": "abc"})) is None
    with pytest.raises(InvalidUsage, match="message_id"):
        channel.get_metadata(request({"sender": "abc", "message_id": "a b"}))


def test_the_client_cannot_set_its_identity_in_metadata(identity_secret: str) -> None:
    channel = KefuRestInput()
    forged = {"verified": True, "shopper": "u1001", "reason": "verified"}
    req = request({"sender": "u1001:abc", "metadata": {"identity": forged}})
    asyncio.run(channel._extract_sender(req))
    assert channel.get_metadata(req) == {
        "identity": {"verified": False, "shopper": None, "reason": "no token"}
    }


@pytest.mark.parametrize(
    ("raw", "ctype", "method", "refused"),
    [
        (b"{not json", "application/json", "POST", True),
        (b"\xff\xfe", "application/json", "POST", True),
        (b'{"sender": "a"}', "application/json", "POST", False),
        (b"{not json", "text/plain", "POST", False),
        (b"{not json", "application/json", "GET", False),
        (b"", "application/json", "POST", False),
    ],
)
def test_only_a_post_whose_body_should_be_json_and_is_not_is_refused(
    raw: bytes, ctype: str | None, method: str, refused: bool
) -> None:
    answer = asyncio.run(reject_bad_json(request(raw=raw, ctype=ctype, method=method)))
    if refused:
        assert answer is not None and answer.status == 400
        assert json.loads(answer.body) == {"error": "the request body is not valid JSON"}
    else:
        assert answer is None


def test_the_blueprint_guards_replays_and_checks_json_for_the_whole_server(
    identity_secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    processed: list[str] = []

    async def on_new_message(message: UserMessage) -> None:
        processed.append(message.text or "")
        await message.output_channel.send_response(message.sender_id, {"text": "答案"})

    class Stored:  # the conversation holds message m1 and its reply
        def __init__(self) -> None:
            self.events = [UserUttered("退货", message_id="m1"), BotUttered("早先的答案")]

    async def stored_tracker(sender: str) -> Any:
        return Stored()

    monkeypatch.setattr(channels.replay, "stored_tracker", stored_tracker)
    channel = KefuRestInput()
    channel.guard = Guard(max_chars=10)
    bp = channel.blueprint(on_new_message)
    assert isinstance(bp, JsonCheckedBlueprint)
    handler = channel.handler  # what the blueprint's webhook calls for each message

    def send(text: str, metadata: dict[str, Any] | None = None) -> list[str]:
        output = CollectingOutputChannel()
        asyncio.run(handler(UserMessage(text, output, "abc", metadata=metadata)))
        return [m["text"] for m in output.messages]

    assert send("退" * 11) == [reply("too_long", "退", limit=10)] and processed == []
    assert send("退货", {"message_id": "m2"}) == ["答案"] and processed == ["退货"]
    assert send("退货", {"message_id": "m1"}) == ["早先的答案"] and processed == ["退货"]

    registered: list[tuple[Any, str]] = []

    class App:
        def register_middleware(self, middleware: Any, attach_to: str) -> None:
            registered.append((middleware, attach_to))

    monkeypatch.setattr("sanic.Blueprint.register", lambda self, app, options: None)
    bp.register(App(), {})
    assert registered == [(reject_bad_json, "request")]


def test_rest_answers_after_its_own_reply_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_REST_REPLY_SECONDS", "12.5")
    assert KefuRestInput.reply_seconds() == 12.5
