"""The channels' identity check: ``common/identity.py`` (imported from the repository root).

One :class:`~common.identity.Verifier` per Rasa process, made when a channel's blueprint is
built, so a bad ``KEFU_IDENTITY_SECRET`` stops ``rasa run`` at start-up with a sentence.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

# common/ holds code both Python environments import; it sits at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from common.identity import Identity, Verifier, bearer

__all__ = ["Identity", "bearer", "verifier"]


@cache
def verifier() -> Verifier:
    """This process's verifier (``KEFU_IDENTITY_SECRET``)."""
    return Verifier.from_env()
