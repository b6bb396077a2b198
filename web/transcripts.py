"""Conversations as agents and the widget see them, read from Rasa's SQL tracker store.

Rasa writes one row per event (``events``: sender_id, type_name, timestamp, intent_name,
action_name, data as JSON). This module only reads them: the shopper's messages with their
intent and confidence, kefu's answers with the evidence the action attached, slots (language,
handoff, abstention, the shopper's rating), Rasa's pause / resume (an agent's takeover), and
who sent each shopper message (the channels record whether the store's token vouched for it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from common.identity import shopper_for_sender
from knowledge.tracker import EVENTS, no_events_yet

EVENT_TYPES = ("user", "bot", "slot", "pause", "resume", "action")
MAX_CONVERSATIONS = 200


@dataclass
class Turn:
    """One thing that happened in a conversation, in the shape the console renders."""

    kind: str  # user | bot | agent | rating | takeover | handback | handoff
    timestamp: float
    text: str = ""
    intent: str = ""
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    message: dict[str, Any] = field(default_factory=dict)  # a bot message as the widget gets it
    cid: str = ""  # the widget's id for a shopper message (metadata.cid)
    identity: dict[str, Any] = field(default_factory=dict)  # a shopper message: who sent it


@dataclass
class Summary:
    """One conversation in the console's list."""

    sender: str
    started: float
    last: float
    messages: int = 0
    preview: str = ""
    language: str = ""
    handoff: bool = False
    paused: bool = False
    abstained: bool = False
    low_confidence: bool = False
    thumbs_down: bool = False
    verified: bool = False  # the store's signed token vouched for ``shopper``
    shopper: str = ""
    identity: str = ""  # "verified", or why the sender is a guest ("no token", "expired token")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with ISO times."""
        out = asdict(self)
        out["started_at"] = _iso(self.started)
        out["last_at"] = _iso(self.last)
        return out


@dataclass(frozen=True)
class Filters:
    """What the console's list asks for; ``None`` means any."""

    query: str = ""
    since: float | None = None
    until: float | None = None
    language: str | None = None
    handoff: bool | None = None
    abstained: bool | None = None
    low_confidence: bool | None = None
    thumbs_down: bool | None = None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _bot_message(data: dict[str, Any]) -> dict[str, Any]:
    """A stored bot event as the widget's channel sends it (bot/channels/socketio.py)."""
    extra = data.get("data") or {}
    meta = data.get("metadata") or {}
    out: dict[str, Any] = {"text": data.get("text") or "", "timestamp": data.get("timestamp")}
    buttons = extra.get("buttons") or extra.get("quick_replies")
    if buttons:
        out["buttons"] = buttons
    for key in ("products", "evidence", "agent"):
        if meta.get(key):
            out[key] = meta[key]
    return out


def turn_of(type_name: str, data: dict[str, Any]) -> Turn | None:
    """The console's view of one stored event (None for events agents need not see)."""
    ts = float(data.get("timestamp") or 0.0)
    if type_name == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        meta = data.get("metadata") or {}
        text = data.get("text") or ""
        shown = meta.get("shown") if isinstance(meta, dict) else None
        return Turn(
            "user",
            ts,
            text=str(shown) if shown and text.startswith("/") else text,
            intent=intent.get("name") or "",
            confidence=intent.get("confidence"),
            entities=[
                {"entity": e.get("entity"), "value": e.get("value")}
                for e in parse.get("entities") or []
            ],
            cid=str(meta.get("cid") or "") if isinstance(meta, dict) else "",
            identity=identity_of(data),
        )
    if type_name == "bot":
        message = _bot_message(data)
        kind = "agent" if message.get("agent") else "bot"
        return Turn(kind, ts, text=message["text"], message=message)
    if type_name == "slot" and data.get("name") == "answer_rating":
        value = data.get("value") or {}
        return Turn("rating", ts, text=str(value.get("rating", "")), message=value)
    if type_name == "slot" and data.get("name") == "handoff" and data.get("value") is True:
        return Turn("handoff", ts)
    if type_name == "pause":
        return Turn("takeover", ts)
    if type_name == "resume":
        return Turn("handback", ts)
    return None


def identity_of(user_event: dict[str, Any]) -> dict[str, Any]:
    """Who sent a stored shopper message, as the channel recorded it (``{}``: not recorded)."""
    meta = user_event.get("metadata")
    found = meta.get("identity") if isinstance(meta, dict) else None
    if not isinstance(found, dict):
        return {}
    return {
        "verified": found.get("verified") is True,
        "shopper": str(found.get("shopper") or ""),
        "reason": str(found.get("reason") or ""),
    }


def conversation_identity(sender: str, turns: list[Turn]) -> dict[str, Any]:
    """Whether a conversation's shopper was verified, from its latest recorded message.

    A conversation without a recorded identity (older than identity checks) is judged by its
    sender id, which the channels derive from the token (``common/identity.py``).
    """
    for turn in reversed(turns):
        if turn.kind == "user" and turn.identity:
            return turn.identity
    shopper = shopper_for_sender(sender)
    return {"verified": shopper is not None, "shopper": shopper or "",
            "reason": "verified" if shopper else "guest"}  # fmt: skip


