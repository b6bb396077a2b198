"""How kefu did: the console's Overview, per day and per language, kept in a summary file.

Rasa's tracker store has one row per event; a store's year is millions of them, and grouping
them per conversation on every page view would not stay fast. So the events are read once,
in the order written (``events.id`` past a watermark; a summary of another tracker store, or
of one since recreated, is emptied and built again), and folded into a small summary
(SQLite, next to the console's corrections), which the Overview then aggregates in SQL:

- ``conversations``: one row per conversation (a Rasa session: it starts at
  ``session_started``): its day and language, shopper messages, kefu's answers, answers it
  declined, whether and why it was handed off, 👍 / 👎;
- ``replies``: kefu's reply times per day and language, as a histogram (``BUCKETS_MS``);
- ``intents``: shopper messages per day, language and intent.

Definitions (what the page and the CSV say):

- a conversation counts on the day it started, in the store's time zone (Beijing), in the
  language kefu first answered it in (``?`` before any answer);
- **answered by kefu**: kefu answered and nobody handed the conversation off;
- **handed off**, and why: *complaint* (the shopper complained in the last ``RECENT`` turns),
  *abstained* (kefu declined to answer in the last ``RECENT`` turns), *agent* (an agent took
  the conversation over from the console unasked: Rasa's pause came before the handoff), else
  *asked*;
- **reply time**: from a shopper's message to kefu's next message (an agent's messages and
  messages while an agent has the conversation are not kefu's);
- 👍 / 👎: the latest rating of each answer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import threading
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from common.clock import BEIJING
from knowledge.tracker import EVENTS, engine_for, no_events_yet

STORE_OFFSET_S = int(BEIJING.utcoffset(None).total_seconds())  # common/clock.py's store days
CHUNK = 20_000  # events read and folded per transaction
SETTLE_S = 5.0  # events younger than this wait for the next refresh (a commit still in flight)
RECENT = 3  # shopper turns within which a complaint or a declined answer explains a handoff
BUCKETS_MS = (50, 100, 150, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000,
              10_000, 15_000, 20_000, 30_000, 60_000, 120_000)  # fmt: skip
SLOTS = ("language", "handoff", "kefu_abstained", "answer_rating")
TYPES = ("user", "bot", "session_started", "pause", "resume")
READ = ("id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
TOP_INTENTS = 5
LANGS = ("zh", "en", "?")
SCHEMA = """
create table if not exists conversations (
  id integer primary key, sender text not null, started real not null, day text not null,
  lang text not null default '?', messages integer not null default 0,
  answers integer not null default 0, abstained integer not null default 0, handoff text,
  up integer not null default 0, down integer not null default 0,
  ratings text not null default '{}');
create index if not exists conversations_day on conversations (day, lang);
create table if not exists open_conversations (
  sender text primary key, conversation integer not null, state text not null);
create table if not exists replies (
  day text not null, lang text not null, bucket integer not null, n integer not null,
  primary key (day, lang, bucket));
create table if not exists intents (
  day text not null, lang text not null, intent text not null, n integer not null,
  primary key (day, lang, intent));
