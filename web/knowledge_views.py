"""The console's knowledge pages: knowledge gaps with a drafted FAQ entry each, and kb-check.

Both run the knowledge engine's own code (``knowledge/gaps.py``, ``knowledge/kbcheck.py``)
in the web server: the matcher's encoder and the store's index load on the first request that
needs them (seconds, once), never at start-up. Results are kept for ``KEEP_S`` so agents
browsing the page do not recompute them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from common.lang import detect_language
from knowledge.gaps import Group, knowledge_gaps
from knowledge.tracker import Source

KEEP_S = 60.0
TOP_GROUPS = 30


class Engine(Protocol):
    """What the pages need of the knowledge engine (``knowledge.KnowledgeService``)."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Shopper questions -> unit vectors (the matcher's)."""

    def check_documents(self) -> dict[str, Any]:
        """The kb-check report of the store's documents, as JSON."""


class ServiceEngine:
    """The engine of this process's settings (``KEFU_*``), loaded on first use."""

    def __init__(self) -> None:
        self._service: Any = None

    @property
    def service(self) -> Any:
        """The knowledge service (cheap to construct; its encoder loads on first encode)."""
        if self._service is None:
            from knowledge.service import KnowledgeService
            from knowledge.settings import Settings

            self._service = KnowledgeService(Settings.from_env())
        return self._service

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Shopper questions -> the matcher's unit query vectors."""
        self.service.encoder.warm_up()
        vectors: np.ndarray = self.service.encoder.encode_queries(texts)
        return vectors

    def check_documents(self) -> dict[str, Any]:
        """kb-check on the store's documents (the built index; built if they changed)."""
        from knowledge.kbcheck import check

        built = self.service.build_index()
        report: dict[str, Any] = check(built.sentences, built.sentence_vectors).as_dict()
        return report


def draft_for(group: dict[str, Any]) -> dict[str, str]:
    """An FAQ entry drafted from a gap group (``Group.as_dict()``).

    Its commonest question in each language, and an agent's reply, where one took over, as
    the answer in the reply's language.
    """
    draft = dict.fromkeys(("question_zh", "answer_zh", "question_en", "answer_en"), "")
    by_lang: dict[str, Counter[str]] = {"zh": Counter(), "en": Counter()}
    for question in group["examples"]:
        by_lang[detect_language(question)][question] += 1
    for lang, counts in by_lang.items():
        if counts:
            draft[f"question_{lang}"] = counts.most_common(1)[0][0]
    for reply in group["agent_replies"]:
        key = f"answer_{detect_language(reply)}"
        draft[key] = draft[key] or reply
    return draft


class KnowledgeViews:
    """Knowledge gaps (from ``tracker``) and kb-check for the console; see the module doc."""

    def __init__(self, tracker: Source, engine: Engine | None = None) -> None:
        self.tracker = tracker
        self.engine: Engine = engine or ServiceEngine()
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, dict[str, Any]]] = {}

    def _kept_or(self, key: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            found = self._kept.get(key)
            if found is not None and time.monotonic() - found[0] < KEEP_S:
                return found[1]
            began = time.monotonic()
            value = make() | {"seconds": round(time.monotonic() - began, 2)}
            self._kept[key] = (time.monotonic(), value)
            return value

    def gaps(self, days: float) -> dict[str, Any]:
        """The top knowledge gaps of the last ``days`` days, each with a drafted FAQ entry."""

        def make() -> dict[str, Any]:
            groups: list[Group] = knowledge_gaps(self.engine.encode_queries, self.tracker, days)
            shown = []
            for rank, g in enumerate(groups[:TOP_GROUPS], 1):
                found = g.as_dict()
                shown.append(found | {"rank": rank, "draft": draft_for(found)})
            asked = sum(len(g.questions) for g in groups)
            return {"days": days, "groups": len(groups), "questions": asked, "gaps": shown}

        return self._kept_or(f"gaps:{days}", make)

    def kb_check(self) -> dict[str, Any]:
        """The knowledge-base checks of the store's documents."""
        return self._kept_or("kb-check", self.engine.check_documents)


def tracker_source(url: str) -> Path | str:
    """A tracker store URL as ``knowledge.tracker`` takes it (a SQLite file read-only)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and "?" not in url:
        return Path(url.removeprefix(prefix))
    return url
