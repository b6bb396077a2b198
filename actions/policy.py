"""Answer store-policy questions from the knowledge engine, and give NLU a second opinion.

Each question goes through the engine's micro-batched path (``answer_async``): concurrent
conversations share its model calls, and one shopper's failing question fails only theirs.
A failure (or a busy engine) is answered at the action boundary, ``KefuAction.run``.

A message may ask several things, or hide its question in a story or behind an instruction
(``knowledge/split.py``): the engine is asked the whole message and each question in it, and
:func:`choose` keeps one answer per question asked, each with its own source.

Where NLU routed a message away from the engine (out of scope, unclear, a product or a
promotion), :func:`confident_answers` asks the engine anyway and answers from the store's
documents only when it is sure (``KEFU_SECOND_OPINION``, well above the abstention threshold).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of
from actions.service import connected, get_service
from actions.texts import INTENT_LABELS, REQUEST_WORDS, answer_text, pick
from common.config import value
from common.lang import detect_language
from knowledge.errors import KnowledgeError
from knowledge.split import is_question, split_questions
from knowledge.types import Answer

log = logging.getLogger(__name__)

#: intents worth offering as a button after a policy answer: the shopper told a story about
#: their own order, so acting on it may be the next step (or a human, for service questions)
OFFERS = ("request_return", "track_order", "cancel_order", "change_address", "human_handoff")
#: an offer needs at least this NLU confidence
OFFER_MIN = 0.1
#: a form's first message is answered as a policy question only when NLU gave ask_policy at
#: least this confidence ("我的快递到哪了" is a tracking request, not a policy question)
POLICY_MIN = 0.2
#: questions of one message asked apart (the rest is in the whole message, asked too)
MAX_QUESTIONS = 4
#: the policy page about the service itself (hours, channels): its answers offer a human
SERVICE_DOC = "service"


def distinct(answers: Iterable[Answer]) -> list[Answer]:
    """The answers that answered, in order, each sentence once."""
    kept: list[Answer] = []
    for a in answers:
        if not a.abstained and a.sentence not in {k.sentence for k in kept}:
            kept.append(a)
    return kept


def choose(whole: Answer, parts: Sequence[tuple[Answer, Answer]]) -> list[Answer]:
    """The answers to give: one per question answered, in the order asked (none: abstain).

    ``parts`` holds, per question of the message, the engine's answer to the question with
    its story and to the question alone. Two or more questions answered from different
    sentences get an answer each; otherwise the answer to the whole message, else the best
    answer to one of its questions (a question behind an instruction or a long story).
    """
    answered = distinct(next((a for a in pair if not a.abstained), pair[0]) for pair in parts)
    if len(parts) >= 2 and len(answered) >= 2:
        return answered
    if not whole.abstained:
        return [whole]
    return [max(answered, key=lambda a: a.score)] if answered else []


async def engine_answers(message: str) -> tuple[Answer, list[Answer]]:
    """The engine's answer to the whole message, and the answers :func:`choose` keeps.

    At most :data:`MAX_QUESTIONS` questions of a message are asked apart (a long message costs
    at most ``1 + 2 * MAX_QUESTIONS`` engine questions); the whole message is always asked.
    """
    service = get_service()
    parts = split_questions(message)[:MAX_QUESTIONS]
    asks = [message] + [q for p in parts for q in (p.with_context, p.question)]
    unique = list(dict.fromkeys(asks))
    got = dict(zip(unique, await asyncio.gather(*map(service.answer_async, unique)), strict=True))
    whole = got[message]
    return whole, choose(whole, [(got[p.with_context], got[p.question]) for p in parts])


@functools.cache
def second_opinion_bar() -> float:
    """The confidence at which the engine overrules NLU (``KEFU_SECOND_OPINION``)."""
    return float(value("KEFU_SECOND_OPINION"))


async def confident_answers(message: str) -> list[Answer]:
    """The engine's answers when every one of them clears the second-opinion bar, else none."""
    _, answers = await engine_answers(message)
    bar = second_opinion_bar()
    return answers if answers and all(a.score >= bar for a in answers) else []


