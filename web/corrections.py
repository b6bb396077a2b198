"""Agents' corrections and FAQ drafts, kept in a small SQLite file, exported as reviewable files.

A correction says what kefu should have done with one shopper message: the right intent (it
becomes an NLU example for ``bot/data`` and a test story for ``bot/tests``) or the right answer
(an FAQ entry in ``data/faq/faq.csv``'s format, for the knowledge base). An FAQ draft is a new
entry an agent writes from a knowledge gap (``web/knowledge_views.py``), in zh and en; once the
agent approves it, it is exported with the corrections' FAQ rows. Exports are files an
engineer reviews and copies in; nothing here edits the project's data.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, astuple, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from common.privacy import Redactor
from web.http import SENDER

KINDS = ("intent", "answer")
MAX_TEXT = 2000
DRAFT_FIELDS = ("question_zh", "answer_zh", "question_en", "answer_en")


@dataclass(frozen=True)
class Correction:
    """One agent's correction of one shopper message."""

    id: int
    sender: str
    message_ts: float
    kind: str  # intent | answer
    text: str  # the shopper's message
    wrong: str  # what kefu did: its intent or its answer
    right: str  # the right intent or answer
    lang: str
    agent: str
    created: float


@dataclass(frozen=True)
class FaqDraft:
    """A new FAQ entry, in zh and en, an agent drafted from a knowledge gap."""

    id: int
    question_zh: str
    answer_zh: str
    question_en: str
    answer_en: str
    topic: str
    approved: bool  # reviewed: exported with the FAQ rows
    agent: str
    updated: float
    asked_by: str = ""  # the conversations that asked, space-separated (for the reviewer)

    def rows(self) -> list[list[str]]:
        """``data/faq/faq.csv`` rows, one per language (twin ids: ``faq-zh-gap-N``, ``-en-``)."""
        return [
            [f"faq-{lang}-gap-{self.id}", lang, question, answer, self.topic or "agent"]
            for lang, question, answer in (("zh", self.question_zh, self.answer_zh),
                                           ("en", self.question_en, self.answer_en))
            if question and answer
        ]  # fmt: skip


class CorrectionError(ValueError):
    """A correction that cannot be recorded (says why)."""


