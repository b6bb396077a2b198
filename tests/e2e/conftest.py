"""The real stack for end-to-end tests: `scripts/run.sh` (what `make run` runs) on free ports.

One stack per test session, shared by the browser tests and the REST tests; the last REST
test stops it with Ctrl-C.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.config import value
from common.identity import sign
from deploy import stack as local
from deploy.browser import NoBrowser, chromium
from deploy.local import answers as answers  # re-exported for the tests
from deploy.local import free_port as free_port
from web.auth import hash_password

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 420
AGENT, AGENT_PASSWORD = "alice", "e2e agent password"
IDENTITY_SECRET = "e2e identity secret: what the store's backend signs with"
ACTION_TOKEN = "e2e-action-token-0123456789"


def signed(shopper: str, ttl: int = 3600, secret: str = IDENTITY_SECRET) -> str:
    """A shopper token as the store's backend signs it (``ttl`` < 0: already expired)."""
    return sign(shopper, secret, ttl_seconds=ttl)


class Stack(local.Stack):
    """The running stack, its REST channel as the widget and a store's backend use it."""

    def send(
        self, text: str, sender: str, message_id: str | None = None, token: str | None = None
    ) -> list[str]:
        """The replies' texts to ``text`` from ``sender``; a ``u1001:...`` sender is signed in
        as that shopper unless ``token`` is given (``""``: no token at all)."""
        return [m.get("text", "") for m in self.post(text, sender, message_id, token)]

    def post(
        self, text: str, sender: str, message_id: str | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Rasa's REST reply (the messages, each with its ``recipient_id``)."""
        if token is None and ":" in sender:
            token = signed(sender.split(":", 1)[0])
        return super().post(text, sender, message_id, token or None)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "KEFU_RASA_TOKEN": "e2e-token",
        "KEFU_ACTION_TOKEN": ACTION_TOKEN,
        "KEFU_IDENTITY_SECRET": IDENTITY_SECRET,
        "KEFU_DEMO_LOGIN": "1",  # the demo page signs in ?shopper=u1001 (tests/e2e/test_browser.py)
        "KEFU_AGENTS": f"{AGENT}:{hash_password(AGENT_PASSWORD)}",
    }
    try:
        with local.local_stack(tmp_path_factory.mktemp("stack"), env, START_TIMEOUT) as started:
            yield Stack(**started.__dict__)
    except local.StackError as exc:
        pytest.fail(str(exc))


def write_report(section: str, figures: object) -> None:
    """Put ``figures`` under ``section`` of reports/reliability.json (when KEFU_REPORTS=1)."""
    if not value("KEFU_REPORTS"):
        return
    path = ROOT / "reports" / "reliability.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report[section] = figures
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright, one for the whole session."""
    pytest.importorskip("playwright.sync_api")
    try:
        with chromium() as b:
            yield b
    except NoBrowser as exc:
        pytest.fail(str(exc))
