"""Product details, recommendations and promotions, straight from the store's data.

Every name, price and stock figure said here comes from the catalog row it names. (The
generated pitches and descriptions of the generation issue build on these same facts.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of, shopper_of
from actions.service import get_catalog, get_orders, get_promotions, get_recommender
from actions.texts import pick
from knowledge.catalog import CATEGORIES, Product
from knowledge.money import parse_money
from knowledge.promotions import active_promotions
from knowledge.recommend import History
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


def button(p: Product, lang: Language) -> dict[str, str]:
    """A quick reply asking for the product's details."""
    payload = json.dumps({"product": p.name(lang)}, ensure_ascii=False)
    return {"title": pick(lang, f"详情：{p.type_zh}", f"Details: {p.type_en}"),
            "payload": f"/ask_product{payload}"}  # fmt: skip


class ActionRecommend(KefuAction):
    """Suggest products from the shopper's history and wishes, with reasons, cards and buttons."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_recommend"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Up to three diverse products, each with the reason it was picked."""
        lang = lang_of(tracker)
        category = entity(tracker, "category")
        bought, viewed = await asyncio.to_thread(get_orders().history, shopper_of(tracker))
        recommender = await asyncio.to_thread(get_recommender)
        picks = await asyncio.to_thread(
            recommender.recommend,
            History(tuple(bought), tuple(viewed)),
            wish=tracker.latest_message.get("text") or None,
            budget=parse_money(entity(tracker, "budget")),
            category=category if category in CATEGORIES else None,
            words=entity(tracker, "product"),
            k=MAX_CARDS,
        )
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
        head = pick(lang, "为您挑了这几款：", "Here are my picks for you:")
        lines = [
            pick(lang, f"· {r.product.name_zh}，¥{r.product.price}：{r.reason_zh}",
                 f"· {r.product.name_en}, ¥{r.product.price}: {r.reason_en}")
            for r in picks
        ]  # fmt: skip
        dispatcher.utter_message(
            text="\n".join([head, *lines]),
            products=[card(r.product, lang) for r in picks],
            buttons=[button(r.product, lang) for r in picks],
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
