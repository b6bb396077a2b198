"""``reports/recommend.json``: the recommender against a popularity baseline, offline.

Two measures on the store's real catalog:

- **Next purchase**: synthetic shoppers, each with a taste (a main category, two favourite
  product types, a price band, a preferred tag), buy six products drawn from that taste with
  noise (half from the favourite types, a third from the main category, the rest anywhere).
  The first five are the history; the sixth is held out. Hit rate at 3 and 10 of the
  recommender (history only, no wish) vs the most-bought products of all other shoppers.
  The tastes are an assumption of this generator (shoppers are consistent); a store's real
  order log plugs into the same ``next_purchase`` function.
- **Wishes**: shopper phrasings ("送女朋友的礼物, 500 以内") with the tag and budget they
  mean; the share of the top 3 that carry the tag and fit the budget, vs the baseline's top 3
  within the budget.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shop.catalog import Catalog, Product
from shop.recommend import History, Recommender, popular

WISHES: list[tuple[str, str, int | None]] = [
    ("送女朋友的生日礼物", "for-her", None),
    ("送女朋友的礼物，500 以内", "for-her", 500),
    ("a gift for my girlfriend under 300", "for-her", 300),
    ("给我老公挑个礼物", "for-him", None),
    ("something for my dad, he is getting old", "for-parents", None),
    ("送爸妈的礼物 1000 以内", "for-parents", 1000),
    ("给小朋友买点东西", "for-kids", None),
    ("presents for kids under 200", "for-kids", 200),
    ("开学了，学生宿舍用的", "student", None),
    ("cheap stuff for my dorm", "student", 300),
    ("出差旅行带的", "travel", None),
    ("travel gear for a business trip", "travel", None),
    ("上班族办公室用", "office", None),
    ("things for my home office desk", "office", None),
    ("健身用的东西", "fitness", None),
    ("I want to start working out", "fitness", None),
    ("露营户外装备", "outdoor", None),
    ("冬天保暖的", "winter", None),
    ("stuff to keep cool in summer", "summer", None),
    ("厨房做饭用的", "cooking", None),
]


@dataclass(frozen=True)
class Shopper:
    """A synthetic shopper's purchases, oldest first."""

    bought: tuple[str, ...]


def synthetic_shoppers(catalog: Catalog, n: int, seed: int = 5, length: int = 6) -> list[Shopper]:
    """Shoppers with a consistent taste (see the module docstring)."""
    rng = random.Random(seed)
    by_cat: dict[str, list[Product]] = {}
    for p in catalog.products:
        by_cat.setdefault(p.category, []).append(p)
    shoppers = []
    for _ in range(n):
        cat = rng.choice(sorted(by_cat))
        types = sorted({p.type_en for p in by_cat[cat]})
        favourite = set(rng.sample(types, min(2, len(types))))
        prices = sorted(float(p.price) for p in by_cat[cat])
        band = rng.choice((0, 1, 2))  # cheap / middle / dear third of the category
        low, high = (
            prices[len(prices) * band // 3],
            prices[min(len(prices) - 1, len(prices) * (band + 1) // 3)],
        )
        bought: list[str] = []
        while len(bought) < length:
            roll = rng.random()
            if roll < 0.5:
                pool = [p for p in by_cat[cat] if p.type_en in favourite]
            elif roll < 0.85:
                pool = [p for p in by_cat[cat] if low * 0.7 <= float(p.price) <= high * 1.3]
            else:
                pool = catalog.products
            pool = [p for p in pool if p.id not in bought] or [
                p for p in catalog.products if p.id not in bought
            ]
            bought.append(rng.choice(pool).id)
        shoppers.append(Shopper(tuple(bought)))
    return shoppers


def next_purchase(recommender: Recommender, shoppers: list[Shopper]) -> dict[str, Any]:
    """Hit rate at 3 and 10 of the held-out last purchase: recommender vs popularity."""
    counts = Counter(i for s in shoppers for i in s.bought[:-1])
    hits: Counter[str] = Counter()
    for s in shoppers:
        history, target = s.bought[:-1], s.bought[-1]
        mine = [
            r.product.id
            for r in recommender.recommend(History(bought=tuple(reversed(history))), k=10)
        ]
        base = popular(recommender.catalog, counts - Counter(history), history, 10)
        hits["kefu@3"] += target in mine[:3]
        hits["kefu@10"] += target in mine
        hits["popular@3"] += target in base[:3]
        hits["popular@10"] += target in base
    n = len(shoppers)
    return {
        "shoppers": n,
        **{k: round(hits[k] / n, 3) for k in ("kefu@3", "kefu@10", "popular@3", "popular@10")},
    }


def _fits(products: list[Product], tag: str, cap: Decimal | None) -> int:
    return sum(tag in p.tags and (cap is None or p.price <= cap) for p in products)


def wishes(recommender: Recommender) -> dict[str, Any]:
    """Share of the top 3 carrying the wished tag within budget: recommender vs popularity."""
    catalog = recommender.catalog
    kefu_ok = base_ok = total = 0
    rows = []
    for text, tag, budget in WISHES:
        cap = Decimal(budget) if budget is not None else None
        mine = [r.product for r in recommender.recommend(wish=text, budget=cap, k=3)]
        base = [catalog.by_id[i] for i in popular(catalog, {}, [], len(catalog.products))]
        base = [p for p in base if cap is None or p.price <= cap][:3]
        kefu_ok += _fits(mine, tag, cap)
        base_ok += _fits(base, tag, cap)
        total += 3
        rows.append(
            {
                "wish": text,
                "tag": tag,
                "budget": budget,
                "kefu": [p.name_en for p in mine],
                "kefu_ok": _fits(mine, tag, cap),
            }
        )
    return {
        "wishes": len(WISHES),
        "kefu_tag_match@3": round(kefu_ok / total, 3),
        "popular_tag_match@3": round(base_ok / total, 3),
        "examples": rows,
    }


def evaluate_recommender(recommender: Recommender, shoppers: int = 400) -> dict[str, Any]:
    """Both measures, as written to ``reports/recommend.json``."""
    recommender.warm_up()
    return {
        "next_purchase": next_purchase(
            recommender, synthetic_shoppers(recommender.catalog, shoppers)
        ),
        "wishes": wishes(recommender),
    }
