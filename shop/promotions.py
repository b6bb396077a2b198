"""The store's current promotions (``data/promotions.yaml``), filtered for one shopper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

AUDIENCES = {"everyone": 0, "members": 1, "gold": 2}


@dataclass(frozen=True)
class Promotion:
    """One promotion with its dates, audience, category and wording."""

    id: str
    start: dt.date
    end: dt.date
    who: str
    category: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        """Wording in ``zh`` or ``en``."""
        return self.zh if lang == "zh" else self.en


def load_promotions(path: Path) -> list[Promotion]:
    """Every promotion in the file (a missing file means none)."""
    if not path.exists():
        return []
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    promos = [Promotion(**row) for row in rows]
    for p in promos:
        if p.who not in AUDIENCES:
            raise ValueError(f"promotion {p.id}: unknown audience {p.who!r}")
    return promos


def promotion_for(category: str, promos: list[Promotion]) -> Promotion | None:
    """The promotion a product's marketing text carries: its category's, else a store-wide one."""
    fitting = [x for x in promos if x.category == category]
    return next(iter(fitting or [x for x in promos if x.category == "all"]), None)


def active_promotions(
    promos: list[Promotion], today: dt.date, membership: str | None, category: str | None = None
) -> list[Promotion]:
    """Promotions running ``today`` that this shopper qualifies for (None: a guest).

    A category narrows to that category's promotions and the store-wide ones.
    """
    level = {None: 0, "regular": 1, "gold": 2}.get(membership, 1)
    return [
        p
        for p in promos
        if p.start <= today <= p.end
        and AUDIENCES[p.who] <= level
        and (category is None or p.category in ("all", category))
    ]


def by_interest(
    promos: list[Promotion], interest: Mapping[str, int]
) -> tuple[list[Promotion], Promotion | None]:
    """``promos`` in the order a shopper sees them, and the one to make them an offer for.

    ``interest``: how many of the shopper's bought and viewed products are in each category.
    Categories they shop in most come first, then the store-wide ones, then the rest (each in
    file order); the offer goes with the first promotion of a category they shop in (None:
    no such one).
    """
    ordered = sorted(promos, key=lambda p: (-interest.get(p.category, 0), p.category != "all"))
    return ordered, next((p for p in ordered if interest.get(p.category)), None)
