"""Who a shopper is: only a token signed by the store's backend says so, never a sender id.

The store's backend signs the logged-in shopper's id as a JWT (HS256; claims ``sub`` = the
shopper id, ``iat``, ``exp``) with ``KEFU_IDENTITY_SECRET``, a secret only it and kefu know. The
widget passes the token along (``data-shopper-token``); the channels verify it and *derive*
the conversation's sender id from it, so the sender id a browser chooses never names a shopper:

- a valid token for ``u1001`` and the client's conversation key ``u1001:abc`` (or ``abc``, or
  ``u1002:abc``: the part before ``:`` is ignored) -> sender id ``u1001:abc``;
- anything else is a guest: the client's key with every ``:`` made ``-`` (``u1002:abc`` ->
  ``u1002-abc``), so a guest's sender id never contains ``:`` and never names a shopper.

``shopper_for_sender`` reads that back (the part before the first ``:``). The Rasa process
imports this module from the repository root (``bot/channels/identity.py``); the web server and
the action server import it directly. The token itself is never logged or stored.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import jwt

from common.config import value

ALGORITHM = "HS256"
MIN_SECRET_CHARS = 32
LEEWAY_SECONDS = 30  # clock skew allowed between the store's backend and kefu
SHOPPER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
SESSION_CHARS = 63  # shopper (64) + ":" + session (63) fits the 128-character sender id
log = logging.getLogger("kefu.identity")


class IdentityConfigError(ValueError):
    """``KEFU_IDENTITY_SECRET`` is set but unusable (too short)."""


@dataclass(frozen=True)
class Identity:
    """The outcome of checking one token: a verified shopper, or a guest and why."""

    shopper: str | None
    reason: str  # "verified", or why this is a guest ("expired token", "no token", ...)

    @property
    def verified(self) -> bool:
        """Whether the store vouched for ``shopper``."""
        return self.shopper is not None

    def as_metadata(self) -> dict[str, object]:
        """What the conversation stores about it (for agents): never the token."""
        return {"verified": self.verified, "shopper": self.shopper, "reason": self.reason}


GUEST_NO_TOKEN = Identity(None, "no token")


def sign(shopper: str, secret: str, ttl_seconds: int = 3600, now: float | None = None) -> str:
    """A token for ``shopper``, as a store's backend makes one (the demo page and tests use it)."""
    if not SHOPPER.fullmatch(shopper):
        raise ValueError("a shopper id is 1-64 letters, digits, _ . @ -")
    issued = int(time.time() if now is None else now)
    claims = {"sub": shopper, "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: object, secret: str) -> Identity:
    """The shopper ``token`` vouches for, or a guest with the reason it does not.

    Only HS256 is accepted (``alg: none`` and every other algorithm are refused); ``sub``,
    ``iat`` and ``exp`` are required; ``exp`` and ``iat`` are checked with 30 s of leeway.
    """
    if token is None or token == "":
        return GUEST_NO_TOKEN
    if not isinstance(token, str) or len(token) > 4096:
        return Identity(None, "malformed token")
    if not secret:
        return Identity(None, "kefu has no KEFU_IDENTITY_SECRET")
    try:
        alg = jwt.get_unverified_header(token).get("alg")
        if alg != ALGORITHM:
            return Identity(None, f"wrong algorithm {str(alg)[:16]!r}")
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        return Identity(None, "expired token")
    except jwt.InvalidSignatureError:
        return Identity(None, "bad signature (tampered, or signed with another secret)")
    except jwt.MissingRequiredClaimError as exc:
        return Identity(None, f"token without {exc.claim!r}")
    except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
        return Identity(None, "token issued in the future")
    except jwt.DecodeError:
        return Identity(None, "malformed token")
    except jwt.InvalidTokenError as exc:
        return Identity(None, f"invalid token ({type(exc).__name__})")
    except (RecursionError, ValueError, TypeError):  # e.g. a header nested 1,000 deep
        return Identity(None, "malformed token")
    shopper = claims.get("sub")
    if not isinstance(shopper, str) or not SHOPPER.fullmatch(shopper):
        return Identity(None, "token's sub is not a shopper id")
    return Identity(shopper, "verified")


def bearer(authorization: object) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header's value, if it has one."""
    scheme, _, token = str(authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def conversation_id(client_id: str, identity: Identity) -> str:
    """The sender id a message is handled under (see the module docstring).

    ``client_id`` is the conversation key the client sent (already checked: 1-128 of
    ``A-Z a-z 0-9 _ : . @ -``).
    """
    if identity.shopper is None:
        return client_id.replace(":", "-")
    session = client_id.rsplit(":", 1)[-1][:SESSION_CHARS] or "chat"
    return f"{identity.shopper}:{session}"


def claimed_shopper(client_id: str) -> str | None:
    """The shopper a client's conversation key claims to be (``u1002`` of ``u1002:abc``)."""
    return client_id.split(":", 1)[0] if ":" in client_id else None


def shopper_for_sender(sender_id: str | None) -> str | None:
    """The verified shopper of a conversation (None: a guest).

    Only the channels make sender ids with a ``:`` (from a verified token); a guest's never
    has one.
    """
    if not sender_id or ":" not in sender_id:
        return None
    return sender_id.split(":", 1)[0] or None


@dataclass
class Verifier:
    """The channels' check: a client's conversation key and token -> the sender id to use."""

    secret: str = field(default="", repr=False)

    @classmethod
    def from_env(cls) -> Verifier:
        """The verifier for ``KEFU_IDENTITY_SECRET`` (unset: every shopper is a guest).

        Raises :class:`IdentityConfigError` for a secret shorter than 32 characters.
        """
        secret: str = value("KEFU_IDENTITY_SECRET")
        if secret and len(secret) < MIN_SECRET_CHARS:
            raise IdentityConfigError(
                f"KEFU_IDENTITY_SECRET must be at least {MIN_SECRET_CHARS} characters "
                "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if not secret:
            log.warning("KEFU_IDENTITY_SECRET is not set: every shopper is a guest")
        return cls(secret)

    def identify(self, client_id: str, token: object) -> tuple[str, Identity]:
        """The sender id for ``client_id`` and who it is; logs why a claim was refused."""
        identity = verify(token, self.secret)
        sender = conversation_id(client_id, identity)
        claimed = claimed_shopper(client_id)
        if identity.shopper is None and (claimed or token not in (None, "")):
            log.warning(
                "identity: conversation %s (claims %s) is a guest: %s",
                sender, claimed or "no shopper", identity.reason,
            )  # fmt: skip
        elif identity.shopper is not None and claimed not in (None, identity.shopper):
            log.warning(
                "identity: conversation key claims %s but the token is for %s: answered as %s",
                claimed, identity.shopper, sender,
            )  # fmt: skip
        return sender, identity