def paused(turns: list[Turn]) -> bool:
    """Whether the bot is paused after ``turns`` (an agent has it, or a handoff waits)."""
    changes = [t.kind for t in turns if t.kind in ("takeover", "handback")]
    return bool(changes) and changes[-1] == "takeover"


class Transcripts:
    """Read conversations from the tracker store at ``url`` (any SQLAlchemy URL)."""

    def __init__(self, url: str, low_confidence: float = 0.6) -> None:
        self.url = url
        self.low_confidence = low_confidence
        self._engine: sa.Engine | None = None
        self._events = EVENTS

    @property
    def engine(self) -> sa.Engine:
        """Connect on first use."""
        if self._engine is None:
            self._engine = sa.create_engine(self.url)
        return self._engine

    def _rows(self, where: Any) -> list[tuple[str, str, dict[str, Any]]]:
        e = self._events
        query = (
            sa.select(e.c.sender_id, e.c.type_name, e.c.data)
            .where(e.c.type_name.in_(EVENT_TYPES), where)
            .order_by(e.c.id)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
            if no_events_yet(exc):  # nothing said to Rasa yet
                return []
            raise
        out = []
        for sender, type_name, data in rows:
            try:
                out.append((sender, type_name, json.loads(data or "{}")))
            except ValueError:
                continue
        return out

    def turns(self, sender: str) -> list[Turn]:
        """Every turn of one conversation, oldest first."""
        found = (turn_of(t, d) for _, t, d in self._rows(self._events.c.sender_id == sender))
        return [t for t in found if t is not None]

    def history(self, sender: str) -> dict[str, Any]:
        """What the widget shows after a reload: messages in order and the shopper's ratings."""
        messages: list[dict[str, Any]] = []
        ratings: dict[str, str] = {}
        for turn in self.turns(sender):
            if turn.kind == "user":
                user = {"from": "user", "text": turn.text, "timestamp": turn.timestamp}
                messages.append(user | {"cid": turn.cid})
            elif turn.kind in ("bot", "agent"):
                messages.append({"from": "bot", **turn.message})
            elif turn.kind == "rating" and turn.message.get("answer_ts") is not None:
                ratings[str(turn.message["answer_ts"])] = turn.text
        return {"messages": messages, "ratings": ratings}

    def conversations(self, filters: Filters = Filters()) -> list[Summary]:
        """The conversations matching ``filters``, latest activity first."""
        e = self._events
        where: sa.ColumnElement[bool] = sa.true()
        if filters.since is not None:
            where = sa.and_(where, e.c.timestamp >= filters.since)
        if filters.until is not None:
            where = sa.and_(where, e.c.timestamp < filters.until)
        summaries: dict[str, Summary] = {}
        texts: dict[str, list[str]] = {}
        for sender, type_name, data in self._rows(where):
            ts = float(data.get("timestamp") or 0.0)
            s = summaries.get(sender) or summaries.setdefault(sender, self._summary(sender, ts))
            s.last = max(s.last, ts)
            self._note(s, type_name, data, texts.setdefault(sender, []))
        wanted = [s for s in summaries.values() if self._matches(s, texts[s.sender], filters)]
        wanted.sort(key=lambda s: -s.last)
        return wanted[:MAX_CONVERSATIONS]

    @staticmethod
    def _summary(sender: str, ts: float) -> Summary:
        who = conversation_identity(sender, [])
        return Summary(sender, ts, ts, verified=who["verified"], shopper=who["shopper"],
                       identity=who["reason"])  # fmt: skip

    def _note(self, s: Summary, type_name: str, data: dict[str, Any], texts: list[str]) -> None:
        if type_name in ("user", "bot"):
            s.messages += 1
            texts.append(str(data.get("text") or ""))
        if type_name == "user":
            s.preview = s.preview or str(data.get("text") or "")[:80]
            confidence = ((data.get("parse_data") or {}).get("intent") or {}).get("confidence")
            if confidence is not None and confidence < self.low_confidence:
                s.low_confidence = True
            who = identity_of(data)
            if who:  # the latest message's identity stands for the conversation
                s.verified, s.shopper, s.identity = who["verified"], who["shopper"], who["reason"]
        elif type_name == "bot":
            evidence = (data.get("metadata") or {}).get("evidence") or {}
            s.abstained = s.abstained or bool(evidence.get("abstained"))
        elif type_name == "slot":
            name, value = data.get("name"), data.get("value")
            if name == "language" and value:
                s.language = str(value)
            elif name == "handoff" and value is True:
                s.handoff = True
            elif name == "kefu_abstained" and value is True:
                s.abstained = True
            elif name == "answer_rating" and isinstance(value, dict):
                s.thumbs_down = s.thumbs_down or value.get("rating") == "down"
        elif type_name in ("pause", "resume"):
            s.paused = type_name == "pause"

    @staticmethod
    def _matches(s: Summary, texts: list[str], f: Filters) -> bool:
        checks = [
            (f.language, s.language),
            (f.handoff, s.handoff),
            (f.abstained, s.abstained),
            (f.low_confidence, s.low_confidence),
            (f.thumbs_down, s.thumbs_down),
        ]
        if any(want is not None and want != got for want, got in checks):
            return False
        if f.query:
            q = f.query.casefold()
            return q in s.sender.casefold() or any(q in t.casefold() for t in texts)
        return True
