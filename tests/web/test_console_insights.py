"""The console's insight pages over HTTP: Overview, knowledge gaps and FAQ drafts, kb-check."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.knowledge.trackers import events_db
from tests.web.conftest import FakeEngine
from tests.web.test_console import login

NEW_ENDPOINTS = [
    ("GET", "/console/insights.js"),
    ("GET", "/console/api/overview"),
    ("GET", "/console/api/overview.csv"),
    ("GET", "/console/api/gaps"),
    ("GET", "/console/api/kb-check"),
    ("GET", "/console/api/faq-drafts"),
    ("POST", "/console/api/faq-drafts"),
    ("POST", "/console/api/faq-drafts/1"),
]


@pytest.mark.parametrize(("method", "path"), NEW_ENDPOINTS)
def test_every_insight_endpoint_needs_an_agent(
    web: str, engine: FakeEngine, method: str, path: str
) -> None:
    for cookies in ({}, {"kefu_session": "forged"}):
        r = requests.request(
            method,
            web + path,
            json={"question_zh": "x"},
            cookies=cookies,
            allow_redirects=False,
            timeout=5,
        )
        assert r.status_code in (303, 401), (path, cookies)
        assert "u1001" not in r.text and "function" not in r.text
    assert engine.encoded == [] and engine.checks == 0  # nothing ran for them


def test_overview_counts_the_stored_conversations(web: str) -> None:
    s = login(web)
    r = s.get(web + "/console/api/overview?since=2025-11-29&until=2025-11-30", timeout=10)
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["complete"] is True
    # conftest's two conversations: u1001:zh (zh, day 1, answered, a 👎) and web-en (en, day 2:
    # asked for a person; the agent's reply is not kefu's)
    total = found["total"]
    assert (total["conversations"], total["messages"], total["answered"]) == (2, 3, 1)
    assert (total["handed_off"], total["handoff_asked"], total["thumbs_down"]) == (1, 1, 1)
    assert [(d["day"], d["lang"]) for d in found["days"]] == [
        ("2025-11-29", "zh"),
        ("2025-11-30", "en"),
    ]
    only_en = s.get(
        web + "/console/api/overview?since=2025-11-29&until=2025-11-30&lang=en", timeout=10
    ).json()
    assert only_en["total"]["conversations"] == 1 and list(only_en["languages"]) == ["en"]


def test_overview_csv_download(web: str) -> None:
    r = login(web).get(
        web + "/console/api/overview.csv?since=2025-11-29&until=2025-11-30", timeout=10
    )
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert 'filename="kefu-overview-2025-11-29-2025-11-30.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["day"], x["lang"], x["conversations"]) for x in rows] == [
        ("2025-11-29", "zh", "1"),
        ("2025-11-30", "en", "1"),
    ]


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "since=2025-11-30&until=2025-11-29", "since=2024-01-01&until=2025-11-29"],
)
def test_overview_refuses_a_bad_period_with_a_reason(web: str, query: str) -> None:
    r = login(web).get(web + "/console/api/overview?" + query, timeout=10)
    assert r.status_code == 400 and (
        "YYYY-MM-DD" in r.json()["error"] or "days" in r.json()["error"]
    )


def test_the_default_period_is_the_last_week(web: str) -> None:
    found = login(web).get(web + "/console/api/overview", timeout=10).json()
    first, last = found["first"], found["last"]
    assert (
        time.mktime(time.strptime(last, "%Y-%m-%d")) - time.mktime(time.strptime(first, "%Y-%m-%d"))
    ) == 6 * 86400


def recent_gaps(tracker_db: Path) -> float:
    """Two shoppers ask about gift wrap (declined; one handed off, an agent replies), one about
    an invoice (👎)."""
    now = time.time() - 3600
    declined = {"evidence": {"abstained": True}}
    rows: list[tuple[str, str, float, dict[str, Any]]] = [
        (
            "g1",
            "user",
            now,
            {"text": "do you gift wrap?", "parse_data": {"intent": {"name": "ask_policy"}}},
        ),
        ("g1", "bot", now + 1, {"text": "I can't answer that", "metadata": declined}),
        (
            "g1",
            "user",
            now + 2,
            {"text": "/human_handoff", "parse_data": {"intent": {"name": "human_handoff"}}},
        ),
        ("g1", "slot", now + 3, {"name": "handoff", "value": True}),
        (
            "g1",
            "bot",
            now + 9,
            {"text": "Yes, gift wrap is 5 yuan.", "metadata": {"agent": "alice"}},
        ),
        (
            "g2",
            "user",
            now + 20,
            {"text": "可以礼品包装吗", "parse_data": {"intent": {"name": "ask_policy"}}},
        ),
        ("g2", "bot", now + 21, {"text": "抱歉", "metadata": declined}),
        (
            "g3",
            "user",
            now + 30,
            {"text": "can I get an invoice", "parse_data": {"intent": {"name": "ask_policy"}}},
        ),
        ("g3", "bot", now + 31, {"text": "Invoices are emailed.", "metadata": {}}),
        (
            "g3",
            "slot",
            now + 40,
            {"name": "answer_rating", "value": {"answer_ts": now + 31, "rating": "down"}},
        ),
    ]
    events_db(tracker_db, rows)
    return now


def test_gaps_are_grouped_ranked_and_each_has_a_drafted_entry(
    web: str, tracker_db: Path, engine: FakeEngine
) -> None:
    recent_gaps(tracker_db)
    r = login(web).get(web + "/console/api/gaps?days=7", timeout=10)
    assert r.status_code == 200, r.text
    found = r.json()
    assert (found["groups"], found["questions"]) == (2, 3)
    top, second = found["gaps"]
    assert top["rank"] == 1 and top["shoppers"] == 2 and set(top["conversations"]) == {"g1", "g2"}
    assert top["why"] == {"declined": 2}
    assert top["agent_replies"] == ["Yes, gift wrap is 5 yuan."]
    assert top["draft"] == {
        "question_zh": "可以礼品包装吗",
        "answer_zh": "",
        "question_en": "do you gift wrap?",
        "answer_en": "Yes, gift wrap is 5 yuan.",
    }
    assert (
        second["why"] == {"thumbs_down": 1}
        and second["draft"]["question_en"] == "can I get an invoice"
    )
    assert "/human_handoff" not in engine.encoded  # the request for a person is not a question


def test_a_draft_is_reviewed_approved_and_exported_as_faq_twins(web: str) -> None:
    s = login(web)
    half = {
        "question_en": "Do you gift wrap?",
        "answer_en": "Yes, for 5 yuan.",
        "topic": "gifts",
        "asked_by": ["g1", "g2", "<script>"],
    }
    r = s.post(web + "/console/api/faq-drafts", json=half, timeout=5)
    assert r.status_code == 201 and r.json()["approved"] is False
    draft_id = r.json()["id"]
    assert r.json()["asked_by"] == "g1 g2"  # only conversation ids are kept
    refused = s.post(
        web + f"/console/api/faq-drafts/{draft_id}", json=half | {"approved": True}, timeout=5
    )
    assert refused.status_code == 400 and "both zh and en" in refused.json()["error"]
    assert "gift" not in s.get(web + "/console/api/export/faq.csv", timeout=5).text  # a draft
    both = half | {"question_zh": "可以礼品包装吗？", "answer_zh": "可以，5 元。", "approved": True}
    r = s.post(web + f"/console/api/faq-drafts/{draft_id}", json=both, timeout=5)
    assert r.status_code == 200 and r.json()["approved"] is True and r.json()["agent"] == "alice"
    rows = list(
        csv.DictReader(io.StringIO(s.get(web + "/console/api/export/faq.csv", timeout=5).text))
    )
    assert [(x["id"], x["lang"], x["question"], x["answer"], x["topic"]) for x in rows] == [
        (f"faq-zh-gap-{draft_id}", "zh", "可以礼品包装吗？", "可以，5 元。", "gifts"),
        (f"faq-en-gap-{draft_id}", "en", "Do you gift wrap?", "Yes, for 5 yuan.", "gifts"),
    ]
    listed = s.get(web + "/console/api/faq-drafts", timeout=5).json()["drafts"]
    assert [(d["id"], d["approved"]) for d in listed] == [(draft_id, True)]


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/console/api/faq-drafts", {"topic": "x"}, "write a question and its answer"),
        ("/console/api/faq-drafts/999", {"question_en": "q", "answer_en": "a"}, "no FAQ draft 999"),
        ("/console/api/faq-drafts/abc", {"question_en": "q", "answer_en": "a"}, "bad draft id"),
    ],
)
def test_bad_drafts_get_a_reason(web: str, path: str, body: dict[str, str], error: str) -> None:
    r = login(web).post(web + path, json=body, timeout=5)
    assert r.status_code == 400 and error in r.json()["error"]


def test_drafts_must_be_json(web: str) -> None:
    r = login(web).post(web + "/console/api/faq-drafts", data="question_en=q", timeout=5)
    assert r.status_code == 415


def test_kb_check_in_the_console(web: str, engine: FakeEngine) -> None:
    s = login(web)
    r = s.get(web + "/console/api/kb-check", timeout=10)
    assert r.status_code == 200
    found = r.json()
    assert (
        found["counts"]["contradiction"] == 1 and found["problems"][0]["places"][1]["lang"] == "en"
    )
    s.get(web + "/console/api/kb-check", timeout=10)
    assert engine.checks == 1  # kept for a minute, not recomputed per view


def test_chart_library_is_served_from_the_store_not_a_cdn(web: str) -> None:
    page = login(web).get(web + "/console", timeout=5).text
    assert '<script src="/vendor/chart.umd.min.js">' in page and "https://" not in page


def test_without_a_built_model_the_knowledge_pages_say_what_to_run(
    web: str, tracker_db: Path, engine: FakeEngine
) -> None:
    recent_gaps(tracker_db)
    engine.missing = "no matcher built: run make models"
    s = login(web)
    for path in ("/console/api/gaps", "/console/api/kb-check"):
        r = s.get(web + path, timeout=10)
        assert r.status_code == 503 and "make models" in r.json()["error"], path


def test_an_unreadable_tracker_store_is_a_clear_error(web: str, tracker_db: Path) -> None:
    tracker_db.write_bytes(b"not a database at all, " * 100)
    r = login(web).get(web + "/console/api/overview", timeout=10)
    assert r.status_code == 503 and "cannot be read" in r.json()["error"]