async def answered_from_documents(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Utter the engine's sure answers to the latest message (the second opinion); any?

    Only a second opinion: when the engine fails or is busy, the calling action answers its
    own way (the failure is logged).
    """
    text = tracker.latest_message.get("text") or ""
    if not text.strip() or text.startswith("/"):  # nothing to ask, or a button's intent
        return False
    try:
        answers = await confident_answers(text)
    except KnowledgeError:
        log.warning("no second opinion from the knowledge engine", exc_info=True)
        return False
    if answers:
        utter_answers(dispatcher, answers, offers(tracker, answers))
    return bool(answers)


def offers(tracker: Tracker, answers: Sequence[Answer]) -> list[dict[str, str]]:
    """Buttons that offer the next step: acting on the order the shopper spoke of, a human.

    None inside a form (the form is the next step, and its rules expect no other intent).
    """
    if (tracker.active_loop or {}).get("name"):  # mid-form: the form is the next step
        return []
    lang = lang_of(tracker)
    ranking = tracker.latest_message.get("intent_ranking") or []
    wanted = [
        str(r.get("name"))
        for r in ranking
        if r.get("name") in OFFERS and float(r.get("confidence") or 0.0) >= OFFER_MIN
    ][:1]
    if any(a.source and Path(a.source.doc).stem == SERVICE_DOC for a in answers):
        wanted.append("human_handoff")
    return [{"title": pick(lang, *INTENT_LABELS[i]), "payload": f"/{i}"}
            for i in dict.fromkeys(wanted)]  # fmt: skip


def utter_answers(
    dispatcher: CollectingDispatcher, answers: Sequence[Answer], buttons: list[dict[str, str]]
) -> None:
    """One message per answer, each with its source and evidence; the buttons on the last."""
    for i, answer in enumerate(answers):
        extra: dict[str, Any] = {"buttons": buttons} if buttons and i == len(answers) - 1 else {}
        dispatcher.utter_message(text=answer_text(answer), evidence=answer.evidence(), **extra)


async def answer_question(
    dispatcher: CollectingDispatcher, question: str, tracker: Tracker | None = None
) -> list[EventType]:
    """Answer each question of ``question`` from the knowledge engine, or abstain.

    Sets the ``language`` slot and ``kefu_abstained``. The engine's errors
    (:class:`~knowledge.errors.OverloadedError` included) propagate to the calling action's
    boundary.
    """
    whole, answers = await engine_answers(question)
    if answers:
        utter_answers(dispatcher, answers, offers(tracker, answers) if tracker else [])
    else:
        dispatcher.utter_message(text=answer_text(whole), evidence=whole.evidence())
    return [SlotSet("language", detect_language(question)),
            SlotSet("kefu_abstained", not answers)]  # fmt: skip


class ActionAnswerPolicy(KefuAction):
    """Quote the passage that answers each question, with its source, or abstain."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_answer_policy"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask the knowledge service and utter its answers in the question's language."""
        return await answer_question(dispatcher, tracker.latest_message.get("text") or "", tracker)


class ActionOutOfScope(KefuAction):
    """NLU found the message out of scope: refuse, unless the store's documents surely answer."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_out_of_scope"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The engine's answers above the second-opinion bar, else the refusal."""
        if not await answered_from_documents(dispatcher, tracker):
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


async def answer_policy_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A form starts on a message that asks a policy question: answer it first.

    "I ordered a coat last week and it's on sale now, do I get the difference back?" opens
    the return form (NLU heard an order, and the shopper may well want to act on it); the
    engine's answer, as an ``ask_policy`` turn would get it, comes before the form's first
    question. Only when NLU also gave ``ask_policy`` at least :data:`POLICY_MIN` and the message
    asks a question; a request ("can you cancel…", an order id in the message) is left to the
    form. Nothing is said when the engine abstains: the form goes on.
    """
    text = tracker.latest_message.get("text") or ""
    last = split_questions(text)[-1].question
    names_order = any(
        e.get("entity") == "order_id" for e in tracker.latest_message.get("entities") or []
    )
    policy = max(
        (float(r.get("confidence") or 0.0)
         for r in tracker.latest_message.get("intent_ranking") or []
         if r.get("name") == "ask_policy"),
        default=0.0,
    )  # fmt: skip
    if policy < POLICY_MIN or not is_question(last) or names_order or is_request(last):
        return
    try:
        _, answers = await engine_answers(text)
    except KnowledgeError:
        log.warning("the question that started a form went unanswered", exc_info=True)
        return
    utter_answers(dispatcher, answers, [])


def is_request(question: str, order_id: str = "") -> bool:
    """Does this part of a message ask the bot to act (it names the order, or asks for help)?"""
    names_order = bool(order_id) and order_id.lower() in question.lower()
    return names_order or REQUEST_WORDS.search(question) is not None


def request_message(tracker: Tracker, form: str) -> tuple[str, bool]:
    """The message that started ``form`` (its last activation) and whether it was answered.

    '' when the form never started; answered when a reply of that turn carried an answer of
    the engine (:func:`answer_policy_first`).
    """
    events = tracker.events or []
    started = max(
        (i for i, e in enumerate(events)
         if e.get("event") == "active_loop" and e.get("name") == form),
        default=None,
    )  # fmt: skip
    if started is None:
        return "", False
    users = [i for i, e in enumerate(events[:started]) if e.get("event") == "user"]
    if not users:
        return "", False
    after = events[users[-1] + 1 :]
    turn = after[: next((i for i, e in enumerate(after) if e.get("event") == "user"), len(after))]
    answered = any(
        e.get("event") == "bot"
        and not ((e.get("metadata") or {}).get("evidence") or {"abstained": True})["abstained"]
        for e in turn
    )
    return str(events[users[-1]].get("text") or ""), answered


async def answer_the_rest(dispatcher: CollectingDispatcher, tracker: Tracker, form: str) -> None:
    """Answer the policy questions asked in the same message as the order request.

    "帮我查一下订单 KF10000001 到哪了？另外退货运费谁出？": after the tracking result, the
    return-shipping answer. The part holding the order id or a request ("帮我…", "can you…")
    is the request (when none does, nothing else is answered: no guessing which part it was);
    each other question the engine answers is answered, in order, once, at most
    :data:`MAX_QUESTIONS`; one it is not sure of is left out (the request was handled).
    """
    message, answered = request_message(tracker, form)
    parts = split_questions(message)
    if len(parts) < 2 or answered:
        return
    order_id = str(tracker.get_slot("order_id") or "")
    rest = [p for p in parts if not is_request(p.question, order_id)]
    if len(rest) == len(parts):  # which part was the request is unclear: do not guess
        return
    service = get_service()
    try:
        got = await asyncio.gather(
            *(service.answer_async(p.question) for p in rest[:MAX_QUESTIONS])
        )
    except KnowledgeError:
        log.warning("the questions asked with the order request went unanswered", exc_info=True)
        return
    utter_answers(dispatcher, distinct(got), [])


class StoreAction(KefuAction, ABC):
    """An action on a part of the store (``needs``) that a store may not have connected.

    Without it (a store that brought only its documents), the message is a question for the
    documents: answered from them as an ``ask_policy`` turn is, or abstained on with a person
    offered.
    """

    async def not_connected(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer the latest message from the store's documents."""
        return await answer_question(dispatcher, tracker.latest_message.get("text") or "", tracker)


class OrderRequestAction(StoreAction):
    """An action that ends an order form, then answers what else its request message asked."""

    needs = ("orders",)

    #: the form whose request message this action answers the rest of
    form: ClassVar[str]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The action's own work (``act``, at the boundary), then :func:`answer_the_rest`.

        A store without orders: the request message is answered from the documents, unless
        the form's first turn answered it already (:func:`answer_policy_first`).
        """
        if not connected("orders"):
            if request_message(tracker, self.form)[1]:
                return []
            return await super().run(dispatcher, tracker, domain)
        events = await super().run(dispatcher, tracker, domain)
        try:
            await answer_the_rest(dispatcher, tracker, self.form)
        except Exception:  # the order action's reply and events must reach the shopper
            log.exception("%s: answering the rest of the request failed", self.name())
        return events
