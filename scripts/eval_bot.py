"""``make eval-bot``: held-out store questions through the whole bot -> reports/eval_bot.json.

Each question of ``eval/bot/questions.yaml`` (written apart from kefu's training data, never
trained on) is sent as a new guest conversation through Rasa's REST channel, as a shopper's
widget would: NLU, rules and forms, then an action. A reply passes when it holds every
``must`` group (any of its spellings, case-insensitive) and no ``must_not`` string; an
out-of-scope question (``expect: abstain``) passes when the bot abstains: the knowledge
engine answered nothing, and the policy action abstained or the turn ran a refusal, a
clarification or a handoff. The actions each turn ran, and the engine's evidence attached to
the replies (whichever action asked the engine), come from Rasa's tracker: a store question
whose turn never asked the engine counts as a routing error apart from a wrong answer.

Starts the stack on free ports (``deploy/stack.py``), or uses a running one with
``--rasa-url URL --rasa-token TOKEN``. ``--store DIR`` (``make eval-bot STORE=DIR``)
starts it on another store's folder and asks that store's held-out questions (``DIR/eval``).
Two held-out sets (:data:`SETS`), each written to its own report: ``reports/eval_bot.json``
and ``reports/eval_bot_fresh.json`` (pass rates per language and style, bot-level abstention
precision and recall, routing errors, latency, each question's reply and actions), with a PNG
beside each.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.stats import percentile
from deploy.stack import Stack, StackError, local_stack

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "bot" / "questions.yaml"
#: the held-out sets: report name -> questions. ``fresh`` was written later, by a second
#: helper, and read by nobody before the first run it measured (the first set had been read
#: while routing was being fixed).
SETS = {"eval_bot": QUESTIONS, "eval_bot_fresh": ROOT / "eval" / "bot" / "fresh.yaml"}
LANGS = ("zh", "en", "mixed")
#: turns that end in one of these did not answer: a refusal, "not sure", a handoff (offer)
ABSTAIN_ACTIONS = {
    "utter_out_of_scope",
    "action_out_of_scope",
    "utter_default",
    "action_clarify",
    "action_default_fallback",
    "action_handoff",
    "handoff_form",
    "utter_ask_handoff_topic",
}
QUIET_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}


@dataclass(frozen=True)
class Question:
    """One held-out question and what a right reply holds."""

    id: str
    lang: str
    style: str
    expect: str  # answer | abstain
    question: str
    must: tuple[tuple[str, ...], ...] = ()
    must_not: tuple[str, ...] = ()
    source: str = ""


@dataclass
class Result:
    """What the bot did with one question."""

    id: str
    lang: str
    style: str
    expect: str
    passed: bool
    abstained: bool
    reached_engine: bool
    actions: list[str] = field(default_factory=list)
    intent: str = ""
    reply: str = ""
    missing: list[list[str]] = field(default_factory=list)
    seconds: float = 0.0


def load(path: Path = QUESTIONS) -> list[Question]:
    """The questions of ``path`` (``eval/bot/questions.yaml``)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [
        Question(
            id=str(q["id"]),
            lang=str(q["lang"]),
            style=str(q["style"]),
            expect=str(q.get("expect", "answer")),
            question=str(q["question"]),
            must=tuple(tuple(str(s) for s in group) for group in q.get("must") or ()),
            must_not=tuple(str(s) for s in q.get("must_not") or ()),
            source=str(q.get("source", "")),
        )
        for q in raw
    ]


def store_set(store: Path) -> list[Question]:
    """A store's held-out engine questions (``<store>/eval``) as bot questions.

    An answerable one passes when the reply holds its gold answer or a whole sentence its
    writer named as answering too (``also``); an out-of-scope one when the bot abstains.
    """
    from knowledge.train.data import held_out_examples

    examples = held_out_examples(store / "eval")
    written = {}  # the language each out-of-scope question was written in (zh, en, mixed)
    oos_file = store / "eval" / "out_of_scope.yaml"
    if oos_file.exists():
        items = yaml.safe_load(oos_file.read_text(encoding="utf-8")) or []
        written = {str(q["question"]): str(q["lang"]) for q in items}
    out = []
    for n, e in enumerate(examples):
        qid = f"{store.name}-{n:03d}"
        if e.answer is None:
            lang = written.get(e.question, e.lang)
            out.append(Question(qid, lang, "out_of_scope", "abstain", e.question))
        else:
            must = ((e.answer.span, *e.also),)
            out.append(Question(qid, e.kind, "store", "answer", e.question, must, (), e.family))
    return out


