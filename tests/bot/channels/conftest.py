"""bot/channels in the app environment: rasa's names from stand-ins, the package as Rasa sees it.

Rasa imports the channels as the top-level package ``channels`` (it runs with cwd bot/); they
are loaded the same way here, after :mod:`rasa_standins` has provided the rasa names they import
(the real rasa lives in the dialogue environment; ``test_rasa_contract.py`` runs there).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.channels import rasa_standins

CHANNELS = Path(__file__).resolve().parents[3] / "bot" / "channels"
SECRET = "identity secret of the test store, 40 chars"

STANDING_IN = importlib.util.find_spec("rasa") is None
if STANDING_IN:
    rasa_standins.install()
if "channels" not in sys.modules:
    spec = importlib.util.spec_from_file_location(
        "channels", CHANNELS / "__init__.py", submodule_search_locations=[str(CHANNELS)]
    )
    assert spec and spec.loader
    sys.modules["channels"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules["channels"])
if STANDING_IN:
    # rasa's internals that channels/tuning.py patches are not stood in for: it is tested
    # against the real rasa (tests/bot/test_tuning.py)
    importlib.import_module("channels.tuning")._INSTALLED = True


@pytest.fixture
def identity_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The channels' verifier made with a known ``KEFU_IDENTITY_SECRET`` (and forgotten after)."""
    from channels.identity import verifier

    monkeypatch.setenv("KEFU_IDENTITY_SECRET", SECRET)
    verifier.cache_clear()
    yield SECRET
    verifier.cache_clear()
