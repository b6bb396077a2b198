"""Knowledge gaps: what shoppers asked that kefu could not answer well, grouped by meaning.

``python -m knowledge gaps [--tracker DB] [--days 7] [--json F]`` reads the conversations of
the last days from the SQLite tracker store and keeps each shopper question that

- kefu **declined** (its answer's evidence says it abstained),
- got a **👎** (the ``answer_rating`` slot points at the answer's timestamp), or
- was **handed off** to a person (the ``handoff`` slot; the question is the shopper's last
  message before it that is not itself the request for a person; a complaint handed off is
  kefu doing its job, not a gap in what it knows);

with, where an agent took the conversation over, the agent's first reply after it. The
questions are encoded by kefu's matcher (query vectors) and grouped by meaning with
scikit-learn's agglomerative clustering (average linkage on cosine distance, cut at
``DISTANCE``). Groups are ranked by how many conversations asked; each keeps its example
messages, its conversations and the agents' replies, from which an FAQ entry is drafted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.lang import detect_language
from knowledge.tracker import Source, stored_events

DISTANCE = 0.5  # cosine distance at which two groups stop merging (matched zh and en
# phrasings of one question are 0.3-0.6 apart: the matcher aligns the languages weakly)
# a request for a person, or yes / no to kefu's offer of one, is not the question itself
HANDOFF_INTENTS = ("human_handoff", "affirm", "deny")
NOT_GAPS = ("complain",)  # handed off after these, kefu did what it should
TWIN_GROUPS = 0.25  # centroid cosine of a zh group and its en twin: 0.27-0.45 on a development
# set of 6 topics (tests/knowledge/test_gaps.py's DEV), other topics' pairs at most 0.11
EXAMPLES = 5


@dataclass(frozen=True)
class Gap:
    """One shopper question kefu did not answer well."""

    sender: str
    timestamp: float
    question: str
    why: str  # declined | thumbs_down | handed_off
    agent_reply: str = ""


@dataclass
class Group:
    """Questions that mean the same thing, and what is known about them."""

    questions: list[Gap] = field(default_factory=list)

    @property
    def conversations(self) -> list[str]:
        """The conversations that asked (each once), latest first."""
        latest: dict[str, float] = {}
        for g in self.questions:
            latest[g.sender] = max(latest.get(g.sender, 0.0), g.timestamp)
        return sorted(latest, key=lambda s: -latest[s])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: counts, reasons, examples, conversations, the agents' replies."""
        reasons: dict[str, int] = {}
        for g in self.questions:
            reasons[g.why] = reasons.get(g.why, 0) + 1
        examples = list(dict.fromkeys(g.question for g in self.questions))[:EXAMPLES]
        replies = list(dict.fromkeys(g.agent_reply for g in self.questions if g.agent_reply))
        return {
            "shoppers": len(self.conversations), "asked": len(self.questions), "why": reasons,
            "examples": examples, "conversations": self.conversations, "agent_replies": replies,
        }  # fmt: skip


def gaps_in(db: Source, since: float) -> list[Gap]:
    """The questions kefu declined, got 👎 on or handed off since ``since`` (module docstring)."""
    by_sender: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for sender, kind, _, data in stored_events(db, since, ("user", "bot", "slot", "pause")):
        by_sender.setdefault(sender, []).append((kind, data))
    out: list[Gap] = []
    for sender, events in by_sender.items():
        out += _conversation_gaps(sender, events)
    return out


def _conversation_gaps(sender: str, events: list[tuple[str, dict[str, Any]]]) -> list[Gap]:
    found: dict[int, str] = {}  # position of the user message -> why
    last_user = last_question = -1
    answered_by: dict[float, int] = {}  # a bot answer's timestamp -> the user message it answered
    for i, (kind, data) in enumerate(events):
        if kind == "user":
            last_user = i
            if _intent(data) not in HANDOFF_INTENTS:
                last_question = i
        elif kind == "bot" and last_user >= 0:
            answered_by[float(data.get("timestamp") or 0.0)] = last_user
            evidence = (data.get("metadata") or {}).get("evidence") or {}
            if evidence.get("abstained"):
                found.setdefault(last_user, "declined")
        elif kind == "slot" and data.get("name") == "handoff" and data.get("value") is True:
            if last_question >= 0 and _intent(events[last_question][1]) not in NOT_GAPS:
                found.setdefault(last_question, "handed_off")
        elif kind == "slot" and data.get("name") == "answer_rating":
            value = data.get("value") or {}
            if isinstance(value, dict) and value.get("rating") == "down":
                asked = answered_by.get(float(value.get("answer_ts") or -1.0))
                if asked is not None:
                    found[asked] = "thumbs_down"
    out = []
    for position, why in sorted(found.items()):
        data = events[position][1]
        out.append(Gap(sender, float(data.get("timestamp") or 0.0), str(data.get("text") or ""),
                       why, _agent_reply(events[position + 1 :])))  # fmt: skip
    return out