def normalise(text: str) -> str:
    """Lower case, one space between words, the span marks 【】 gone: what ``must`` matches."""
    return re.sub(r"\s+", " ", text.replace("【", "").replace("】", "")).lower()


def grade(question: Question, reply: str, abstained: bool) -> tuple[bool, list[list[str]]]:
    """Did the reply pass; the ``must`` groups it lacks."""
    text = normalise(reply)
    if question.expect == "abstain":
        return abstained, []
    missing = [list(g) for g in question.must if not any(normalise(s) in text for s in g)]
    wrong = any(normalise(s) in text for s in question.must_not)
    return not missing and not wrong, missing


@dataclass(frozen=True)
class Turn:
    """What the bot did with the last user message, from Rasa's tracker."""

    intent: str
    actions: list[str]
    #: replies carried the knowledge engine's evidence (it was asked, whichever action asked)
    reached_engine: bool
    #: the engine answered (at least one reply with evidence that did not abstain)
    engine_answered: bool
    #: ``kefu_abstained`` was set true (the policy action abstained)
    policy_abstained: bool

    @property
    def abstained(self) -> bool:
        """No answer from the documents, and the policy abstained or the turn refused."""
        if self.engine_answered:
            return False
        return self.policy_abstained or any(a in ABSTAIN_ACTIONS for a in self.actions)


def turn(tracker: dict[str, Any]) -> Turn:
    """The last user turn's intent, the actions it ran, and what the engine said."""
    events = tracker.get("events", [])
    start = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    intent = ""
    if start >= 0:
        intent = (events[start].get("parse_data") or {}).get("intent", {}).get("name") or ""
    actions: list[str] = []
    abstained = False
    evidence: list[dict[str, Any]] = []
    for event in events[start + 1 :]:
        if event.get("event") == "action" and event.get("name") not in QUIET_ACTIONS:
            actions.append(str(event.get("name")))
        if event.get("event") == "slot" and event.get("name") == "kefu_abstained":
            abstained = bool(event.get("value"))
        if event.get("event") == "active_loop" and event.get("name"):
            actions.append(str(event.get("name")))
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("evidence"):
            evidence.append(event["metadata"]["evidence"])
    answered = any(not e.get("abstained") for e in evidence)
    return Turn(intent, actions, bool(evidence), answered, abstained)


def ask(stack: Stack, question: Question, run: str) -> Result:
    """Send one question as a new guest conversation and grade the reply."""
    sender = f"web-eval-{run}-{question.id}"
    start = time.perf_counter()
    replies = stack.post(question.question, sender)
    seconds = time.perf_counter() - start
    reply = "\n".join(m.get("text", "") for m in replies if m.get("text"))
    t = turn(stack.tracker(sender))
    passed, missing = grade(question, reply, t.abstained)
    return Result(
        question.id, question.lang, question.style, question.expect, passed, t.abstained,
        t.reached_engine, t.actions, t.intent, reply, missing, round(seconds, 3),
    )  # fmt: skip


def rate(results: Iterable[Result]) -> dict[str, float]:
    """Pass rate and count."""
    rows = list(results)
    passed = sum(r.passed for r in rows)
    return {"pass_rate": round(passed / len(rows), 4) if rows else 0.0, "n": len(rows)}


def summary(results: Sequence[Result]) -> dict[str, Any]:
    """The report's figures (everything but the per-question rows)."""
    by_lang = {lang: rate(r for r in results if r.lang == lang) for lang in LANGS}
    styles = sorted({r.style for r in results})
    by_style = {style: rate(r for r in results if r.style == style) for style in styles}
    store = [r for r in results if r.expect == "answer"]
    wrong_path = [r for r in store if not r.passed and not r.reached_engine]
    should = [r.expect == "abstain" for r in results]
    did = [r.abstained for r in results]
    true_pos = sum(s and d for s, d in zip(should, did, strict=True))
    ms = sorted(1000 * r.seconds for r in results)

    def pct(q: float) -> float:
        return round(percentile(ms, q), 1)

    actions: dict[str, int] = defaultdict(int)
    for r in wrong_path:
        actions[",".join(r.actions) or "(none)"] += 1
    return {
        "questions": len(results),
        "pass_rate": rate(results),
        "by_language": by_lang,
        "by_style": by_style,
        "store_questions": len(store),
        "routing_errors": {
            "rate": round(len(wrong_path) / len(store), 4) if store else 0.0,
            "n": len(wrong_path),
            "by_actions": dict(sorted(actions.items(), key=lambda kv: -kv[1])),
        },
        "wrong_answers_on_the_engine_path": sum(
            1 for r in store if not r.passed and r.reached_engine
        ),
        "abstention": {
            "precision": round(true_pos / sum(did), 4) if any(did) else 1.0,
            "recall": round(true_pos / sum(should), 4) if any(should) else 1.0,
            "abstained": sum(did),
            "out_of_scope": sum(should),
        },
        "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "max": pct(1.0)},
    }


