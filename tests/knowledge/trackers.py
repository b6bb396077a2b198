"""A tracker store's ``events`` table as Rasa's SQL store writes it, for tests that read one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def events_db(path: Path, rows: list[tuple[str, str, float, dict[str, Any]]]) -> Path:
    """``path`` holding ``(sender, type_name, timestamp, data)`` rows, in order (ids rise)."""
    with sqlite3.connect(path) as db:
        db.execute(
            "create table events (id integer primary key, sender_id text, type_name text, "
            "timestamp real, data text)"
        )
        db.executemany(
            "insert into events (sender_id, type_name, timestamp, data) values (?, ?, ?, ?)",
            [(s, t, ts, json.dumps({"timestamp": ts} | d, ensure_ascii=False))
             for s, t, ts, d in rows],
        )  # fmt: skip
    return path
