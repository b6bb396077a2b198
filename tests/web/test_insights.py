"""The Overview's figures against a hand-counted set of conversations."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.knowledge.trackers import events_db
from web import insights
from web.insights import Overview, day_of, quantile

D1 = 1_764_374_400.0  # 2025-11-29 00:00 UTC: 08:00 in Beijing, the store's 2025-11-29
D2 = D1 + 86400
ABSTAINED = {"evidence": {"abstained": True, "score": 0.2}}
Row = tuple[str, str, float, dict[str, Any]]


def user(sender: str, ts: float, text: str, intent: str) -> Row:
    return (sender, "user", ts, {"text": text, "parse_data": {"intent": {"name": intent}}})


def bot(sender: str, ts: float, text: str = "…", **meta: Any) -> Row:
    return (sender, "bot", ts, {"text": text, "metadata": meta})


def slot(sender: str, ts: float, name: str, value: Any) -> Row:
    return (sender, "slot", ts, {"name": name, "value": value})


def event(sender: str, ts: float, kind: str) -> Row:
    return (sender, kind, ts, {})


# Hand-counted (see EXPECTED): reply times are the gaps between a message and kefu's reply.
EVENTS: list[Row] = [
    # a, zh, day 1: two answers, no handoff; a 👍 changed to 👎 (the latest counts)
    event("a", D1, "session_started"),
    user("a", D1 + 10, "可以退货吗", "ask_policy"),
    slot("a", D1 + 10.1, "language", "zh"),
    bot("a", D1 + 10.32),
    slot("a", D1 + 20, "answer_rating", {"answer_ts": D1 + 10.32, "rating": "up"}),
    slot("a", D1 + 25, "answer_rating", {"answer_ts": D1 + 10.32, "rating": "down"}),
    user("a", D1 + 30, "谢谢", "thanks"),
    bot("a", D1 + 30.12),
    # b, en, day 1: kefu declines (evidence and slot: one abstention), the shopper asks for a
    # person; an agent takes over: the next message is not kefu's to answer, nor the agent's
    # reply kefu's answer
    user("b", D1 + 100, "do you sell gift wrap", "ask_policy"),
    slot("b", D1 + 100.1, "language", "en"),
    bot("b", D1 + 101.05, **ABSTAINED),
    slot("b", D1 + 101.1, "kefu_abstained", True),
    user("b", D1 + 110, "/human_handoff", "human_handoff"),
    bot("b", D1 + 110.22),
    slot("b", D1 + 110.3, "handoff", True),
    event("b", D1 + 111, "pause"),
    user("b", D1 + 120, "hello?", "greet"),
    bot("b", D1 + 150, "Hi, Alice here", agent="alice"),
    # c, en, day 2: a complaint, then yes to a person
    user("c", D2 + 5, "my parcel arrived broken", "complain"),
    slot("c", D2 + 5.1, "language", "en"),
    bot("c", D2 + 5.52),
    user("c", D2 + 10, "yes", "affirm"),
    bot("c", D2 + 10.42),
    slot("c", D2 + 10.5, "handoff", True),
    # a again, day 2: a new session; the slots it carries over are not this conversation's
    event("a", D2 + 1000, "session_started"),
    slot("a", D2 + 1000, "language", "zh"),
    slot("a", D2 + 1000, "handoff", True),
    slot("a", D2 + 1000, "answer_rating", {"answer_ts": D1 + 10.32, "rating": "down"}),
    user("a", D2 + 1001, "你好", "greet"),
    slot("a", D2 + 1001.01, "language", "zh"),
    bot("a", D2 + 1001.06),
    user("a", D2 + 1010, "我要人工", "human_handoff"),
    bot("a", D2 + 1010.12),
    slot("a", D2 + 1010.2, "handoff", True),
    # g, en, day 2: an agent takes it over from the console, unasked (pause, then handoff)
    user("g", D2 + 4000, "where is it", "track_order"),
    slot("g", D2 + 4000.01, "language", "en"),
    bot("g", D2 + 4000.25),
    event("g", D2 + 4100, "pause"),
    slot("g", D2 + 4100, "handoff", True),
    # e, day 2: a session nobody spoke in (not a conversation)
    event("e", D2 + 2000, "session_started"),
    # f, day 2: answered before any language was known
    user("f", D2 + 3000, "???", "nlu_fallback"),
    bot("f", D2 + 3002.2),
]
ZERO = dict.fromkeys(insights.COUNTS, 0)
EXPECTED = {
    ("2025-11-29", "zh"): ZERO
    | {"conversations": 1, "messages": 2, "answered": 1, "thumbs_down": 1},
    ("2025-11-29", "en"): ZERO
    | {
        "conversations": 1,
        "messages": 3,
        "handed_off": 1,
        "handoff_abstained": 1,
        "abstained": 1,
        "conversations_abstained": 1,
    },
    ("2025-11-30", "en"): ZERO
    | {
        "conversations": 2,
        "messages": 3,
        "handed_off": 2,
        "handoff_complaint": 1,
        "handoff_agent": 1,
    },
    ("2025-11-30", "zh"): ZERO
    | {"conversations": 1, "messages": 2, "handed_off": 1, "handoff_asked": 1},
    ("2025-11-30", "?"): ZERO | {"conversations": 1, "messages": 1, "answered": 1},
}
REPLIES_MS = [320, 120, 1050, 220, 520, 420, 60, 120, 2200, 250]  # kefu's, by hand


def overview(tmp_path: Path, rows: list[Row]) -> Overview:
    tracker = events_db(tmp_path / "tracker.db", rows)
    return Overview(tracker, tmp_path / "insights.db", settle_s=0)


def counts(row: dict[str, Any]) -> dict[str, int]:
    return {k: row[k] for k in ZERO}


def test_the_figures_are_the_hand_counted_ones(tmp_path: Path) -> None:
    ov = overview(tmp_path, EVENTS)
    assert ov.refresh()
    found = ov.figures("2025-11-29", "2025-11-30")
    assert {(r["day"], r["lang"]): counts(r) for r in found["days"]} == EXPECTED
    total = found["total"]
    assert counts(total) == {k: sum(e[k] for e in EXPECTED.values()) for k in ZERO}
    assert total["conversations"] == 6 and total["messages"] == 11
    assert total["handed_off"] == 4 and total["answered"] == 2
    intents = {i["intent"]: i["messages"] for i in total["top_intents"]}
    assert intents == {
        "ask_policy": 2,
        "greet": 2,
        "human_handoff": 2,
        "thanks": 1,
        "complain": 1,
        "affirm": 1,
        "nlu_fallback": 1,
        "track_order": 1,
    }
    # The median and p95 come from a histogram: right to within their bucket.
    assert 250 <= total["reply_p50_ms"] <= 320  # exact: 285, between 250 and 320
    assert 2000 <= total["reply_p95_ms"] <= 3000  # exact: 2200
    assert counts(found["languages"]["en"]) == {
        k: EXPECTED[("2025-11-29", "en")][k] + EXPECTED[("2025-11-30", "en")][k] for k in ZERO
    }
    zh_day1 = next(r for r in found["days"] if r["lang"] == "zh" and r["day"] == "2025-11-29")
    assert 100 <= zh_day1["reply_p50_ms"] <= 400  # exact: 120 and 320


def test_one_day_and_one_language(tmp_path: Path) -> None:
    ov = overview(tmp_path, EVENTS)
    ov.refresh()
    day2_en = ov.figures("2025-11-30", "2025-11-30", lang="en")
    assert [(r["day"], r["lang"]) for r in day2_en["days"]] == [("2025-11-30", "en")]
    assert counts(day2_en["total"]) == EXPECTED[("2025-11-30", "en")]
    assert ov.figures("2025-12-01", "2025-12-07")["total"]["conversations"] == 0


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_folding_in_pieces_gives_the_same_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Events read a few at a time, and refreshes between arrivals, change nothing."""
    monkeypatch.setattr(insights, "CHUNK", chunk)
    half = len(EVENTS) // 2
    ov = overview(tmp_path, EVENTS[:half])
    assert ov.refresh()
    events_db(tmp_path / "tracker.db", EVENTS[half:])
    assert ov.refresh()
    found = ov.figures("2025-11-29", "2025-11-30")
    assert {(r["day"], r["lang"]): counts(r) for r in found["days"]} == EXPECTED
    assert 250 <= found["total"]["reply_p50_ms"] <= 320