def _agent_reply(after: list[tuple[str, dict[str, Any]]]) -> str:
    """The agent's first reply to a question, from the events ``after`` it.

    Only when the question is the one a person was called to: another question before the
    handoff (or takeover) means the agent answered that one.
    """
    called = False
    for kind, data in after:
        if kind == "user" and not called and _intent(data) not in HANDOFF_INTENTS:
            return ""
        if kind == "pause" or (kind == "slot" and data.get("name") == "handoff"
                               and data.get("value") is True):  # fmt: skip
            called = True
        elif kind == "bot" and (data.get("metadata") or {}).get("agent"):
            return str(data.get("text") or "")
    return ""


def _intent(user_event: dict[str, Any]) -> str | None:
    found = ((user_event.get("parse_data") or {}).get("intent") or {}).get("name")
    return str(found) if found else None


def group(gaps: Sequence[Gap], vectors: np.ndarray, distance: float = DISTANCE) -> list[Group]:
    """``gaps`` grouped by meaning (``vectors``: one unit vector each), most shoppers first.

    Clustered within ``distance``, then a zh group and an en group that are each other's
    closest in the other language (centroid cosine >= ``TWIN_GROUPS``) become one.
    """
    if not gaps:
        return []
    if len(gaps) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
        ).fit_predict(vectors)
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(int(label), []).append(i)
    joined = _join_languages(list(members.values()), vectors, [detect_language(g.question)
                                                               for g in gaps])  # fmt: skip
    groups = [Group([gaps[i] for i in sorted(rows)]) for rows in joined]
    return sorted(groups, key=lambda g: (-len(g.conversations), -len(g.questions)))


def _join_languages(
    groups: list[list[int]], vectors: np.ndarray, langs: Sequence[str]
) -> list[list[int]]:
    """Join mutually closest zh-only and en-only groups, one pair at a time.

    A joined group joins nothing more: a group that mixed two questions in one language
    would otherwise pull the other language's twin of each in.
    """
    while True:
        lang = [langs[g[0]] if len({langs[i] for i in g}) == 1 else f"mixed{k}"
                for k, g in enumerate(groups)]  # fmt: skip
        centroids = np.stack([vectors[g].mean(axis=0) for g in groups])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9
        cos = centroids @ centroids.T
        one = np.array([lg in ("zh", "en") for lg in lang])
        cos[np.equal.outer(lang, lang) | ~np.outer(one, one)] = -1.0  # zh-only with en-only
        best = cos.argmax(axis=1)
        pairs = [(float(cos[i, j]), i, int(j)) for i, j in enumerate(best)
                 if i < j and best[j] == i and cos[i, j] >= TWIN_GROUPS]  # fmt: skip
        if not pairs:
            return groups
        _, i, j = max(pairs)
        groups = [g for k, g in enumerate(groups) if k not in (i, j)] + [groups[i] + groups[j]]


def knowledge_gaps(encode: Any, db: Source, days: float = 7.0) -> list[Group]:
    """The gaps of the last ``days`` days, grouped (``encode``: texts -> unit query vectors)."""
    gaps = gaps_in(db, time.time() - days * 86400)
    if not gaps:
        return []
    texts = list(dict.fromkeys(g.question for g in gaps))  # shoppers repeat: encode each once
    row = {text: i for i, text in enumerate(texts)}
    vectors = encode(texts)[[row[g.question] for g in gaps]]
    return group(gaps, vectors)


def report(groups: Sequence[Group]) -> dict[str, Any]:
    """The groups as JSON, and a count."""
    return {"groups": len(groups), "gaps": [g.as_dict() for g in groups]}


def text(groups: Sequence[Group]) -> str:
    """The groups as an editor reads them."""
    lines = [f"{len(groups)} knowledge gaps"]
    for n, g in enumerate(groups, 1):
        d = g.as_dict()
        lines.append(f"\n{n}. {d['shoppers']} shoppers, {d['asked']} times ({d['why']})")
        lines += [f"   - {q}" for q in d["examples"]]
        lines += [f"   agent: {r}" for r in d["agent_replies"][:2]]
    return "\n".join(lines)
