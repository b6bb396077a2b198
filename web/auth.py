"""Agents' login: hashed passwords from the environment, expiring sessions, slow guessing.

``KEFU_AGENTS`` lists the agents as ``name:hash`` pairs separated by spaces or commas; make a
hash with ``python -m web.auth HASH-ME`` (prompts for the password). Hashes are scrypt
(``scrypt$n$r$p$salt$digest``, hex), so the environment never holds a password.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5  # per client address within FAILURE_WINDOW seconds, then refused
FAILURE_WINDOW = 300.0


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A scrypt hash of ``password`` in kefu's text form."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant time; False for a malformed hash)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def parse_agents(text: str) -> dict[str, str]:
    """``"alice:scrypt$... bob:scrypt$..."`` -> {name: hash}; raises ValueError when malformed."""
    agents = {}
    for item in text.replace(",", " ").split():
        name, sep, stored = item.partition(":")
        if not sep or not name or not stored.startswith("scrypt$"):
            raise ValueError(f"KEFU_AGENTS entry {item[:20]!r}... is not name:scrypt$...")
        agents[name] = stored
    return agents


@dataclass
class Sessions:
    """Logged-in agents by session token; tokens expire ``ttl`` seconds after the last use."""

    agents: dict[str, str]
    ttl: float = SESSION_SECONDS
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def login(self, name: str, password: str, client: str = "") -> str | None:
        """A new session token, or None (wrong name or password, or too many tries)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < FAILURE_WINDOW]
            self._failures[client] = recent
            if len(recent) >= MAX_FAILURES:
                return None
        stored = self.agents.get(name)
        # an unknown name costs the same time as a wrong password
        ok = check_password(password, stored or hash_password("", b"0" * 16)) and bool(stored)
        with self._lock:
            if not ok:
                self._failures[client].append(now)
                return None
            token = secrets.token_urlsafe(32)
            self._tokens[token] = (name, now + self.ttl)
            return token

    def agent(self, token: str | None) -> str | None:
        """The agent of a live session (extending it), or None."""
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            found = self._tokens.get(token)
            if found is None or found[1] < now:
                self._tokens.pop(token, None)
                return None
            self._tokens[token] = (found[0], now + self.ttl)
            return found[0]

    def logout(self, token: str | None) -> None:
        """End a session."""
        with self._lock:
            self._tokens.pop(token or "", None)


def main() -> None:
    """``python -m web.auth HASH-ME``: print a hash for a password typed at the prompt."""
    if sys.argv[1:] != ["HASH-ME"]:
        sys.exit("usage: python -m web.auth HASH-ME   (then type the password)")
    password = getpass.getpass("password: ")
    if len(password) < 8:
        sys.exit("use at least 8 characters")
    print(hash_password(password))


if __name__ == "__main__":
    main()
