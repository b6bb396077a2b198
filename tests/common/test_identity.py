import base64
import json
import logging
import time

import jwt
import pytest

from common.identity import (
    Identity,
    IdentityConfigError,
    Verifier,
    bearer,
    conversation_id,
    shopper_for_sender,
    sign,
    verify,
)

SECRET = "s" * 40
OTHER = "o" * 40


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_the_store_signed_names_its_shopper() -> None:
    assert verify(sign("u1001", SECRET), SECRET) == Identity("u1001", "verified")


def test_a_token_made_by_pyjwt_as_a_store_would_is_accepted() -> None:
    now = int(time.time())
    token = jwt.encode({"sub": "u1001", "iat": now, "exp": now + 600}, SECRET, "HS256")
    assert verify(token, SECRET).shopper == "u1001"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: None, "no token"),
        (lambda: "", "no token"),
        (lambda: 42, "malformed token"),
        (lambda: "not-a-jwt", "malformed token"),
        (lambda: "a.b.c", "malformed token"),
        (lambda: deep_header() + ".e30.c2ln", "malformed token"),
        (lambda: sign("u1001", SECRET, ttl_seconds=-120), "expired token"),
        (lambda: sign("u1001", OTHER), "bad signature"),
        (lambda: tampered(sign("u1001", SECRET), "u1002"), "bad signature"),
        (
            lambda: b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims("u1001")) + ".",
            "wrong algorithm 'none'",
        ),
        (lambda: jwt.encode(claims("u1001"), SECRET, "HS512"), "wrong algorithm 'HS512'"),
        (
            lambda: jwt.encode({"sub": "u1001", "iat": int(time.time())}, SECRET, "HS256"),
            "token without 'exp'",
        ),
        (
            lambda: jwt.encode({"iat": 1, "exp": int(time.time()) + 60}, SECRET, "HS256"),
            "token without 'sub'",
        ),
        (
            lambda: jwt.encode({"sub": "u1001", "exp": int(time.time()) + 60}, SECRET, "HS256"),
            "token without 'iat'",
        ),
        (
            lambda: jwt.encode(claims("u1001", iat_offset=3600), SECRET, "HS256"),
            "token issued in the future",
        ),
        (lambda: jwt.encode(claims("u1001:u1002"), SECRET, "HS256"), "not a shopper id"),
        (lambda: jwt.encode(claims("../etc"), SECRET, "HS256"), "not a shopper id"),
    ],
)
def test_every_bad_token_is_a_guest_with_the_reason(make: object, reason: str) -> None:
    found = verify(make(), SECRET)  # type: ignore[operator]
    assert found.shopper is None and not found.verified
    assert reason in found.reason


def deep_header() -> str:
    """A header nested deeper than the JSON decoder goes (RecursionError, not a 500)."""
    return base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).rstrip(b"=").decode()


def claims(sub: str, iat_offset: int = 0) -> dict:
    now = int(time.time()) + iat_offset
    return {"sub": sub, "iat": now, "exp": now + 7200}


def tampered(token: str, shopper: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["sub"] = shopper
    return f"{header}.{b64(data)}.{signature}"


def test_only_a_bearer_authorization_carries_a_token() -> None:
    assert bearer("Bearer abc") == "abc" and bearer("bearer  abc ") == "abc"
    assert bearer("Basic abc") is None and bearer("Bearer ") is None
    assert bearer(None) is None and bearer("") is None


def test_without_a_secret_nobody_is_verified() -> None:
    assert verify(sign("u1001", SECRET), "").reason == "kefu has no KEFU_IDENTITY_SECRET"


def test_the_sender_id_comes_from_the_token_never_from_the_claim() -> None:
    u1001 = Identity("u1001", "verified")
    guest = Identity(None, "no token")
    assert conversation_id("u1001:abc", u1001) == "u1001:abc"
    assert conversation_id("abc", u1001) == "u1001:abc"
    assert conversation_id("u1002:abc", u1001) == "u1001:abc", "a token for u1001 is u1001"
    assert conversation_id("u1002:abc", guest) == "u1002-abc", "a claim without a token"
    assert conversation_id("u1002", guest) == "u1002"
    assert shopper_for_sender(conversation_id("u1002:abc", guest)) is None
    assert shopper_for_sender(conversation_id("u1002", guest)) is None
    assert shopper_for_sender("u1001:abc") == "u1001"
    assert shopper_for_sender("") is None and shopper_for_sender(None) is None
    assert len(conversation_id("x" * 128, Identity("y" * 64, "verified"))) <= 128


def test_refused_claims_are_logged_with_the_reason_never_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    verifier = Verifier(SECRET)
    expired = sign("u1002", SECRET, ttl_seconds=-120)
    with caplog.at_level(logging.WARNING, logger="kefu.identity"):
        assert verifier.identify("u1002:abc", expired) == (
            "u1002-abc",
            Identity(None, "expired token"),
        )
        assert verifier.identify("u1002:abc", sign("u1001", SECRET))[0] == "u1001:abc"
        assert verifier.identify("web-abc", None)[0] == "web-abc"
    logged = caplog.text
    assert "u1002-abc" in logged and "expired token" in logged
    assert "claims u1002 but the token is for u1001" in logged
    assert expired not in logged and expired.split(".")[2] not in logged
    assert "web-abc" not in logged, "a plain guest is not worth a warning"


def test_a_short_secret_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_IDENTITY_SECRET", "short")
    with pytest.raises(IdentityConfigError, match="at least 32"):
        Verifier.from_env()
    monkeypatch.setenv("KEFU_IDENTITY_SECRET", SECRET)
    assert Verifier.from_env().secret == SECRET