def test_a_budget_stops_a_long_refresh_and_the_next_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(insights, "CHUNK", 2)
    ov = overview(tmp_path, EVENTS)
    assert ov.refresh(budget_s=0) is False
    assert ov.refresh() is True
    assert ov.figures("2025-11-29", "2025-11-30")["total"]["conversations"] == 6


def test_events_still_being_written_wait(tmp_path: Path) -> None:
    import time

    now = time.time()
    ov = Overview(
        events_db(tmp_path / "t.db", [user("z", now, "hi", "greet")]),
        tmp_path / "i.db",
        settle_s=60,
    )
    assert ov.refresh()
    assert ov.figures(day_of(now), day_of(now))["total"]["messages"] == 0


def test_no_conversation_yet(tmp_path: Path) -> None:
    ov = Overview(tmp_path / "missing.db", tmp_path / "i.db", settle_s=0)
    (tmp_path / "missing.db").touch()
    assert ov.refresh()
    assert ov.figures("2025-11-29", "2025-11-30")["total"]["conversations"] == 0


def test_csv_has_a_row_per_day_and_language(tmp_path: Path) -> None:
    ov = overview(tmp_path, EVENTS)
    ov.refresh()
    rows = list(csv.DictReader(io.StringIO(ov.csv("2025-11-29", "2025-11-30"))))
    assert [(r["day"], r["lang"]) for r in rows] == sorted(EXPECTED)
    zh = next(r for r in rows if (r["day"], r["lang"]) == ("2025-11-29", "zh"))
    assert zh["conversations"] == "1" and zh["thumbs_down"] == "1"
    assert zh["top_intents"] == "ask_policy:1 thanks:1"


