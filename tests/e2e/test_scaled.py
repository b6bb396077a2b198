"""The scaled mode (deploy/local.py) on loopback: 2 Rasa replicas and 2 action servers behind
nginx, Postgres tracker store, Redis lock store, the knowledge stages on Ray Serve.

Replicas are killed with SIGKILL mid-run and started again; every message must be answered
(resent by the client when its connection drops) and stored exactly once in Postgres.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.config import value
from common.identity import sign
from deploy.load import SCRIPT, run_load, send, summary
from deploy.local import ScaledStack
from knowledge.gaps import gaps_in
from tests.e2e.conftest import write_report
from web.insights import Overview, day_of

pytestmark = [pytest.mark.e2e, pytest.mark.scaled]
CONVERSATIONS: int = value("KEFU_SCALED_CONVERSATIONS")


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledStack]:
    stack = ScaledStack(tmp_path_factory.mktemp("scaled"), web=False)
    try:
        stack.start(timeout=600)
        yield stack
    finally:
        stack.stop()
        stack.remove_data()


def user_events(stack: ScaledStack, prefix: str) -> dict[str, int]:
    """message_id -> how many user events Postgres holds for it (senders ``prefix-*``)."""
    rows = stack.psql(
        "select data::json->>'message_id', count(*) from events where type_name = 'user' "
        f"and sender_id like '{prefix}-%' group by 1"
    )
    assert rows is not None, "the tracker database answers"
    return {mid: int(n) for mid, n in (r.split("|") for r in rows.splitlines() if r)}


def test_a_conversation_alternating_between_replicas_keeps_its_form(scaled: ScaledStack) -> None:
    one, two = (f"http://127.0.0.1:{scaled.ports[n]}" for n in scaled.rasa_names)
    sender = "u1001:scaled-return"
    token = sign("u1001", scaled.env["KEFU_IDENTITY_SECRET"])  # both replicas verify it
    assert "order number" in send(one, sender, "I want to return something", "r-1", token=token)[-1]
    assert "Which item" in send(two, sender, "KF26110001", "r-2", token=token)[-1], "replica 2"
    assert "why" in send(one, sender, "the earphones", "r-3", token=token)[-1].lower()
    replies = send(two, sender, "I don't like the colour", "r-4", token=token)
    assert "returned without a reason" in replies[0] and "¥10" in replies[0]
    assert "return request is recorded" in replies[1]
    recorded = scaled.psql("select count(*) from return_requests", db="kefu_orders")
    assert recorded == "1"


def test_each_replica_answers_a_policy_question_through_the_stages(scaled: ScaledStack) -> None:
    for i, name in enumerate(scaled.rasa_names):
        url = f"http://127.0.0.1:{scaled.ports[name]}"
        (reply, *_) = send(url, f"scaled-direct-{i}", "退货政策是什么？", f"d-{i}")
        assert "退货" in reply and "来源：《退货与退款政策》" in reply, reply


def _kill_and_restart(stack: ScaledStack, name: str, after: float, done: dict[str, float]) -> None:
    time.sleep(after)
    stack.kill(name)
    done["killed"] = time.monotonic()
    time.sleep(3)
    stack.restart(name)
    done["restarted"] = time.monotonic()


@pytest.mark.parametrize("victim", ["rasa-1", "actions-1"])
def test_a_replica_killed_mid_run_loses_and_doubles_nothing(
    scaled: ScaledStack, victim: str
) -> None:
    prefix = f"scaled-{victim}"
    times: dict[str, float] = {}
    killer = threading.Thread(target=_kill_and_restart, args=(scaled, victim, 4.0, times))
    start = time.monotonic()
    killer.start()
    turns = run_load(scaled.url, CONVERSATIONS, prefix, budget=420)
    finished = time.monotonic()
    killer.join(timeout=400)
    figures = summary(turns, finished - start) | {
        "killed_after_s": round(times["killed"] - start, 1),
        "back_after_s": round(times.get("restarted", 0) - start, 1),
    }
    print(victim, figures)
    write_report(f"scaled_{victim.split('-')[0]}_killed", figures)
    assert "restarted" in times, f"{victim} came back"
    assert times["killed"] < finished, "killed while shoppers were talking"
    unanswered = [t for t in turns if not t.answered]
    assert not unanswered, f"{len(unanswered)} messages unanswered, e.g. {unanswered[:2]}"
    stored = user_events(scaled, prefix)
    expected = {f"{prefix}-{i}-{j}" for i in range(CONVERSATIONS) for j in range(len(SCRIPT))}
    assert set(stored) == expected, f"lost: {sorted(expected - set(stored))[:5]}"
    doubled = {k: n for k, n in stored.items() if n != 1}
    assert not doubled, f"stored more than once: {doubled}"
    assert scaled.services[victim].running


def test_the_console_insights_read_the_postgres_tracker_store(
    scaled: ScaledStack, tmp_path: Path
) -> None:
    """The Overview's fold and the knowledge gaps' reader on Postgres, not only SQLite."""
    url = scaled.postgres_url()
    before = scaled.psql("select count(*) from events where type_name = 'user'")
    overview = Overview(url, tmp_path / "insights.db", settle_s=0)
    assert overview.refresh()
    after = scaled.psql("select count(*) from events where type_name = 'user'")
    now = time.time()
    total = overview.figures(day_of(now - 86400), day_of(now + 86400))["total"]
    assert total["conversations"] >= 1 and total["reply_p50_ms"] is not None
    if before == after:  # nothing still arriving: every shopper message counted once
        assert total["messages"] == int(before or 0)
    assert isinstance(gaps_in(url, now - 86400), list)
