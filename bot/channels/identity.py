"""The channels' identity check: ``common/identity.py`` (imported from the repository root).

One :class:`~common.identity.Verifier` per Rasa process, made when a channel's blueprint is
built, so a bad ``KEFU_IDENTITY_SECRET`` stops ``rasa run`` at start-up with a sentence.
"""

from __future__ import annotations

from functools import cache

from common.identity import Identity, Verifier, bearer  # on the path: channels/__init__.py

__all__ = ["Identity", "bearer", "verifier"]


@cache
def verifier() -> Verifier:
    """This process's verifier (``KEFU_IDENTITY_SECRET``)."""
    return Verifier.from_env()
