"""The shoppers' conversations as Rasa's SQLite tracker store keeps them (``make run``'s).

What the command-line reports read (``what-changes``, ``gaps``): the ``events`` table, one row
per event, in the order written, opened read-only. The console reads the same table through
SQLAlchemy (``web/transcripts.py``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def stored_events(
    db: Path, since: float, types: Sequence[str]
) -> Iterator[tuple[str, str, float, dict[str, Any]]]:
    """``(sender, type_name, timestamp, data)`` of the events of ``types`` since ``since``.

    Nothing when the store has no conversation yet (no ``events`` table).
    """
    marks = ", ".join("?" * len(types))
    query = (
        "select sender_id, type_name, timestamp, data from events "
        f"where type_name in ({marks}) and timestamp >= ? order by id"
    )
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            rows = conn.execute(query, (*types, since)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return
            raise
    for sender, kind, ts, raw in rows:
        yield sender, kind, float(ts), json.loads(raw or "{}")
