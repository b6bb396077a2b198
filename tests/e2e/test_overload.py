"""Past capacity, through the real stack: "busy" at once, in the shopper's language, stored.

A stack of its own whose line holds one turn at a time with a tiny budget
(``KEFU_TURNS_AT_ONCE=1``, ``KEFU_TURN_BUDGET_S=0.3``), then 24 shoppers at once: some are told
kefu is busy. Each must have had exactly one reply set; every message must be in its
conversation once, the busy ones with the busy reply after them; and a shopper told "busy"
must get a real answer to the same question when the rush is over (the busy turn left no
trace in the dialogue: it was reverted).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from deploy.stack import StackError, local_stack

pytestmark = pytest.mark.e2e
BUSY = {"zh": "现在咨询的人比较多", "en": "answering a lot of shoppers"}
QUESTIONS = {"zh": "退货政策是什么？", "en": "What is the return policy?"}


def test_past_capacity_shoppers_hear_busy_at_once_and_nothing_is_lost(tmp_path: Path) -> None:
    env = {"KEFU_TURNS_AT_ONCE": "1", "KEFU_TURN_BUDGET_S": "0.3", "KEFU_RATE_LIMIT": "0"}
    try:
        with local_stack(tmp_path / "stack", env, timeout=420) as stack:
            langs = ["zh" if i % 2 else "en" for i in range(24)]
            senders = [f"rush-{i:02d}" for i in range(24)]

            def ask(i: int) -> list[str]:
                return [m.get("text", "") for m in stack.post(QUESTIONS[langs[i]], senders[i])]

            with ThreadPoolExecutor(24) as pool:
                replies = list(pool.map(ask, range(24)))
            busy = [i for i, r in enumerate(replies) if any(BUSY[langs[i]] in t for t in r)]
            assert all(replies), replies  # every shopper heard back
            assert busy, "24 shoppers at once on a line of one: some must be told busy"
            assert len(busy) < 24  # and some answered
            for i in busy:
                assert len(replies[i]) == 1  # busy, nothing else: not also answered later
                events = stack.tracker(senders[i])["events"]
                users = [e for e in events if e["event"] == "user"]
                bots = [e["text"] for e in events if e["event"] == "bot"]
                assert [u["text"] for u in users] == [QUESTIONS[langs[i]]]  # stored, once
                assert bots == replies[i]
            # when the rush is over, the same shopper asking again gets a real answer
            again = [m.get("text", "") for m in stack.post(QUESTIONS["zh"], senders[busy[0]])]
            assert again and not any(BUSY["zh"] in t for t in again), again
            assert any("退" in t for t in again), again
    except StackError as exc:
        pytest.fail(str(exc))
