"""Load without loss: conversations of 10 turns at once through the REST channel.

Every message must be answered (a real answer, or "busy" past capacity: ``admission.py``) and
every turn must be in the tracker store afterwards, once (counted per conversation); the whole
run is bounded in time. ``make test`` runs 40 at once;
``make reliability`` runs 200 (``KEFU_LOAD_CONVERSATIONS``) and writes the figures to
``reports/reliability.json``.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from common.config import value
from tests.e2e.conftest import Stack, write_report

pytestmark = pytest.mark.e2e
CONVERSATIONS: int = value("KEFU_LOAD_CONVERSATIONS")
INTERIM = ("正在为您处理", "Still working on it")  # REST's reply when a turn outlasts its limit
BUSY = ("现在咨询的人比较多", "answering a lot of shoppers")  # past capacity (admission.py)
BUDGET_S: float = value("KEFU_TURN_BUDGET_S")
BOUND_SECONDS = 600
# Ten turns a shopper might send; two of them reach the knowledge engine.
TURNS_ZH = [
    "你好",
    "在吗",
    "退货政策是什么？",
    "好的",
    "谢谢",
    "你是机器人吗",
    "满多少钱包邮？",
    "明白了",
    "谢谢你",
    "再见",
]
TURNS_EN = [
    "hello",
    "are you there",
    "What is the return policy?",
    "ok",
    "thanks",
    "are you a bot",
    "How long does delivery take?",
    "got it",
    "thank you",
    "bye",
]


def converse(url: str, sender: str, turns: list[str]) -> list[tuple[float, int, bool, bool]]:
    """Send the turns one after another.

    Per turn: (seconds, replies, only "still working", "busy").
    """
    out = []
    with requests.Session() as session:
        for text in turns:
            started = time.monotonic()
            r = session.post(url, json={"sender": sender, "message": text}, timeout=300)
            r.raise_for_status()
            replies = [m.get("text", "") for m in r.json()]
            interim = bool(replies) and all(any(i in t for i in INTERIM) for t in replies)
            busy = any(b in t for t in replies for b in BUSY)
            out.append((time.monotonic() - started, len(replies), interim, busy))
    return out


def test_concurrent_conversations_of_10_turns_lose_nothing(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.ports['rasa']}/webhooks/rest/webhook"
    senders = [f"load-{i:03d}" for i in range(CONVERSATIONS)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        runs = list(
            pool.map(lambda s: converse(url, s, TURNS_ZH if int(s[-3:]) % 2 else TURNS_EN), senders)
        )
    seconds = time.monotonic() - started
    latencies = sorted(t for run in runs for t, *_ in run)
    unanswered = sum(1 for run in runs for _, n, *_ in run if n == 0)
    interim = sum(1 for run in runs for _, _, i, _ in run if i)
    busy = sum(1 for run in runs for *_, b in run if b)
    answers = sorted(t for run in runs for t, n, i, b in run if n and not i and not b)
    with sqlite3.connect(stack.tracker_db) as db:
        stored = dict(
            db.execute(
                "select sender_id, count(*) from events where type_name = 'user'"
                " and sender_id like 'load-%' group by sender_id"
            ).fetchall()
        )
    lost = sum(max(0, 10 - stored.get(s, 0)) for s in senders)
    twice = sum(max(0, stored.get(s, 0) - 10) for s in senders)

    def ms(values: list[float], q: float) -> int:
        return round(1000 * values[int(q * (len(values) - 1))]) if values else 0

    figures = {
        "conversations": CONVERSATIONS,
        "turns": len(latencies),
        "turn_budget_s": BUDGET_S,
        "answered_in_budget": sum(1 for t in answers if t <= BUDGET_S),
        "answered_past_budget": sum(1 for t in answers if t > BUDGET_S),
        "answered_busy": busy,
        "answered_still_working_only": interim,
        "unanswered": unanswered,
        "turns_missing_from_tracker_store": lost,
        "turns_stored_twice": twice,
        "seconds": round(seconds, 1),
        "turns_per_second": round(len(latencies) / seconds, 1),
        "answers_p50_ms": round(statistics.median(answers) * 1000) if answers else 0,
        "answers_p95_ms": ms(answers, 0.95),
        "answers_p99_ms": ms(answers, 0.99),
        "any_reply_p95_ms": ms(latencies, 0.95),
        "any_reply_p99_ms": ms(latencies, 0.99),
        "max_ms": round(latencies[-1] * 1000),
    }
    print(json.dumps(figures))
    write_report("load", figures)
    assert unanswered == 0 and lost == 0 and twice == 0, figures
    assert seconds < BOUND_SECONDS, figures
