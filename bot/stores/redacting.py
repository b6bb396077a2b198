"""Rasa's SQL tracker store, redacting personal data from every event before it is written.

Phone numbers, e-mail addresses, ID-card and bank-card numbers and street addresses in what
shoppers and kefu say (texts, parsed entities, slot values) are stored as markers such as
``[PHONE]``; ``KEFU_REDACT`` picks the kinds (``common/privacy.py``, the same rules the action
server and the console use). The current turn still sees the real text: only what is written
is redacted. Slots that must outlive a turn hold no personal data (the address form takes the
address last and uses it in the same turn).

endpoints.yml: ``tracker_store: {type: stores.redacting.RedactingSQLTrackerStore, dialect:
sqlite, db: ...}`` (any option of Rasa's ``SQL`` store). ``make run`` writes that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

from common.privacy import Redactor  # the repository root is on PYTHONPATH (scripts/lib.sh)


class _Redacted:
    """An event as the store writes it: its type name and its redacted dictionary."""

    def __init__(self, event: Any, redactor: Redactor) -> None:
        self.type_name = event.type_name
        self._event = event
        self._redactor = redactor

    def as_dict(self) -> dict[str, Any]:
        data = self._event.as_dict()
        return {
            key: value
            if key in ("event", "timestamp", "name", "policy")
            else self._redactor.value(value)
            for key, value in data.items()
        }


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that writes redacted events (reads are unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redactor = Redactor.from_env()

    def _additional_events(self, session: Any, tracker: Any) -> Iterator:
        events = tracker.events if getattr(tracker, "kefu_append", False) else None
        for event in events or super()._additional_events(session, tracker):
            yield _Redacted(event, self.redactor)

    async def append(self, sender_id: str, events: list[Any]) -> None:
        """Write ``events`` after what ``sender_id``'s conversation holds, without reading it.

        For the channels' "busy" turns (``channels/admission.py``): a save costs a read of the
        whole conversation, which a process past capacity cannot spare. The caller holds the
        conversation's lock, so no turn writes in between.
        """
        from rasa.shared.core.trackers import DialogueStateTracker

        tracker = DialogueStateTracker.from_events(sender_id, events)
        tracker.kefu_append = True  # type: ignore[attr-defined]
        await self.save(tracker)
