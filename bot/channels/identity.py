"""The channels' identity check: ``common/identity.py`` (from the repository root, on PYTHONPATH).

One :class:`~common.identity.Verifier` per Rasa process, made when a channel's blueprint is
built, so a bad ``KEFU_IDENTITY_SECRET`` stops ``rasa run`` at start-up with a sentence.
"""

from __future__ import annotations

from functools import cache

from common.identity import Identity, Verifier, bearer  # the repository root is on PYTHONPATH

__all__ = ["Identity", "bearer", "verifier"]


@cache
def verifier() -> Verifier:
    """This process's verifier (``KEFU_IDENTITY_SECRET``)."""
    return Verifier.from_env()
