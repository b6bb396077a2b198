"""Product details, recommendations and promotions, straight from the store's data.

Every name, price and stock figure said here comes from the catalog row it names. (The
generated pitches and descriptions of the generation issue build on these same facts.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import lang_of, shopper_of
from actions.policy import StoreAction, answered_from_documents
from actions.service import (
    get_catalog,
    get_generator,
    get_orders,
    get_promotions,
    get_recommender,
)
from actions.texts import catalog_text, details_button, pick_line, product_text
from common.clock import beijing_date
from knowledge.errors import KnowledgeError
from knowledge.types import Language
from shop.catalog import CATEGORIES, Product
from shop.generate.facts import Facts, ProductFacts
from shop.generate.generator import Generated
from shop.money import budget_in, parse_money
from shop.orders.store import now
from shop.promotions import active_promotions, by_interest
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


class ActionProductInfo(StoreAction):
    """Details of the product the shopper names."""

    needs = ("catalog",)

    def name(self) -> str:
        """Action name in the domain."""
        return "action_product_info"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The best match, described, plus up to two similar products as cards.

        A policy question that names a product ("冰箱的压缩机保修几年？") is answered from the
        store's documents when the engine is sure (its second opinion, ``actions/policy.py``).
        """
        if await answered_from_documents(dispatcher, tracker):
            return []
        lang = lang_of(tracker)
        words = entity(tracker, "product") or tracker.get_slot("product")
        if not words:
            dispatcher.utter_message(text=catalog_text(lang, "which_product"))
            return []
        found = get_catalog().find(words, limit=MAX_CARDS)
        if not found:
            dispatcher.utter_message(text=catalog_text(lang, "no_product", words=words))
            return []
        text = product_text(found[0], lang)
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


class ActionRecommend(StoreAction):
    """Suggest products from the shopper's history and wishes, with reasons, cards and buttons."""

    needs = ("catalog", "orders")  # the shopper's history

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
            dispatcher.utter_message(text=catalog_text(lang, "no_picks"))
            return []
        top = picks[0]
        pitch = await asyncio.to_thread(
            get_generator().write,
            Facts("pitch", lang, (ProductFacts.of(top.product, lang, top.reason(lang)),),
                  shopper_words=tracker.latest_message.get("text") or ""),
        )  # fmt: skip
        head = catalog_text(lang, "picks")
        if pitch.source == "model":
            head = f"{pitch.text}\n{head}"
        dispatcher.utter_message(
            text="\n".join([head, *(pick_line(r, lang) for r in picks)]),
            products=[card(r.product, lang) for r in picks],
            buttons=[details_button(r.product, lang) for r in picks],
            generation=generation(pitch),
        )
        return []


class ActionPromotions(StoreAction):
    """Promotions running today for this shopper, theirs first, with one offer made for them."""

    needs = ("catalog", "orders")  # the shopper's membership and history

    def name(self) -> str:
        """Action name in the domain."""
        return "action_promotions"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """List what the shopper qualifies for (membership), ordered by what they shop for.

        For a shopper with a history, the first promotion of a category they shop in comes
        with a product picked for them and a marketing line (generated, or the template).
        A question about the rules of coupons or membership ("一个订单能用几张券？") is answered
        from the store's documents when the engine is sure.
        """
        if await answered_from_documents(dispatcher, tracker):
            return []
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
            dispatcher.utter_message(text=catalog_text(lang, "no_promotions"))
            return []
        bought, viewed = await asyncio.to_thread(get_orders().history, shopper)
        found, mine = by_interest(found, get_catalog().category_counts(bought + viewed))
        lines = [catalog_text(lang, "promotions")]
        lines += [f"· {p.text(lang)}" for p in found]
        extra: dict[str, Any] = {}
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
                lines.append(catalog_text(lang, "offer") + written.text)
                extra = {"products": [card(top.product, lang)], "generation": generation(written)}
        dispatcher.utter_message(text="\n".join(lines), **extra)
        return []
