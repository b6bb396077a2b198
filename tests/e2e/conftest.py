"""The real stack for end-to-end tests: `scripts/run.sh` (what `make run` runs) on free ports.

One stack per test session, shared by the browser tests and the REST tests; the last REST
test stops it with Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.config import value
from common.identity import sign
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


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    tracker_db: Path
    log: Path

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
        payload = {"sender": sender, "message": text}
        if message_id is not None:
            payload["message_id"] = message_id
        if token:
            payload["token"] = token
        body = json.dumps(payload).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports['rasa']}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            replies: list[dict[str, Any]] = json.loads(response.read())
            return replies


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    ports = {"rasa": free_port(), "actions": free_port(), "web": free_port()}
    env = {
        **os.environ,
        "KEFU_RASA_PORT": str(ports["rasa"]),
        "KEFU_ACTIONS_PORT": str(ports["actions"]),
        "KEFU_WEB_PORT": str(ports["web"]),
        "KEFU_TRACKER_DB": str(tmp / "tracker.db"),
        "KEFU_RASA_TOKEN": "e2e-token",
        "KEFU_ACTION_TOKEN": ACTION_TOKEN,
        "KEFU_IDENTITY_SECRET": IDENTITY_SECRET,
        "KEFU_DEMO_LOGIN": "1",  # the demo page signs in ?shopper=u1001 (tests/e2e/test_browser.py)
        "KEFU_ORDERS_URL": f"sqlite:///{tmp / 'orders.db'}",  # a fresh demo store per run
        "KEFU_CONSOLE_DB": str(tmp / "console.db"),
        "KEFU_AGENTS": f"{AGENT}:{hash_password(AGENT_PASSWORD)}",
    }
    log = tmp / "stack.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    stack = Stack(process, ports, tmp / "tracker.db", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "kefu: ready in" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the stack did not start:\n" + log.read_text(errors="replace")[-4000:])
            time.sleep(1)
        yield stack
    finally:
        # honcho runs each service in its own session: ask it to stop them (SIGTERM) before
        # killing what is left, so no service outlives the test.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def write_report(section: str, figures: object) -> None:
    """Put ``figures`` under ``section`` of reports/reliability.json (when KEFU_REPORTS=1)."""
    if not value("KEFU_REPORTS"):
        return
    path = ROOT / "reports" / "reliability.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report[section] = figures
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")


CHROMIUM_FLAGS = [  # what Debian's chromium needs here (see the environment notes)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright, one for the whole session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()
