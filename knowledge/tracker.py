"""The shoppers' conversations as Rasa's SQL tracker store keeps them.

What the reports read (``what-changes``, ``gaps``, the console's knowledge gaps): the
``events`` table, one row per event, in the order written. ``source`` is the SQLite file
``make run`` writes (opened read-only) or any SQLAlchemy URL (the scaled mode's Postgres).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)
Source = Path | str | sa.Engine  # a SQLite file, a SQLAlchemy URL, or an engine to share


def engine_for(source: Path | str) -> sa.Engine:
    """An engine for a tracker store: a SQLite file (read-only) or a SQLAlchemy URL."""
    if isinstance(source, Path):
        return sa.create_engine(f"sqlite:///file:{source}?mode=ro&uri=true")
    return sa.create_engine(source)


def no_events_yet(exc: sa.exc.DBAPIError) -> bool:
    """Whether ``exc`` says the store has no ``events`` table (nobody has talked to Rasa yet)."""
    text = str(exc).lower()
    return "no such table" in text or ("events" in text and "does not exist" in text)


def stored_events(
    source: Source, since: float, types: Sequence[str]
) -> Iterator[tuple[str, str, float, dict[str, Any]]]:
    """``(sender, type_name, timestamp, data)`` of the events of ``types`` since ``since``.

    Nothing when the store has no conversation yet (no ``events`` table).
    """
    engine = source if isinstance(source, sa.Engine) else engine_for(source)
    query = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.type_name.in_(types), EVENTS.c.timestamp >= since)
        .order_by(EVENTS.c.id)
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        if no_events_yet(exc):
            return
        raise
    finally:
        if not isinstance(source, sa.Engine):
            engine.dispose()
    for sender, kind, ts, raw in rows:
        yield sender, kind, float(ts or 0.0), json.loads(raw or "{}")
