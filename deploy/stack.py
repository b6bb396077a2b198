"""kefu's whole stack (``scripts/run.sh``, what ``make run`` starts) on free loopback ports.

For programs that talk to kefu the way a shopper's browser does: the end-to-end tests and
``make eval-bot``. :func:`local_stack` starts it with a fresh tracker store and demo order
store under ``workdir``, waits until every process answers, and stops it (and every process
it started) on exit::

    with local_stack(workdir) as stack:
        replies = stack.post("退货要几天？", "web-eval-1")
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local import free_port

ROOT = Path(__file__).resolve().parent.parent
RASA_TOKEN = "local-stack-token"


class StackError(RuntimeError):
    """The stack did not start; the message ends with its log's tail."""


@dataclass
class Stack:
    """A running stack: its supervisor process, ports, tracker store and log."""

    process: subprocess.Popen[bytes] | None  # None: a stack someone else started
    ports: dict[str, int]
    tracker_db: Path
    log: Path
    rasa_token: str = RASA_TOKEN

    def post(
        self,
        text: str,
        sender: str,
        message_id: str | None = None,
        token: str | None = None,
        timeout: float = 60,
    ) -> list[dict[str, Any]]:
        """Rasa's REST reply to ``text`` from ``sender`` (a signed shopper with ``token``)."""
        payload: dict[str, str] = {"sender": sender, "message": text}
        if message_id is not None:
            payload["message_id"] = message_id
        if token:
            payload["token"] = token
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports['rasa']}/webhooks/rest/webhook",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            replies: list[dict[str, Any]] = json.loads(response.read())
            return replies

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker from Rasa's HTTP API (events, slots)."""
        query = urllib.parse.urlencode({"token": self.rasa_token})
        sender_part = urllib.parse.quote(sender, safe="")
        url = f"http://127.0.0.1:{self.ports['rasa']}/conversations/{sender_part}/tracker?{query}"
        with urllib.request.urlopen(url, timeout=30) as response:
            tracker: dict[str, Any] = json.loads(response.read())
            return tracker


@contextmanager
def local_stack(
    workdir: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 420,
    root: Path = ROOT,
) -> Iterator[Stack]:
    """Start the stack on free ports (stores under ``workdir``), yield it, stop it.

    ``env`` adds to or overrides the processes' environment; ``root``: the checkout whose
    ``scripts/run.sh`` runs (another revision's worktree, for a benchmark's baseline). Raises
    :class:`StackError` when it does not answer within ``timeout`` seconds.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {"rasa": free_port(), "actions": free_port(), "web": free_port()}
    full_env = {
        **os.environ,
        "KEFU_RASA_PORT": str(ports["rasa"]),
        "KEFU_ACTIONS_PORT": str(ports["actions"]),
        "KEFU_WEB_PORT": str(ports["web"]),
        "KEFU_TRACKER_DB": str(workdir / "tracker.db"),
        "KEFU_RASA_TOKEN": RASA_TOKEN,
        "KEFU_ORDERS_URL": f"sqlite:///{workdir / 'orders.db'}",  # a fresh demo store per run
        "KEFU_CONSOLE_DB": str(workdir / "console.db"),
        "KEFU_INSIGHTS_DB": str(workdir / "insights.db"),
        **(env or {}),
    }
    log = workdir / "stack.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", str(root / "scripts" / "run.sh")],
            cwd=root,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    stack = Stack(process, ports, workdir / "tracker.db", log, full_env["KEFU_RASA_TOKEN"])
    try:
        deadline = time.monotonic() + timeout
        while "kefu: ready in" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-4000:]
                raise StackError(f"the stack did not start:\n{tail}")
            time.sleep(1)
        yield stack
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the supervisor and every service it started.

    honcho runs each service in its own session: ask it to stop them (SIGTERM) before killing
    what is left, so no service outlives the caller.
    """
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
