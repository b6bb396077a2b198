"""The store's clock: Beijing time, and the hours human agents are on duty.

Defined once for both Python environments: the handoff action and the actions' wording
(``actions/texts.py``) in the app's, the channels' guard replies (``bot/channels/guard.py``) in
Rasa's. Standard library only, Python 3.10 compatible.

Store times (the order store's timestamps) are naive UTC; :func:`to_beijing` reads those as UTC
and aware datetimes in their own zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # China has no daylight saving time
OPENS, CLOSES = 9, 21  # human agents are on duty 9:00-21:00 Beijing time, every day
AGENT_HOURS = f"{OPENS}:00-{CLOSES}:00"  # as the shopper reads it, in either language


def now_beijing() -> datetime:
    """The time now in Beijing (aware)."""
    return datetime.now(BEIJING)


def to_beijing(at: datetime) -> datetime:
    """``at`` in Beijing time (aware); a naive ``at`` is a store time, in UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)  # noqa: UP017 (datetime.UTC is 3.11+)
    return at.astimezone(BEIJING)


def beijing_date(at: datetime) -> date:
    """The Beijing calendar date of ``at`` (naive: a UTC store time)."""
    return to_beijing(at).date()


def is_open(now: datetime | None = None) -> bool:
    """Whether human agents are on duty at ``now`` (default: now)."""
    return OPENS <= to_beijing(now or now_beijing()).hour < CLOSES