create table if not exists folded (tracker text not null, id integer not null);
"""
COUNTS = ("conversations", "messages", "answered", "handed_off", "handoff_asked",
          "handoff_abstained", "handoff_complaint", "handoff_agent", "abstained",
          "conversations_abstained", "thumbs_up", "thumbs_down")  # fmt: skip
COLUMNS = ("day", "lang", *COUNTS, "reply_p50_ms", "reply_p95_ms", "top_intents")


@lru_cache(maxsize=4096)
def _day_of(number: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=number)).isoformat()


def day_of(ts: float) -> str:
    """The store's calendar day (Beijing) of a Unix time."""
    return _day_of(int((ts + STORE_OFFSET_S) // 86400))


@dataclass
class Conversation:
    """One conversation being folded: its summary row and what the next events need."""

    id: int | None
    sender: str
    started: float
    day: str
    lang: str = "?"
    messages: int = 0
    answers: int = 0
    abstained: int = 0
    handoff: str | None = None
    ratings: dict[str, str] = field(default_factory=dict)
    # carried between events (open_conversations.state)
    turn: int = 0  # shopper messages so far
    pending: tuple[float, str] | None = None  # the unanswered message: time, intent
    complained: int = -99  # turn of the latest complaint
    declined: int = -99  # turn of kefu's latest declined answer
    paused: bool = False  # an agent has the conversation

    def decline(self) -> None:
        """The turn's question was declined (counted once, from the evidence or the slot)."""
        if self.declined != self.turn:
            self.declined = self.turn
            self.abstained += 1

    def state(self) -> str:
        """What the next refresh needs to go on with this conversation."""
        return json.dumps([self.turn, self.pending, self.complained, self.declined, self.paused])

    def row(self) -> tuple[Any, ...]:
        """The ``conversations`` row."""
        up = sum(1 for r in self.ratings.values() if r == "up")
        down = sum(1 for r in self.ratings.values() if r == "down")
        return (self.id, self.sender, self.started, self.day, self.lang, self.messages,
                self.answers, self.abstained, self.handoff, up, down,
                json.dumps(self.ratings))  # fmt: skip


class Fold:
    """Events in, summary rows out: what one refresh learns (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.open: dict[str, Conversation] = {}
        self.replies: dict[tuple[str, str, int], int] = {}
        self.intents: dict[tuple[str, str, str], int] = {}

    def conversation(self, sender: str, ts: float) -> Conversation:
        """The sender's open conversation (from this refresh, the summary, or a new one)."""
        found = self.open.get(sender) or self._load(sender)
        return found or self._begin(sender, ts)

    def _load(self, sender: str) -> Conversation | None:
        row = self.conn.execute(
            "select c.id, c.started, c.day, c.lang, c.messages, c.answers, c.abstained,"
            " c.handoff, c.ratings, o.state from open_conversations o join conversations c"
            " on c.id = o.conversation where o.sender = ?",
            (sender,),
        ).fetchone()
        if row is None:
            return None
        c = Conversation(row[0], sender, *row[1:8])
        c.ratings = json.loads(row[8])
        c.turn, pending, c.complained, c.declined, c.paused = json.loads(row[9])
        c.pending = (pending[0], pending[1]) if pending else None
        self.open[sender] = c
        return c

    def start(self, sender: str, ts: float) -> Conversation:
        """A new conversation for ``sender`` (the open one, if any, is finished)."""
        previous = self.open.get(sender) or self._load(sender)
        if previous is not None and previous.messages == 0:
            previous.started, previous.day = ts, day_of(ts)  # an empty session: reuse it
            return previous
        if previous is not None:
            self.settle(previous)
            self.save(previous)
        return self._begin(sender, ts)

    def _begin(self, sender: str, ts: float) -> Conversation:
        c = Conversation(None, sender, ts, day_of(ts))
        self.open[sender] = c
        return c

    def settle(self, c: Conversation, reply_at: float | None = None) -> None:
        """Count the pending shopper message's intent, and kefu's reply time if it replied."""
        if c.pending is None:
            return
        ts, intent = c.pending
        day = day_of(ts)
        key = (day, c.lang, intent or "?")
        self.intents[key] = self.intents.get(key, 0) + 1
        if reply_at is not None:
            bucket = bisect_right(BUCKETS_MS, max(0.0, reply_at - ts) * 1000)
            rkey = (day, c.lang, bucket)
            self.replies[rkey] = self.replies.get(rkey, 0) + 1
        c.pending = None

    def event(self, sender: str, kind: str, ts: float, intent: str | None,
              slot: str | None, raw: str | None) -> None:  # fmt: skip
        """Fold one event into its conversation."""
        if kind == "session_started":
            self.start(sender, ts)
            return
        c = self.conversation(sender, ts)
        if kind == "user":
            self.settle(c)  # the previous message got no reply from kefu
            c.messages += 1
            c.turn += 1
            if intent == "complain":
                c.complained = c.turn
            c.pending = (ts, intent or "")
            if c.paused:
                self.settle(c)  # an agent has it: not kefu's reply to time
        elif kind == "bot":
            meta = _json(raw).get("metadata") or {}
            if meta.get("agent"):
                return
            c.answers += 1
            if (meta.get("evidence") or {}).get("abstained"):
                c.decline()
            self.settle(c, reply_at=ts)
        elif kind == "pause":
            c.paused = True
            self.settle(c)
        elif kind == "resume":
            c.paused = False
        elif kind == "slot":
            self.slot(c, slot or "", _json(raw).get("value"))

    def slot(self, c: Conversation, name: str, value: Any) -> None:
        """A slot kefu's figures read: language, handoff, abstention, rating."""
        if c.turn == 0:
            return  # slots a new session carries over from the last: not this conversation's
        if name == "language" and value in ("zh", "en") and c.lang == "?":
            c.lang = str(value)
        elif name == "kefu_abstained" and value is True:
            c.decline()
        elif name == "handoff" and value is True and c.handoff is None:
            if c.turn - c.complained < RECENT:
                c.handoff = "complaint"
            elif c.turn - c.declined < RECENT:
                c.handoff = "abstained"
            elif c.paused:
                c.handoff = "agent"
            else:
                c.handoff = "asked"
        elif name == "answer_rating" and isinstance(value, dict):
            rating, answer = value.get("rating"), value.get("answer_ts")
            if rating in ("up", "down") and answer is not None:
                c.ratings[str(answer)] = str(rating)

    def save(self, c: Conversation) -> None:
        """Write a conversation's summary row (a new one gets its id)."""
        cur = self.conn.execute(
            "insert or replace into conversations (id, sender, started, day, lang, messages,"
            " answers, abstained, handoff, up, down, ratings) values"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            c.row(),
        )
        c.id = cur.lastrowid if c.id is None else c.id

    def flush(self) -> None:
        """Write what this refresh learnt (in the caller's transaction)."""
        for c in self.open.values():
            self.save(c)
        self.conn.executemany(
            "insert or replace into open_conversations (sender, conversation, state)"
            " values (?, ?, ?)",
            [(c.sender, c.id, c.state()) for c in self.open.values()],
        )
        self.conn.executemany(
            "insert into replies (day, lang, bucket, n) values (?, ?, ?, ?) on conflict"
            " (day, lang, bucket) do update set n = n + excluded.n",
            [(*k, n) for k, n in self.replies.items()],
        )
        self.conn.executemany(
            "insert into intents (day, lang, intent, n) values (?, ?, ?, ?) on conflict"
            " (day, lang, intent) do update set n = n + excluded.n",
            [(*k, n) for k, n in self.intents.items()],
        )
        self.replies.clear()
        self.intents.clear()


def _json(raw: str | None) -> dict[str, Any]:
    try:
        found = json.loads(raw or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def quantile(histogram: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (ms) of a reply-time histogram, interpolated within its bucket."""
    total = sum(histogram)
    if not total:
        return None
    rank = q * total
    seen = 0
    for bucket, n in enumerate(histogram):
        if n and seen + n >= rank:
            low = BUCKETS_MS[bucket - 1] if bucket else 0
            high = BUCKETS_MS[bucket] if bucket < len(BUCKETS_MS) else low * 2
            return round(low + (high - low) * (rank - seen) / n)
        seen += n
    return float(BUCKETS_MS[-1])


@dataclass
class Totals:
    """The figures of one day and language, or of a whole period."""

    conversations: int = 0
    messages: int = 0
    answered: int = 0
    handed_off: int = 0
    handoff_asked: int = 0
    handoff_abstained: int = 0
    handoff_complaint: int = 0
    handoff_agent: int = 0
    abstained: int = 0
    conversations_abstained: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    replies: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))
    intents: dict[str, int] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        """Add ``other``'s figures to these."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.replies = [a + b for a, b in zip(self.replies, other.replies, strict=True)]
        for intent, n in other.intents.items():
            self.intents[intent] = self.intents.get(intent, 0) + n

    def as_dict(self, top: int = TOP_INTENTS) -> dict[str, Any]:
        """JSON-ready, with the reply-time median and p95 and the top intents."""
        out = {name: getattr(self, name) for name in COUNTS}
        out["reply_p50_ms"] = quantile(self.replies, 0.5)
        out["reply_p95_ms"] = quantile(self.replies, 0.95)
        ranked = sorted(self.intents.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        out["top_intents"] = [{"intent": i, "messages": n} for i, n in ranked]
        return out


class Overview:
    """The summary of ``tracker`` (a SQLAlchemy URL, or a SQLite file) kept in ``path``."""

    def __init__(self, tracker: str | Path, path: Path, settle_s: float = SETTLE_S) -> None:
        self.tracker = tracker
        self.path = path
        self.settle_s = settle_s
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.executescript(SCHEMA)
        return conn

    @property
    def engine(self) -> sa.Engine:
        """The tracker store, connected on first use."""
        if self._engine is None:
            self._engine = engine_for(self.tracker)
        return self._engine

    def refresh(self, budget_s: float | None = None) -> bool:
        """Fold the events written since the last refresh; True when it caught up.

        ``budget_s`` stops it after about that long (the rest waits for the next call).
        Refreshes run one at a time; a second caller waits for the first.
        """
        began = time.monotonic()
        with self._lock, self._connect() as conn:
            mark = self._watermark(conn)
            while True:
                rows = self._events_after(mark)
                if not rows:
                    return True
                fold = Fold(conn)
                for _, sender, kind, ts, intent, action, raw in rows:
                    fold.event(sender, kind, float(ts or 0.0), intent, action, raw)
                fold.flush()
                mark = rows[-1][0]
                conn.execute("delete from folded")
                conn.execute("insert into folded (tracker, id) values (?, ?)", (self._key, mark))
                conn.commit()
                if len(rows) < CHUNK:
                    return True
                if budget_s is not None and time.monotonic() - began > budget_s:
                    return False

    @property
    def _key(self) -> str:
        """Which tracker store the summary is of (hashed: a URL may hold a password)."""
        return hashlib.sha256(str(self.tracker).encode()).hexdigest()[:16]

    def _watermark(self, conn: sqlite3.Connection) -> int:
        """The last event folded into the summary.

        0, the summary emptied, when it is of another store or of one since recreated (its
        events end before the watermark).
        """
        found = conn.execute("select tracker, id from folded").fetchone()
        if found is None:
            return 0
        tracker, mark = found
        if tracker == self._key and self._last_event_id() >= mark:
            return int(mark)
        for table in ("conversations", "open_conversations", "replies", "intents", "folded"):
            conn.execute(f"delete from {table}")
        conn.commit()
        return 0

    def _last_event_id(self) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or 0)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
            if no_events_yet(exc):
                return 0
            raise

    def _events_after(self, mark: int) -> list[Any]:
        e = EVENTS
        wanted = sa.or_(e.c.type_name.in_(TYPES),
                        sa.and_(e.c.type_name == "slot", e.c.action_name.in_(SLOTS)))  # fmt: skip
        query = (
            sa.select(*(getattr(e.c, name) for name in READ))
            .where(e.c.id > mark, wanted)
            .order_by(e.c.id)
            .limit(CHUNK)
        )
        try:
            with self.engine.connect() as conn:
                rows = list(conn.execute(query).all())
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
            if no_events_yet(exc):
                return []
            raise
        # Stop at the first event too young to be sure nothing before it is still being
        # written (another Rasa replica's commit): the watermark must never pass one.
        young = time.time() - self.settle_s
        for i, row in enumerate(rows):
            if (row[3] or 0.0) >= young:
                return rows[:i]
        return rows

    def figures(self, first: str, last: str, lang: str | None = None) -> dict[str, Any]:
        """The figures of days ``first``..``last`` (``YYYY-MM-DD``, Beijing, inclusive).

        Per day and language, per language, and in all; ``lang``: only that language.
        """
        where, args = "day between ? and ?", [first, last]
        if lang:
            where, args = where + " and lang = ?", [*args, lang]
        cells: dict[tuple[str, str], Totals] = {}

        def cell(day: str, lang: str) -> Totals:
            return cells.get((day, lang)) or cells.setdefault((day, lang), Totals())

        with self._connect() as conn:
            for day, lg, *counts in conn.execute(
                "select day, lang, count(*), sum(messages),"
                " sum(case when handoff is null and answers > 0 then 1 else 0 end),"
                " sum(handoff is not null), sum(handoff = 'asked'), sum(handoff = 'abstained'),"
                " sum(handoff = 'complaint'), sum(handoff = 'agent'), sum(abstained),"
                " sum(abstained > 0), sum(up),"
                f" sum(down) from conversations where messages > 0 and {where}"
                " group by day, lang", args,
            ):  # fmt: skip
                t = cell(day, lg)
                for name, n in zip(COUNTS, counts, strict=True):
                    setattr(t, name, int(n or 0))
            for day, lg, bucket, n in conn.execute(
                f"select day, lang, bucket, sum(n) from replies where {where}"
                " group by day, lang, bucket", args,
            ):  # fmt: skip
                cell(day, lg).replies[bucket] += int(n)
            for day, lg, intent, n in conn.execute(
                f"select day, lang, intent, sum(n) from intents where {where}"
                " group by day, lang, intent", args,
            ):  # fmt: skip
                cell(day, lg).intents[intent] = int(n)
        return _report(first, last, cells)

    def csv(self, first: str, last: str, lang: str | None = None) -> str:
        """The per-day, per-language figures as CSV (``COLUMNS``)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.figures(first, last, lang)["days"]:
            intents = " ".join(f"{i['intent']}:{i['messages']}" for i in row["top_intents"])
            writer.writerow([*(row[c] for c in COLUMNS[:-1]), intents])
        return out.getvalue()


def _report(first: str, last: str, cells: dict[tuple[str, str], Totals]) -> dict[str, Any]:
    by_lang: dict[str, Totals] = {}
    everything = Totals()
    for (_, lang), t in sorted(cells.items()):
        by_lang.setdefault(lang, Totals()).add(t)
        everything.add(t)
    return {
        "first": first,
        "last": last,
        "total": everything.as_dict(top=10),
        "languages": {lang: t.as_dict(top=10) for lang, t in sorted(by_lang.items())},
        "days": [{"day": d, "lang": lg} | t.as_dict() for (d, lg), t in sorted(cells.items())],
    }


def last_week(today: str | None = None) -> tuple[str, str]:
    """The seven days up to ``today`` (default: the store's today), first and last."""
    end = date.fromisoformat(today or day_of(time.time()))
    return (end - timedelta(days=6)).isoformat(), end.isoformat()
