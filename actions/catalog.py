"""Product details, recommendations and promotions, straight from the store's data.

Every name, price and stock figure said here comes from the catalog row it names. (The
generated pitches and descriptions of the generation issue build on these same facts.)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KefuAction, lang_of, shopper_of
from actions.service import (
    get_catalog,
    get_generator,
    get_orders,
    get_promotions,
    get_recommender,
)
from actions.texts import pick
from knowledge.errors import KnowledgeError
from knowledge.types import Language
from shop.catalog import CATEGORIES, Product
from shop.generate.facts import Facts, ProductFacts
from shop.generate.generator import Generated
from shop.logistics.promise import beijing_date
from shop.money import budget_in, parse_money
from shop.orders.store import now
from shop.promotions import active_promotions
from shop.recommend import History

log = logging.getLogger(__name__)
MAX_CARDS = 3


def entity(tracker: Tracker, name: str) -> str | None:
    """The latest message's value for entity ``name`` (else None)."""
    values = list(tracker.get_latest_entity_values(name))
    return str(values[0]) if values else None


def card(p: Product, lang: Language) -> dict[str, Any]:
    """A product card the widget renders (name, price, image placeholder, id)."""
    return {"id": p.id, "name": p.name(lang), "price": str(p.price), "image": None,
            "rating": p.rating, "in_stock": p.stock > 0}  # fmt: skip


def describe(p: Product, lang: Language) -> str:
    """One product: name, price, rating, stock, its key attributes."""
    facts = pick(lang, "；", "; ").join(f"{k}: {v}" for k, v in p.attributes(lang))
    return pick(
        lang,
        f"{p.name_zh}：¥{p.price}，评分 {p.rating}，{p.stock_text(lang)}。{facts}",
        f"{p.name_en}: ¥{p.price}, rated {p.rating}, {p.stock_text(lang)}. {facts}",
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
        text = describe(found[0], lang)
        written = await asyncio.to_thread(
            get_generator().write, Facts("description", lang, (ProductFacts.of(found[0], lang),))
        )
        if written.source == "model":  # the template would only repeat the facts above
            text += "\n" + written.text
        dispatcher.utter_message(
            text=text, products=[card(p, lang) for p in found], generation=generation(written)
        )
        return []


def generation(g: Generated) -> dict[str, Any]:
    """What agents see about a generated text (model or template, and why)."""
    return {"source": g.source, "problems": list(g.problems), "model_text": g.model_text,
            "seconds": round(g.seconds, 2)}  # fmt: skip


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
        wish = tracker.latest_message.get("text") or None
        bought, viewed = await asyncio.to_thread(get_orders().history, shopper_of(tracker))
        recommender = await asyncio.to_thread(get_recommender)
        picks = await asyncio.to_thread(
            recommender.recommend,
            History(tuple(bought), tuple(viewed)),
            wish=wish,
            # NLU may miss a budget ("500 以内" with a space): read a limit from the text then
            budget=parse_money(entity(tracker, "budget")) or budget_in(wish),
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
        top = picks[0]
        pitch = await asyncio.to_thread(
            get_generator().write,
            Facts("pitch", lang, (ProductFacts.of(top.product, lang, top.reason(lang)),),
                  shopper_words=tracker.latest_message.get("text") or ""),
        )  # fmt: skip
        head = pick(lang, "为您挑了这几款：", "Here are my picks for you:")
        if pitch.source == "model":
            head = f"{pitch.text}\n{head}"
        lines = [
            pick(lang, f"· {r.product.name_zh}，¥{r.product.price}：{r.reason_zh}",
                 f"· {r.product.name_en}, ¥{r.product.price}: {r.reason_en}")
            for r in picks
        ]  # fmt: skip
        dispatcher.utter_message(
            text="\n".join([head, *lines]),
            products=[card(r.product, lang) for r in picks],
            buttons=[button(r.product, lang) for r in picks],
            generation=generation(pitch),
        )
        return []


class ActionPromotions(KefuAction):
    """Promotions running today for this shopper, theirs first, with one offer made for them."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_promotions"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """List what the shopper qualifies for (membership), ordered by what they shop for.

        For a shopper with a history, the first promotion of a category they shop in comes
        with a product picked for them and a marketing line (generated, or the template).
        """
        lang = lang_of(tracker)
        shopper = shopper_of(tracker)
        member = await asyncio.to_thread(get_orders().shopper, shopper)
        today = beijing_date(now())
        found = active_promotions(
            get_promotions(),
            today,
            member.membership if member else None,
            entity(tracker, "category"),
        )
        if not found:
            dispatcher.utter_message(
                text=pick(
                    lang, "目前没有进行中的优惠活动。", "There are no promotions running right now."
                )
            )
            return []
        bought, viewed = await asyncio.to_thread(get_orders().history, shopper)
        catalog = get_catalog()
        interest = Counter(catalog.by_id[i].category for i in bought + viewed if i in catalog.by_id)
        found.sort(key=lambda p: (-interest.get(p.category, 0), p.category != "all"))
        lines = [pick(lang, "目前的优惠活动：", "Current promotions:")]
        lines += [f"· {p.text(lang)}" for p in found]
        extra: dict[str, Any] = {}
        mine = next((p for p in found if interest.get(p.category)), None)
        if mine is not None:
            try:
                recommender = await asyncio.to_thread(get_recommender)
                picks = recommender.recommend(
                    History(tuple(bought), tuple(viewed)), category=mine.category, k=1
                )
            except KnowledgeError:  # the list above still answers the question
                log.exception("no personal offer: the recommender is unavailable")
                picks = []
            if picks:
                top = picks[0]
                product = ProductFacts.of(top.product, lang, top.reason(lang))
                facts = Facts("marketing", lang, (product,), promotion=mine.text(lang))
                written = await asyncio.to_thread(get_generator().write, facts)
                lines.append(pick(lang, "为您推荐：", "Picked for you: ") + written.text)
                extra = {"products": [card(top.product, lang)], "generation": generation(written)}
        dispatcher.utter_message(text="\n".join(lines), **extra)
        return []