def evaluate(stack: Stack, questions: Sequence[Question], workers: int = 2) -> dict[str, Any]:
    """Ask every question (``workers`` conversations at a time); the report."""
    run = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda q: ask(stack, q, run), questions))
    return summary(results) | {"results": [asdict(r) for r in results]}


def plot(report: dict[str, Any], path: Path) -> None:
    """Pass rate per language and per style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), width_ratios=(1, 3))
    langs = report["by_language"]
    left.bar(list(langs), [v["pass_rate"] for v in langs.values()], color="tab:blue")
    left.axhline(0.9, color="grey", lw=0.7, ls="--")
    left.set(ylim=(0, 1), title="pass rate by language", ylabel="share of questions")
    styles = report["by_style"]
    right.bar(list(styles), [v["pass_rate"] for v in styles.values()], color="tab:green")
    right.axhline(0.9, color="grey", lw=0.7, ls="--")
    right.set(ylim=(0, 1), title="pass rate by style")
    right.tick_params(axis="x", rotation=30)
    ab = report["abstention"]
    fig.suptitle(
        f"kefu through Rasa's REST channel: {report['questions']} held-out questions; routing "
        f"errors {report['routing_errors']['rate']:.0%}; abstention P={ab['precision']:.2f} "
        f"R={ab['recall']:.2f}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


class RunningStack(Stack):
    """A stack someone else started: its Rasa URL and API token."""

    def __init__(self, url: str, token: str) -> None:
        port = urllib.parse.urlsplit(url).port or 5005
        super().__init__(None, {"rasa": port}, Path(), Path(), token)


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation of each set on one stack; write each set's report and plot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), action="append",
                        help="only this held-out set (default: every set)")  # fmt: skip
    parser.add_argument("--rasa-url", help="a running stack's Rasa (e.g. http://127.0.0.1:5005)")
    parser.add_argument("--rasa-token", default="", help="its HTTP API token (KEFU_RASA_TOKEN)")
    parser.add_argument("--workers", type=int, default=2, help="conversations at a time")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--limit", type=int, help="only the first N questions (a smoke run)")
    parser.add_argument("--store", type=Path,
                        help="start the stack on this store folder (KEFU_DATA_DIR), ask "
                        "its held-out questions (<store>/eval): eval_bot_<name>.json")  # fmt: skip
    args = parser.parse_args(argv)
    env: dict[str, str] = {}
    files = dict(SETS)
    if args.store:
        store = args.store.resolve()
        env["KEFU_DATA_DIR"] = str(store)
        if not (store / "orders").is_dir():  # no demo orders: the store's orders not connected
            env["KEFU_ORDERS_URL"] = ""
        files = {f"eval_bot_{store.name}": store / "eval"}
        sets = {name: store_set(store)[: args.limit] for name in files}
    else:
        sets = {name: load(SETS[name])[: args.limit] for name in args.set or SETS}
    reports: dict[str, dict[str, Any]] = {}

    def run_all(stack: Stack) -> None:
        for name, questions in sets.items():
            started = time.perf_counter()
            reports[name] = evaluate(stack, questions, args.workers)
            reports[name]["seconds"] = round(time.perf_counter() - started, 1)

    try:
        if args.rasa_url:
            run_all(RunningStack(args.rasa_url, args.rasa_token))
        else:
            with (
                tempfile.TemporaryDirectory(prefix="kefu-eval-bot-") as tmp,
                local_stack(Path(tmp), env) as stack,
            ):
                run_all(stack)
    except StackError as exc:
        print(f"kefu eval-bot: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name, report in reports.items():
        where = files[name]
        shown = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
        report["questions_file"] = str(shown)
        report["how"] = "make eval-bot: " + " ".join(argv if argv is not None else sys.argv[1:])
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        (args.out / f"{name}.json").write_text(text, encoding="utf-8")
        plot(report, args.out / f"{name}.png")
        print(name, json.dumps({k: v for k, v in report.items() if k != "results"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
