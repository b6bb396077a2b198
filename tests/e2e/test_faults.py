"""Faults around Rasa: its action server down or slow, and Rasa itself restarted.

A Rasa server of its own (the trained model, kefu's channels and redacting tracker store on a
temporary SQLite file) talks to a fake action server the test controls: answering slowly, or
gone. The shopper must hear back within a bounded time, and after a restart of Rasa every
conversation's history must still be there.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from common.config import value
from deploy.stack import stop
from tests.e2e.conftest import ROOT, free_port, write_report

pytestmark = pytest.mark.e2e
TOKEN = "faults-token"
SLOW_SECONDS = 3
FIGURES: dict[str, object] = {}


class FakeActions:
    """An action server that is slow (``delay`` seconds, then a 500) until stopped."""

    def __init__(self, port: int) -> None:
        self.delay = 0.0

        fake = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(fake.delay)
                self.send_response(500)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Rasa:
    port: int
    endpoints: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "KEFU_SLOW_REPLY_SECONDS": str(SLOW_SECONDS),
            "KEFU_REST_REPLY_SECONDS": str(SLOW_SECONDS),
            "RASA_TELEMETRY_ENABLED": "false",
        }
        rasa = value("KEFU_RASA_ENV") / "bin" / "rasa"
        cmd = [
            str(rasa),
            "run",
            "--model",
            str(value("KEFU_BOT_MODEL")),
            "--port",
            str(self.port),
            "--interface",
            "127.0.0.1",
            "--endpoints",
            str(self.endpoints),
            "--credentials",
            "credentials.yml",
            "--enable-api",
            "--auth-token",
            TOKEN,
        ]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT / "bot",
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(1)
        pytest.fail("rasa did not start:\n" + self.log.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def send(self, text: str, sender: str) -> tuple[list[str], float]:
        started = time.monotonic()
        r = requests.post(
            f"http://127.0.0.1:{self.port}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=120,
        )
        r.raise_for_status()
        return [m.get("text", "") for m in r.json()], time.monotonic() - started


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Rasa, FakeActions]]:
    if not value("KEFU_RASA_ENV") or not value("KEFU_BOT_MODEL"):
        pytest.fail("run through scripts/test.sh (it prepares KEFU_RASA_ENV and KEFU_BOT_MODEL)")
    tmp = tmp_path_factory.mktemp("faults")
    actions_port = free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "tracker_store:\n  type: stores.redacting.RedactingSQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{tmp / "tracker.db"}"\n'
    )
    fake = FakeActions(actions_port)
    rasa = Rasa(free_port(), endpoints, tmp / "rasa.log")
    rasa.start()
    yield rasa, fake
    rasa.stop()
    fake.stop()


def test_slow_action_server_shopper_hears_back_within_bounds(
    setup: tuple[Rasa, FakeActions],
) -> None:
    rasa, fake = setup
    fake.delay = 20
    replies, seconds = rasa.send("退货政策是什么？", "faults-slow")
    assert seconds < SLOW_SECONDS + 8, seconds
    assert any("正在为您处理" in r for r in replies), replies
    FIGURES["slow_action_server_reply_s"] = round(seconds, 2)
    fake.delay = 0


def test_failing_action_server_gets_an_apology_offering_a_human(
    setup: tuple[Rasa, FakeActions],
) -> None:
    rasa, _ = setup
    replies, seconds = rasa.send("How long does delivery take?", "faults-500")
    assert any("something went wrong" in r and "human" in r for r in replies), replies
    assert seconds < 30
    FIGURES["failing_action_server_reply_s"] = round(seconds, 2)


def test_action_server_down_gets_an_apology(setup: tuple[Rasa, FakeActions]) -> None:
    rasa, fake = setup
    fake.stop()
    replies, seconds = rasa.send("退货政策是什么？", "faults-down")
    assert any("转人工" in r for r in replies), replies
    assert seconds < 30
    FIGURES["action_server_down_reply_s"] = round(seconds, 2)


def test_history_survives_a_rasa_restart(setup: tuple[Rasa, FakeActions]) -> None:
    rasa, _ = setup
    rasa.send("你好", "faults-history")
    rasa.send("我的手机是 13812345678", "faults-history")
    url = f"http://127.0.0.1:{rasa.port}/conversations/faults-history/tracker?token={TOKEN}"
    before = [e for e in requests.get(url, timeout=30).json()["events"] if e["event"] == "user"]
    rasa.stop()
    rasa.start()
    after = [e for e in requests.get(url, timeout=30).json()["events"] if e["event"] == "user"]
    assert (
        [e["text"] for e in after] == [e["text"] for e in before] == ["你好", "我的手机是 [PHONE]"]
    )
    FIGURES["history_after_rasa_restart"] = f"{len(after)} of {len(before)} user turns kept"
    FIGURES["phone_number_stored_as"] = after[-1]["text"]
    write_report("faults", FIGURES)
