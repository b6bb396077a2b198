"""What a change to the store's documents would change in kefu's answers, before it goes live.

``python -m knowledge what-changes OLD_DIR NEW_DIR [--tracker DB] [--days 30]``:

1. the documents that differ between the two store folders (``docs/`` and ``faq/``, by
   content), named as answers cite them (``en/returns.md``, ``faq.csv``);
2. the shoppers' questions of the last ``--days`` days (the SQLite tracker store, what ``make
   run`` keeps) whose answer cited one of them, or that kefu declined while one of them was
   among the passages it found;
3. each question answered again from OLD_DIR and from NEW_DIR, each prepared as serving would
   prepare it (``build_models``: the index, the store's adaptation, the decision; what is
   already built is reused); both today, so a difference comes from the documents alone;
4. the answers that differ (another sentence, or answered <-> declined), each with what the
   shopper was told then.

Exit 1 when some answer would change (a reviewer's cue), 0 when none.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from knowledge.tracker import stored_events
from knowledge.types import Answer

FOLDERS = ("docs", "faq")  # what answers cite, relative to these


def _files(store: Path) -> dict[str, str]:
    """Each document of ``store`` by the name answers cite it with, and its content's hash."""
    out = {}
    for folder in FOLDERS:
        root = store / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                out[path.relative_to(root).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return out


def changed_documents(old: Path, new: Path) -> list[str]:
    """Documents added, removed or edited between the two store folders."""
    before, after = _files(old), _files(new)
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


@dataclass(frozen=True)
class Asked:
    """A shopper's question and what kefu told them."""

    sender: str
    timestamp: float
    question: str
    told: str
    abstained: bool
    cited: str  # the document the answer cited ("" when kefu declined)
    shoppers: int = 1  # how many conversations asked it in these words


def asked_about(db: Path, documents: Iterable[str], since: float) -> list[Asked]:
    """Questions since ``since`` whose answer cited, or whose evidence held, ``documents``."""
    wanted = set(documents)
    found: list[Asked] = []
    last_user: dict[str, tuple[float, str]] = {}
    for sender, kind, ts, data in stored_events(db, since, ("user", "bot")):
        if kind == "user":
            last_user[sender] = (ts, str(data.get("text") or ""))
            continue
        evidence = (data.get("metadata") or {}).get("evidence") or {}
        if not evidence or sender not in last_user:
            continue
        source = (evidence.get("source") or {}).get("doc") or ""
        passages = {str(p.get("id", "")).split("#")[0] for p in evidence.get("passages") or []}
        if source in wanted or (evidence.get("abstained") and passages & wanted):
            when, question = last_user[sender]
            found.append(Asked(sender, when, question, str(data.get("text") or ""),
                               bool(evidence.get("abstained")), source))  # fmt: skip
    by_words: dict[str, Asked] = {}  # one per wording, counting the conversations that asked
    senders: dict[str, set[str]] = {}
    for a in found:
        by_words.setdefault(a.question, a)
        senders.setdefault(a.question, set()).add(a.sender)
    return [replace(a, shoppers=len(senders[q])) for q, a in by_words.items()]


@dataclass(frozen=True)
class Change:
    """One answer that the new documents would change."""

    question: str
    shoppers: int  # conversations that asked it
    told: str  # what the shopper was told then
    before: str  # today's answer from the old documents ("" when declined)
    after: str  # ... and from the new ones
    before_source: str
    after_source: str

    @property
    def kind(self) -> str:
        """``now answered``, ``now declined`` or ``another answer``."""
        if not self.before:
            return "now answered"
        if not self.after:
            return "now declined"
        return "another answer"


@dataclass
class Impact:
    """What the change would do: documents changed, questions re-asked, answers changed."""

    documents: list[str]
    asked: int = 0
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "documents": self.documents, "asked": self.asked,
            "changes": [asdict(c) | {"kind": c.kind} for c in self.changes],
        }  # fmt: skip

    def text(self) -> str:
        """The report as a reviewer reads it."""
        lines = [
            f"documents changed: {', '.join(self.documents) or 'none'}",
            f"{self.asked} recent questions (in different words) cited them; "
            f"{len(self.changes)} answers would change",
        ]
        for c in self.changes:
            lines += [f"\n[{c.kind}] {c.question} ({c.shoppers} conversations)",
                      f"  before: {c.before or '(declined)'}",
                      f"  after:  {c.after or '(declined)'}"]  # fmt: skip
        return "\n".join(lines)


def _said(answer: Answer) -> tuple[str, str]:
    if answer.abstained:
        return "", ""
    return answer.sentence, answer.source.doc if answer.source else ""


def compare(
    questions: Sequence[Asked], old: Sequence[Answer], new: Sequence[Answer]
) -> list[Change]:
    """The questions whose answer differs between ``old`` and ``new``."""
    out = []
    for asked, a, b in zip(questions, old, new, strict=True):
        (before, before_source), (after, after_source) = _said(a), _said(b)
        if before != after:
            out.append(Change(asked.question, asked.shoppers, asked.told, before, after,
                              before_source, after_source))  # fmt: skip
    return out


def answered_from(settings: Settings, store: Path, questions: list[str]) -> list[Answer]:
    """``questions`` answered from ``store`` as serving would prepare it."""
    from knowledge.train.build import build_models

    store_settings = replace(settings, data_dir=store.resolve())
    build_models(store_settings)
    service = KnowledgeService(store_settings)
    service.warm_up()
    return service.answer_batch(questions)


def what_changes(
    settings: Settings, old: Path, new: Path, tracker: Path, days: float = 30.0
) -> Impact:
    """The whole check (see the module docstring)."""
    impact = Impact(changed_documents(old, new))
    if not impact.documents:
        return impact
    asked = asked_about(tracker, impact.documents, time.time() - days * 86400)
    impact.asked = len(asked)
    if asked:
        questions = [a.question for a in asked]
        before = answered_from(settings, old, questions)
        after = answered_from(settings, new, questions)
        impact.changes = compare(asked, before, after)
    return impact
