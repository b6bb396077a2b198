"""``make eval-bot``'s questions and grading (scripts/eval_bot.py); the run itself is
``make eval-bot``, against the real stack."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from scripts.eval_bot import QUESTIONS, SETS, Question, grade, load, normalise, store_set, turn

ROOT = Path(__file__).resolve().parents[2]
TRAINING = [ROOT / "bot" / "data", ROOT / "bot" / "tests", ROOT / "data" / "qa"]


def squeeze(text: str) -> str:
    """A text with case, spaces and punctuation gone: how a question is looked for."""
    return re.sub(r"[\W_]+", "", text.lower())


@pytest.mark.parametrize(("name", "minimum"), [("eval_bot", 300), ("eval_bot_fresh", 195)])
def test_the_held_out_sets_are_large_and_well_formed(name: str, minimum: int) -> None:
    questions = load(SETS[name])
    assert len(questions) >= minimum
    assert len({q.id for q in questions}) == len(questions), "ids are unique"
    counts = Counter(q.lang for q in questions)
    assert set(counts) == {"zh", "en", "mixed"} and min(counts.values()) >= 50, counts
    assert {q.expect for q in questions} == {"answer", "abstain"}
    assert all(q.must for q in questions if q.expect == "answer"), "an answer says what it holds"


def corpus(folders: list[Path]) -> str:
    """Every data file under ``folders``, squeezed into one string to look questions up in."""
    return "".join(
        squeeze(path.read_text(encoding="utf-8"))
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in (".yml", ".yaml", ".md", ".csv", ".jsonl")
    )


def test_no_held_out_question_is_in_the_training_data() -> None:
    learnt = corpus(TRAINING)
    assert len(learnt) > 10_000, "the training data was read"
    questions = [q for path in SETS.values() for q in load(path)]
    leaked = [
        q.id for q in questions if len(squeeze(q.question)) >= 6 and squeeze(q.question) in learnt
    ]
    assert leaked == []


ANSWER = Question("zh-x", "zh", "plain", "answer", "退货几天？", must=(("7 天", "7 days"),))
ABSTAIN = Question("en-x", "en", "out-of-scope", "abstain", "Will it rain?")


@pytest.mark.parametrize(
    ("question", "reply", "abstained", "passed"),
    [
        (ANSWER, "签收后【7 天】内可以无理由退货。", False, True),
        (ANSWER, "You can return it within 7 Days of delivery.", False, True),
        (ANSWER, "签收后 30 天内可以换货。", False, False),
        (ABSTAIN, "抱歉，这个问题我答不上来，需要为您转人工吗？", True, True),
        (ABSTAIN, "It will be sunny.", False, False),
    ],
)
def test_grading(question: Question, reply: str, abstained: bool, passed: bool) -> None:
    assert grade(question, reply, abstained)[0] is passed


def test_a_wrong_fact_fails_even_beside_the_right_one() -> None:
    question = Question("en-y", "en", "plain", "answer", "q", (("7 days",),), ("30 days",))
    assert grade(question, "7 days, or 30 days for members", False) == (False, [])
    assert normalise("【7  天】") == "7 天"


def test_the_turn_is_read_from_the_tracker() -> None:
    events = [
        {"event": "user", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "action", "name": "utter_greet"},
        {"event": "user", "parse_data": {"intent": {"name": "ask_policy"}}},
        {"event": "action", "name": "action_extract_slots"},
        {"event": "action", "name": "action_answer_policy"},
        {"event": "bot", "text": "not sure", "metadata": {"evidence": {"abstained": True}}},
        {"event": "slot", "name": "kefu_abstained", "value": True},
        {"event": "action", "name": "action_listen"},
    ]
    t = turn({"events": events})
    assert (t.intent, t.actions, t.reached_engine, t.engine_answered) == (
        "ask_policy",
        ["action_answer_policy"],
        True,
        False,
    )
    assert t.abstained


def test_an_answer_from_the_engine_after_any_action_is_not_an_abstention() -> None:
    """The second opinion: NLU said out of scope, the engine answered from the documents."""
    events = [
        {"event": "user", "parse_data": {"intent": {"name": "out_of_scope"}}},
        {"event": "action", "name": "action_out_of_scope"},
        {"event": "bot", "text": "7 days", "metadata": {"evidence": {"abstained": False}}},
        {"event": "action", "name": "action_listen"},
    ]
    t = turn({"events": events})
    assert t.reached_engine and t.engine_answered and not t.abstained
    refused = turn({"events": [events[0], events[1], {"event": "bot", "text": "sorry"}]})
    assert not refused.reached_engine and refused.abstained
    assert QUESTIONS.is_file()


def test_a_stores_held_out_questions_become_bot_questions_graded_on_the_gold_answer() -> None:
    questions = store_set(ROOT / "stores" / "pets")
    assert len({q.id for q in questions}) == len(questions) >= 300
    assert {q.lang for q in questions} == {"zh", "en", "mixed"}
    answer = next(q for q in questions if q.expect == "answer")
    span = answer.must[0][0]
    assert grade(answer, f"…{span}…", False)[0] and not grade(answer, "Sorry.", True)[0]
    assert {q.style for q in questions if q.expect == "abstain"} == {"out_of_scope"}