class Corrections:
    """The corrections file (created on first use)."""

    def __init__(
        self, path: Path, intents: set[str] | None = None, redactor: Redactor | None = None
    ) -> None:
        self.path = path
        self.intents = intents or set()
        self.redactor = redactor or Redactor.from_env()
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path)
        conn.execute(
            "create table if not exists corrections (id integer primary key, sender text,"
            " message_ts real, kind text, text text, wrong text, right text, lang text,"
            " agent text, created real)"
        )
        conn.execute(
            "create table if not exists faq_drafts (id integer primary key, question_zh text,"
            " answer_zh text, question_en text, answer_en text, topic text, approved integer,"
            " agent text, updated real, asked_by text)"
        )
        return conn

    def add(
        self, sender: str, message_ts: float, kind: str, text: str, wrong: str, right: str,
        lang: str, agent: str,
    ) -> Correction:  # fmt: skip
        """Record a correction; raises :class:`CorrectionError` when it makes no sense."""
        # Stored and exported without personal data (an agent may paste some in).
        text = self.redactor.text(" ".join(text.split())[:MAX_TEXT])
        right = self.redactor.text(right.strip()[:MAX_TEXT])
        wrong = self.redactor.text(wrong[:MAX_TEXT])
        if kind not in KINDS:
            raise CorrectionError(f"kind must be one of {KINDS}")
        if not text or not right:
            raise CorrectionError("both the shopper's message and the correction are needed")
        if kind == "intent" and self.intents and right not in self.intents:
            raise CorrectionError(f"unknown intent {right!r}")
        lang = lang if lang in ("zh", "en") else "zh"
        row = (sender, message_ts, kind, text, wrong, right, lang, agent, time.time())
        with self._lock, self._connect() as conn:
            cur = conn.execute(
                "insert into corrections (sender, message_ts, kind, text, wrong, right, lang,"
                " agent, created) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            assert cur.lastrowid is not None
            return Correction(cur.lastrowid, *row)

    def all(self) -> list[Correction]:
        """Every correction, oldest first."""
        with self._lock, self._connect() as conn:
            rows = conn.execute("select * from corrections order by id").fetchall()
        return [Correction(*r) for r in rows]

    def as_dicts(self) -> list[dict[str, Any]]:
        """Every correction, JSON-ready."""
        return [asdict(c) for c in self.all()]

    def save_draft(
        self, entry: dict[str, Any], agent: str, draft_id: int | None = None
    ) -> FaqDraft:
        """Create (or, with ``draft_id``, update) an FAQ draft from ``entry``'s fields.

        ``DRAFT_FIELDS``, ``topic``, ``approved`` (True: reviewed, exported; needs zh and en)
        and ``asked_by`` (the conversations it answers). Raises :class:`CorrectionError`.
        """
        texts = {k: self.redactor.text(str(entry.get(k) or "").strip()[:MAX_TEXT])
                 for k in DRAFT_FIELDS}  # fmt: skip
        topic = " ".join(str(entry.get("topic") or "").split())[:40]
        approved = entry.get("approved") is True
        if not any(texts[f"question_{lang}"] and texts[f"answer_{lang}"] for lang in ("zh", "en")):
            raise CorrectionError("write a question and its answer, in zh or en")
        if approved and not all(texts.values()):
            raise CorrectionError(
                "to approve, write the question and the answer in both zh and en: "
                "a fact in one language only answers half the shoppers"
            )
        asked_by = " ".join(str(s) for s in entry.get("asked_by") or [] if SENDER.fullmatch(str(s)))
        draft = FaqDraft(0, **texts, topic=topic, approved=approved, agent=agent,
                         updated=time.time(), asked_by=asked_by[:4000])  # fmt: skip
        row = astuple(draft)[1:]
        with self._lock, self._connect() as conn:
            if draft_id is None:
                cur = conn.execute(
                    "insert into faq_drafts (question_zh, answer_zh, question_en, answer_en,"
                    " topic, approved, agent, updated, asked_by)"
                    " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                assert cur.lastrowid is not None
                draft_id = cur.lastrowid
            elif not conn.execute(
                "update faq_drafts set question_zh = ?, answer_zh = ?, question_en = ?,"
                " answer_en = ?, topic = ?, approved = ?, agent = ?, updated = ?, asked_by = ?"
                " where id = ?",
                (*row, draft_id),
            ).rowcount:
                raise CorrectionError(f"no FAQ draft {draft_id}")
        return replace(draft, id=draft_id)

    def drafts(self) -> list[FaqDraft]:
        """Every FAQ draft, oldest first."""
        with self._lock, self._connect() as conn:
            rows = conn.execute(
                "select id, question_zh, answer_zh, question_en, answer_en, topic, approved,"
                " agent, updated, asked_by from faq_drafts order by id"
            ).fetchall()
        names = [f.name for f in fields(FaqDraft)]
        found = [FaqDraft(**dict(zip(names, r, strict=True))) for r in rows]
        return [replace(d, approved=bool(d.approved)) for d in found]

    def export(self, name: str) -> str:
        """``nlu.yml``, ``stories.yml`` or ``faq.csv`` (with the approved FAQ drafts)."""
        if name == "faq.csv":
            return faq_csv(self.all(), [d for d in self.drafts() if d.approved])
        exporters = {"nlu.yml": nlu_yaml, "stories.yml": stories_yaml}
        if name not in exporters:
            raise CorrectionError(f"no export named {name!r}; one of {sorted(exporters)}")
        return exporters[name](self.all())


def _header(what: str) -> str:
    return f"# {what} from agents' corrections in the kefu console; review before copying.\n"


def nlu_yaml(corrections: list[Correction]) -> str:
    """Rasa NLU training examples (``bot/data``) for the intent corrections."""
    by_intent: dict[str, list[str]] = {}
    for c in corrections:
        if c.kind == "intent" and c.text not in by_intent.setdefault(c.right, []):
            by_intent[c.right].append(c.text)
    nlu = [
        {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)}
        for intent, texts in sorted(by_intent.items())
    ]
    body = yaml.dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False)
    return _header("NLU examples for bot/data/") + body


def stories_yaml(corrections: list[Correction]) -> str:
    """Test stories (``bot/tests``): each corrected message must be understood as the agent says."""
    stories = [
        {
            "story": f"correction {c.id} by {c.agent} ({_day(c.created)}, {c.lang})",
            "steps": [{"user": c.text, "intent": c.right}],
        }
        for c in corrections
        if c.kind == "intent"
    ]
    body = yaml.dump({"version": "3.1", "stories": stories}, allow_unicode=True, sort_keys=False)
    return _header("Test stories for bot/tests/") + body


def faq_csv(corrections: list[Correction], drafts: Sequence[FaqDraft] = ()) -> str:
    """FAQ rows in ``data/faq/faq.csv``'s columns: answer corrections, then approved drafts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "lang", "question", "answer", "topic"])
    for c in corrections:
        if c.kind == "answer":
            writer.writerow([f"faq-{c.lang}-agent-{c.id}", c.lang, c.text, c.right, "agent"])
    for draft in drafts:
        writer.writerows(draft.rows())
    return out.getvalue()


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
