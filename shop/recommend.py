"""Recommendations from the catalog: the shopper's history and stated wishes, by embedding.

Each product is embedded once (type, name, brand, what its tags mean, key attributes; e5
``passage:``). A request becomes one query vector: the shopper's wish (``query:``), blended
with the mean vector of what they bought and viewed (recent first). Candidates are filtered
by stock, budget, category and what they already own, ranked by cosine similarity plus a
small rating prior, then diversified with maximal marginal relevance (MMR) so that three
suggestions are not three sizes of one kettle. Each comes with a one-line reason built from
the facts that selected it (never from a language model).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.errors import NotReadyError
from shop.catalog import Catalog, Product, brand_name
from shop.money import yuan

log = logging.getLogger(__name__)
RECENCY = 0.85

#: what a catalog tag means, in words a shopper would use (both languages); a wish that
#: uses one of these words prefers products with the tag (``TAG_BOOST`` on the score)
TAG_WORDS = {
    "gift": ("礼物 送礼 礼品", "gift present"),
    "for-her": ("女朋友 老婆 女生 妈妈 闺蜜 她", "her girlfriend wife mom mother woman"),
    "for-him": ("男朋友 老公 男生 爸爸 他", "him boyfriend husband dad father man"),
    "for-parents": ("父母 长辈 爸妈 老人 爸爸 妈妈", "parents elderly dad mom grandparents"),
    "for-kids": ("儿童 孩子 小朋友 宝宝", "kids children child baby"),
    "student": ("学生 宿舍 开学", "student dorm school college"),
    "office": ("办公 上班", "office work desk"),
    "travel": ("旅行 出差 旅游 便携", "travel trip portable"),
    "home": ("居家 家用", "home household"),
    "cooking": ("做饭 厨房", "cooking kitchen cook"),
    "fitness": ("健身 运动 锻炼", "fitness sport workout gym"),
    "outdoor": ("户外 露营 徒步", "outdoor camping hiking"),
    "summer": ("夏天 夏季 清凉", "summer cool"),
    "winter": ("冬天 冬季 保暖", "winter warm"),
    "budget": ("便宜 实惠 性价比", "cheap affordable"),
    "premium": ("高端 旗舰", "premium high-end luxury"),
    "bestseller": ("热销 爆款", "bestseller popular"),
    "new": ("新品 新款", "new arrival"),
    "fresh": ("新鲜 生鲜", "fresh"),
    "eco": ("环保", "eco-friendly"),
    "gift-card": ("礼品卡 购物卡", "voucher gift-card"),
}
#: categories people buy again (what they bought stays a candidate)
REBOUGHT = frozenset({"groceries", "beauty"})
#: never suggested unless the wish names them
ON_REQUEST_TAGS = frozenset({"gift-card"})
TAG_BOOST = 0.08
REASONS = {
    "same_type": ("和您买过的「{other}」同类", "like the {other} you bought"),
    "same_brand": ("您买过的 {brand} 品牌", "from {brand}, a brand you bought"),
    "related": ("和您看过的「{other}」相关", "goes with the {other} you looked at"),
    "wish": ("符合「{wish}」", "matches \"{wish}\""),
    "budget": ("¥{price}，在 ¥{budget} 预算内", "¥{price}, within your ¥{budget}"),
    "rating": ("评分 {rating}", "rated {rating}"),
    "popular": ("热销款", "a bestseller"),
}  # fmt: skip


class TextEncoder(Protocol):
    """What the recommender needs from an encoder (``knowledge.encode.Encoder`` fits)."""

    model_name: str

    def warm_up(self) -> None:
        """Load the model."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for questions / wishes."""

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors for documents / products."""


@dataclass(frozen=True)
class Recommendation:
    """A product to suggest, its score and why (zh, en)."""

    product: Product
    score: float
    reason_zh: str
    reason_en: str

    def reason(self, lang: str) -> str:
        """The reason in ``zh`` or ``en``."""
        return self.reason_zh if lang == "zh" else self.reason_en


@dataclass(frozen=True)
class History:
    """What a shopper bought and looked at, most recent first (product ids)."""

    bought: tuple[str, ...] = ()
    viewed: tuple[str, ...] = ()


def wish_tags(wish: str | None) -> set[str]:
    """Catalog tags a wish names in so many words ("送女朋友的礼物" -> gift, for-her)."""
    if not wish:
        return set()
    low = wish.lower()
    words = set(re.findall(r"[a-z][a-z-]+", low))
    found = set()
    for tag, (zh, en) in TAG_WORDS.items():
        if any(w in wish for w in zh.split()) or any(w in words for w in en.split()):
            found.add(tag)
    return found


def product_text(p: Product) -> str:
    """What a product is, for embedding."""
    tags = " ".join(" ".join(TAG_WORDS[t]) for t in p.tags if t in TAG_WORDS)
    return (
        f"{p.type_zh} {p.type_en}. {p.name_zh}. {p.name_en}. {p.brand}. {tags}. {p.attributes_en}"
    )


class Recommender:
    """Cheap to construct; ``warm_up()`` embeds the catalog once."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: TextEncoder,
        cache_dir: Path | None = None,
        mmr_lambda: float = 0.7,
        history_weight: float = 0.6,
    ) -> None:
        self.catalog = catalog
        self.encoder = encoder
        self.cache_dir = cache_dir
        self.mmr_lambda = mmr_lambda
        self.history_weight = history_weight
        self._vectors: np.ndarray | None = None
        self._row = {p.id: i for i, p in enumerate(catalog.products)}

    def warm_up(self) -> None:
        """Load the encoder and embed every product."""
        if self._vectors is not None:
            return
        self.encoder.warm_up()
        texts = [product_text(p) for p in self.catalog.products]
        key = hashlib.sha256("\n".join([self.encoder.model_name, *texts]).encode()).hexdigest()[:16]
        cached = self.cache_dir / f"products-{key}.npy" if self.cache_dir else None
        if cached is not None and cached.exists():
            self._vectors = np.load(cached)
            return
        self._vectors = np.asarray(self.encoder.encode_passages(texts), dtype=np.float32)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp.npy")
            np.save(tmp, self._vectors)
            tmp.replace(cached)
            log.info("embedded %d products -> %s", len(texts), cached)

    @property
    def vectors(self) -> np.ndarray:
        """Unit vectors, one row per catalog product."""
        if self._vectors is None:
            raise NotReadyError("Recommender used before warm_up().")
        return self._vectors

    def _history_vector(self, history: History) -> np.ndarray | None:
        # recent first, fading by 0.85 a step; a purchase counts twice a view
        weighted = [
            (weight * RECENCY**n, self._row[i])
            for ids, weight in ((history.bought, 2.0), (history.viewed, 1.0))
            for n, i in enumerate(i for i in ids if i in self._row)
        ]
        if not weighted:
            return None
        weights = np.array([w for w, _ in weighted])
        rows = self.vectors[[r for _, r in weighted]]
        return _unit((weights[:, None] * rows).sum(axis=0))

    def query_vector(self, history: History, wish: str | None) -> np.ndarray | None:
        """The blended query: wish and history (either may be missing)."""
        parts: list[np.ndarray] = []
        hist = self._history_vector(history)
        if wish and wish.strip():
            w = np.asarray(self.encoder.encode_queries([wish.strip()])[0], dtype=np.float32)
            parts.append((1 - self.history_weight if hist is not None else 1.0) * w)
        if hist is not None:
            parts.append((self.history_weight if parts else 1.0) * hist)
        if not parts:
            return None
        return _unit(np.sum(parts, axis=0))

    def candidates(
        self,
        history: History,
        budget: Decimal | None,
        category: str | None,
        words: str | None,
        wished: frozenset[str] = frozenset(),
    ) -> list[Product]:
        """In stock, within budget, of the category (and type words, when given), not owned.

        What the shopper bought is left out, except consumables, which people buy again.
        """
        owned = set(history.bought)
        hidden = ON_REQUEST_TAGS - wished
        chosen = [
            p for p in self.catalog.products
            if p.stock > 0 and (p.id not in owned or p.category in REBOUGHT)
            and not hidden & set(p.tags)
            and (budget is None or p.price <= budget)
            and (category is None or p.category == category)
        ]  # fmt: skip
        if words:
            typed = {p.id for p in self.catalog.find(words, limit=50)}
            narrowed = [p for p in chosen if p.id in typed]
            chosen = narrowed or chosen
        return chosen

    def recommend(
        self,
        history: History = History(),
        wish: str | None = None,
        budget: Decimal | None = None,
        category: str | None = None,
        words: str | None = None,
        k: int = 3,
    ) -> list[Recommendation]:
        """Up to ``k`` diverse suggestions with reasons; best-rated when nothing is known."""
        tags = wish_tags(wish)
        pool = self.candidates(history, budget, category, words, frozenset(tags))
        if not pool:
            return []
        rows = np.array([self._row[p.id] for p in pool])
        query = self.query_vector(history, wish)
        prior = np.array([p.rating for p in pool]) / 50.0  # 0.08-0.1: breaks ties
        boost = np.array([TAG_BOOST * len(tags & set(p.tags)) for p in pool])
        relevance = (self.vectors[rows] @ query if query is not None else 0.0) + prior + boost
        picked = mmr(self.vectors[rows], np.asarray(relevance), k, self.mmr_lambda)
        return [self._explain(pool[i], float(relevance[i]), history, wish, budget) for i in picked]

    def _explain(
        self, p: Product, score: float, history: History, wish: str | None, budget: Decimal | None
    ) -> Recommendation:
        zh: list[str] = []
        en: list[str] = []

        def add(key: str, **values: object) -> None:
            zh.append(REASONS[key][0].format(**values))
            en.append(REASONS[key][1].format(**values))

        bought = [self.catalog.by_id[i] for i in history.bought if i in self.catalog.by_id]
        viewed = [self.catalog.by_id[i] for i in history.viewed if i in self.catalog.by_id]
        same_type = next((b for b in bought if b.type_en == p.type_en), None)
        same_brand = next((b for b in bought if b.brand == p.brand), None)
        if wish:
            add("wish", wish=wish.strip()[:20])
        if same_type is not None:
            zh.append(REASONS["same_type"][0].format(other=same_type.type_zh))
            en.append(REASONS["same_type"][1].format(other=same_type.type_en))
        elif same_brand is not None:
            zh.append(REASONS["same_brand"][0].format(brand=brand_name(p.brand, "zh")))
            en.append(REASONS["same_brand"][1].format(brand=brand_name(p.brand, "en")))
        elif viewed and not wish:
            near = max(
                viewed,
                key=lambda v: float(self.vectors[self._row[v.id]] @ self.vectors[self._row[p.id]]),
            )
            zh.append(REASONS["related"][0].format(other=near.type_zh))
            en.append(REASONS["related"][1].format(other=near.type_en))
        if budget is not None:
            add("budget", price=p.price, budget=yuan(budget))
        if "bestseller" in p.tags:
            add("popular")
        add("rating", rating=p.rating)
        return Recommendation(p, score, "，".join(zh[:3]), "; ".join(en[:3]))


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return np.asarray(v / norm if norm else v, dtype=np.float32)


def mmr(vectors: np.ndarray, relevance: np.ndarray, k: int, lam: float) -> list[int]:
    """Indices of ``k`` items by maximal marginal relevance (``lam`` 1.0 = relevance only)."""
    chosen: list[int] = []
    left = list(range(len(relevance)))
    while left and len(chosen) < k:
        if chosen:
            redundancy = (vectors[left] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(left))
        scores = lam * relevance[left] - (1 - lam) * redundancy
        best = left[int(np.argmax(scores))]
        chosen.append(best)
        left.remove(best)
    return chosen


def popular(catalog: Catalog, counts: dict[str, int], exclude: Sequence[str], k: int) -> list[str]:
    """The popularity baseline: most bought (then best rated) products not excluded."""
    skip = set(exclude)
    ranked = sorted(
        (p for p in catalog.products if p.id not in skip and p.stock > 0),
        key=lambda p: (-counts.get(p.id, 0), -p.rating),
    )
    return [p.id for p in ranked[:k]]
