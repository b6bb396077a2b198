"""The channels' identity check: ``common/identity.py`` (imported from the repository root).

One :class:`~common.identity.Verifier` per Rasa process, made when a channel's blueprint is
built, so a bad ``KEFU_IDENTITY_SECRET`` stops ``rasa run`` at start-up with a sentence.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

# common/ holds code both Python environments import; it sits at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from common.identity import Identity, Verifier

__all__ = ["Identity", "bearer", "verifier"]


@cache
def verifier() -> Verifier:
    """This process's verifier (``KEFU_IDENTITY_SECRET``)."""
    return Verifier.from_env()


def bearer(headers: Any) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = str(value).partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None
