"""Shipping options for the shopper's city and basket: fees and promised dates, from the network.

The city comes from the message, else from the shopper's profile. Without a city we know (a
guest asking in general, a town we have no data for), the question goes to the knowledge
engine, which quotes the shipping policy (or abstains, and the fallback offers a human).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import entity
from actions.common import lang_of, shopper_of
from actions.policy import StoreAction, answer_question
from actions.service import get_network, get_orders
from actions.texts import shipping_option_line, shipping_text
from common.clock import beijing_date
from shop.logistics.network import City
from shop.logistics.promise import shipping_options
from shop.money import parse_money
from shop.orders.store import now


class ActionShippingOptions(StoreAction):
    """List standard and express delivery for the city, with fees and dates; mark the best."""

    needs = ("shipping", "orders")  # the network, and the shopper's city and membership

    def name(self) -> str:
        """Action name in the domain."""
        return "action_shipping_options"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Options for the named (or the shopper's) city; else the knowledge engine answers."""
        lang = lang_of(tracker)
        network = get_network()
        named = entity(tracker, "city")
        profile = await asyncio.to_thread(get_orders().shopper, shopper_of(tracker))
        city: City | None = network.city(named) if named else None
        if city is None and not named and profile is not None:
            city = network.city(profile.city)
        if city is None:
            return await answer_question(dispatcher, tracker.latest_message.get("text") or "")
        basket = parse_money(entity(tracker, "budget"))
        membership = profile.membership if profile is not None else "regular"
        rules = network.rules
        at = now()  # once: the options and the day count from the same moment
        options = shipping_options(
            network, city, None if basket is None else float(basket), membership, at
        )
        lines = [shipping_text(lang, "header", city=city.name(lang),
                               cutoff=rules.cutoff.strftime("%H:%M"))]  # fmt: skip
        today = beijing_date(at)
        lines += [shipping_option_line(o, rules, membership, lang, today) for o in options]
        if not any(o.service == "express" for o in options):
            lines.append(shipping_text(lang, "no_express", city=city.name(lang)))
        dispatcher.utter_message(
            text="\n".join(lines),
            shipping_options=[
                {"service": o.service, "fee": o.fee, "earliest": o.earliest.isoformat(),
                 "latest": o.latest.isoformat(), "fastest": o.fastest, "cheapest": o.cheapest}
                for o in options
            ],
        )  # fmt: skip
        return [SlotSet("language", lang), SlotSet("kefu_abstained", False)]
