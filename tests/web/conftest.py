"""A tracker store with Rasa-shaped events, a fake Rasa HTTP API and a running web server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from common.identity import sign
from knowledge.errors import ModelNotBuiltError
from tests.knowledge.trackers import events_db
from web.auth import hash_password
from web.server import WebConfig, make_server

DAY = 1_764_374_400.0  # 2025-11-29 00:00 UTC
PASSWORD = "correct horse"
SECRET = "identity secret of the test store, 40 chars"
VERIFIED = {"verified": True, "shopper": "u1001", "reason": "verified"}
EVIDENCE = {
    "abstained": False,
    "score": 0.91,
    "answer": "7 天",
    "sentence": "签收后 7 天内可以无理由退货。",
    "span": [4, 7],
    "passage_id": "returns-1",
    "source": {
        "doc": "returns.md",
        "title": "退换货政策",
        "section": "无理由退货",
        "effective": "",
    },
    "passages": [{"id": "returns-1", "score": 0.91, "text": "签收后 7 天内可以无理由退货。"}],
}


def user(text: str, ts: float, intent: str, confidence: float, **meta: Any) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": ts,
        "text": text,
        "metadata": meta,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": []},
    }


def bot(text: str, ts: float, **meta: Any) -> dict[str, Any]:
    return {
        "event": "bot",
        "timestamp": ts,
        "text": text,
        "metadata": meta,
        "data": {"buttons": None, "elements": None},
    }


def slot(name: str, value: Any, ts: float) -> dict[str, Any]:
    return {"event": "slot", "timestamp": ts, "name": name, "value": value}


CONVERSATIONS: dict[str, list[dict[str, Any]]] = {
    "u1001:zh": [
        user("可以退货吗", DAY + 10, "ask_policy", 0.97, cid="c1", identity=VERIFIED),
        slot("language", "zh", DAY + 10.5),
        bot(
            "签收后 【7 天】内可以无理由退货。\n来源：《退换货政策》· 无理由退货",
            DAY + 11,
            evidence=EVIDENCE,
        ),
        slot("kefu_abstained", False, DAY + 11.5),
        slot("answer_rating", {"answer_ts": DAY + 11, "rating": "down"}, DAY + 20),
    ],
    "web-en": [
        user("hmm blue", DAY + 86400 + 5, "chitchat", 0.31),
        slot("language", "en", DAY + 86400 + 6),
        user("/human_handoff", DAY + 86400 + 7, "human_handoff", 1.0, shown="Talk to a human"),
        bot("An agent will reply here.", DAY + 86400 + 8, handoff={"topic": "-"}),
        slot("handoff", True, DAY + 86400 + 8.5),
        {"event": "pause", "timestamp": DAY + 86400 + 9},
        bot("Hello, I'm Alice.", DAY + 86400 + 30, agent="alice"),
    ],
}


def signed_in(shopper: str, secret: str = SECRET, ttl: int = 600) -> dict[str, str]:
    """The header the widget sends for a shopper the store signed in."""
    return {"Authorization": "Bearer " + sign(shopper, secret, ttl_seconds=ttl)}


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    rows = [(sender, e["event"], e["timestamp"], e)
            for sender, events in CONVERSATIONS.items() for e in events]  # fmt: skip
    return events_db(tmp_path / "tracker.db", sorted(rows, key=lambda r: r[2]))


class FakeEngine:
    """The knowledge pages' engine without models: questions sharing a keyword are alike."""

    TOPICS = ("gift", "礼品", "invoice", "发票")

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.checks = 0
        self.missing = ""  # set: no model built, as KnowledgeService says it

    def _ready(self) -> None:
        if self.missing:
            raise ModelNotBuiltError(self.missing)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self._ready()
        self.encoded += texts
        out = np.zeros((len(texts), len(self.TOPICS) + len(texts)), np.float32)
        for i, text in enumerate(texts):
            topic = next((t for t, word in enumerate(self.TOPICS) if word in text.lower()), None)
            out[i, topic // 2 if topic is not None else len(self.TOPICS) + i] = 1.0
        return out

    def check_documents(self) -> dict[str, Any]:
        self._ready()
        self.checks += 1
        place = {
            "doc": "zh/returns.md",
            "section": "无理由退货",
            "lang": "zh",
            "text": "签收后 10 天内",
        }
        return {"sentences": 2, "clean": False,
                "counts": {"contradiction": 1, "duplicate": 0, "one_language": 0},
                "problems": [{"kind": "contradiction", "detail": "10 days against 7 days",
                              "places": [place, place | {"doc": "en/returns.md", "lang": "en",
                                                         "text": "within 7 days"}]}]}  # fmt: skip


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


class FakeRasa:
    """Records the events appended through Rasa's HTTP API."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.fail = False
        calls, fake = self.calls, self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append((self.path, body))
                status = 500 if fake.fail else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def web(tmp_path: Path, tracker_db: Path, rasa: FakeRasa, engine: FakeEngine) -> Iterator[str]:
    vendor = tmp_path / "vendor"
    (vendor / "node_modules/socket.io-client/dist").mkdir(parents=True)
    (vendor / "node_modules/socket.io-client/dist/socket.io.min.js").write_text("/* io */")
    config = WebConfig(
        rasa_url="http://rasa.test:5005",
        rasa_api=rasa.url,
        rasa_token="t0ken",
        tracker_url=f"sqlite:///{tracker_db}",
        console_db=tmp_path / "console.db",
        insights_db=tmp_path / "insights.db",
        vendor_dir=vendor,
        agents="alice:" + hash_password(PASSWORD),
        cors_origins=("http://shop.test",),
        identity_secret=SECRET,
        demo_login=True,
    )
    server = make_server(config, engine=engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
