"""Product details, recommendations and promotions, straight from the store's data.

Every name, price and stock figure said here comes from the catalog row it names. (The
generated pitches and descriptions of the generation issue build on these same facts.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of, shopper_of
from actions.service import get_catalog, get_orders, get_promotions
from actions.texts import pick
from knowledge.catalog import CATEGORIES, Product
from knowledge.money import parse_money
from knowledge.promotions import active_promotions
from knowledge.types import Language

MAX_CARDS = 3


def entity(tracker: Tracker, name: str) -> str | None:
    """The latest message's value for entity ``name`` (else None)."""
    values = list(tracker.get_latest_entity_values(name))
    return str(values[0]) if values else None


def stock_text(p: Product, lang: Language) -> str:
    """In stock, only a few left, or out of stock, in ``lang``."""
    if p.stock <= 0:
        return pick(lang, "暂时缺货", "out of stock")
    if p.stock <= 5:
        return pick(lang, f"仅剩 {p.stock} 件", f"only {p.stock} left")
    return pick(lang, "有货", "in stock")


def card(p: Product, lang: Language) -> dict[str, Any]:
    """A product card the widget renders (name, price, image placeholder, id)."""
    return {"id": p.id, "name": p.name(lang), "price": str(p.price), "image": None,
            "rating": p.rating, "in_stock": p.stock > 0}  # fmt: skip


def describe(p: Product, lang: Language) -> str:
    """One product: name, price, rating, stock, its key attributes."""
    facts = pick(lang, "；", "; ").join(f"{k}: {v}" for k, v in p.attributes(lang))
    return pick(
        lang,
        f"{p.name_zh}：¥{p.price}，评分 {p.rating}，{stock_text(p, lang)}。{facts}",
        f"{p.name_en}: ¥{p.price}, rated {p.rating}, {stock_text(p, lang)}. {facts}",
    )


class ActionProductInfo(KefuAction):
    """Details of the product the shopper names."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_product_info"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The best match, described, plus up to two similar products as cards."""
        lang = lang_of(tracker)
        words = entity(tracker, "product") or tracker.get_slot("product")
        if not words:
            dispatcher.utter_message(
                text=pick(lang, "请问您想了解哪款商品？告诉我商品名称就可以。",
                          "Which product would you like to know about? Just tell me its name.")
            )  # fmt: skip
            return []
        found = get_catalog().find(words, limit=MAX_CARDS)
        if not found:
            dispatcher.utter_message(
                text=pick(lang, f"抱歉，本店没有找到“{words}”相关的商品。",
                          f"Sorry, I couldn't find anything matching \"{words}\" in our store.")
            )  # fmt: skip
            return []
        dispatcher.utter_message(
            text=describe(found[0], lang), products=[card(p, lang) for p in found]
        )
        return []


def _recommend(
    products: list[Product], category: str | None, words: str | None, budget: Decimal | None
) -> list[Product]:
    """In stock, within budget, of the category or type asked, best rated first."""
    chosen = [p for p in products if p.stock > 0 and "gift-card" not in p.tags]
    if category in CATEGORIES:
        chosen = [p for p in chosen if p.category == category]
    if words:
        w = words.lower()
        typed = [
            p for p in chosen if w in p.match_text() or p.type_zh in words or p.type_en.lower() in w
        ]
        chosen = typed or chosen if category else typed
    if budget is not None:
        chosen = [p for p in chosen if p.price <= budget]
    chosen.sort(key=lambda p: (-p.rating, p.price))
    picked: list[Product] = []
    for p in chosen:  # one per type first, for variety
        if all(q.type_en != p.type_en for q in picked):
            picked.append(p)
    return (picked + [p for p in chosen if p not in picked])[:MAX_CARDS]


class ActionRecommend(KefuAction):
    """Suggest products by category, type and budget from the catalog."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_recommend"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Up to three products with a one-line reason each, as text and cards."""
        lang = lang_of(tracker)
        category = entity(tracker, "category")
        words = entity(tracker, "product")
        budget = parse_money(entity(tracker, "budget"))
        picks = _recommend(get_catalog().products, category, words, budget)
        if not picks:
            dispatcher.utter_message(
                text=pick(
                    lang,
                    "抱歉，没有找到符合条件的有货商品。可以放宽预算或换个品类试试。",
                    "Sorry, nothing in stock matches that. Try a higher budget or another "
                    "category.",
                )
            )
            return []
        lines = [
            pick(lang, f"· {p.name_zh}，¥{p.price}，评分 {p.rating}",
                 f"· {p.name_en}, ¥{p.price}, rated {p.rating}")
            for p in picks
        ]  # fmt: skip
        head = pick(
            lang, "为您挑了几款评分高、有货的商品：", "Here are some well-rated picks in stock:"
        )
        dispatcher.utter_message(
            text="\n".join([head, *lines]), products=[card(p, lang) for p in picks]
        )
        return []


class ActionPromotions(KefuAction):
    """Promotions running today that this shopper qualifies for."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_promotions"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """List them (store-wide and, when the shopper names one, for that category)."""
        lang = lang_of(tracker)
        shopper = shopper_of(tracker)
        member = get_orders().shopper(shopper) if shopper else None
        promos = get_promotions()
        today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
        found = active_promotions(
            promos, today, member.membership if member else None, entity(tracker, "category")
        )
        if not found:
            dispatcher.utter_message(
                text=pick(
                    lang, "目前没有进行中的优惠活动。", "There are no promotions running right now."
                )
            )
            return []
        head = pick(lang, "目前的优惠活动：", "Current promotions:")
        dispatcher.utter_message(text="\n".join([head, *(f"· {p.text(lang)}" for p in found)]))
        return []
