"""A tracker store's ``events`` table as Rasa's SQL store writes it, for tests that read one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = (
    "create table if not exists events (id integer primary key, sender_id text not null,"
    " type_name text not null, timestamp real, intent_name text, action_name text, data text)"
)


def events_db(path: Path, rows: list[tuple[str, str, float, dict[str, Any]]]) -> Path:
    """``path`` with ``(sender, type_name, timestamp, data)`` rows appended, in order (ids rise).

    As Rasa's ``SQLTrackerStore`` does, ``intent_name`` is a user message's intent and
    ``action_name`` the event's ``name`` (an action's, or a slot's).
    """
    with sqlite3.connect(path) as db:
        db.execute(SCHEMA)
        db.executemany(
            "insert into events (sender_id, type_name, timestamp, intent_name, action_name,"
            " data) values (?, ?, ?, ?, ?, ?)",
            [(s, t, ts, ((d.get("parse_data") or {}).get("intent") or {}).get("name"),
              d.get("name"), json.dumps({"event": t, "timestamp": ts} | d, ensure_ascii=False))
             for s, t, ts, d in rows],
        )  # fmt: skip
    return path