def test_store_days_are_beijing_days() -> None:
    assert day_of(D1 - 1) == "2025-11-29"  # 07:59:59 in Beijing
    assert day_of(D1 - 8 * 3600 - 1) == "2025-11-28"  # 23:59:59 in Beijing


def test_quantile_of_a_histogram() -> None:
    one_bucket = [0] * (len(insights.BUCKETS_MS) + 1)
    one_bucket[5] = 4  # 300-400 ms
    assert 300 <= (quantile(one_bucket, 0.5) or 0) <= 400
    assert quantile([0] * len(one_bucket), 0.5) is None
    assert sorted(REPLIES_MS)[4:6] == [250, 320]


def test_a_summary_of_another_or_a_recreated_store_is_built_again(tmp_path: Path) -> None:
    summary = tmp_path / "insights.db"
    first = events_db(tmp_path / "one.db", EVENTS)
    Overview(first, summary, settle_s=0).refresh()
    # another store: its two conversations only, not the first store's six
    other = events_db(tmp_path / "two.db", EVENTS[:12])
    found = Overview(other, summary, settle_s=0)
    assert found.refresh()
    assert found.figures("2025-11-29", "2025-11-30")["total"]["conversations"] == 2
    # that store deleted and started again (its ids restart below the watermark)
    other.unlink()
    events_db(other, EVENTS[:5])
    again = Overview(other, summary, settle_s=0)
    assert again.refresh()
    assert again.figures("2025-11-29", "2025-11-30")["total"]["messages"] == 1
