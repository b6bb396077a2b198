"""Shipping options for the shopper's city and basket: fees and promised dates, from the network.

The city comes from the message, else from the shopper's profile. Without a city we know (a
guest asking in general, a town we have no data for), the question goes to the knowledge
engine, which quotes the shipping policy (or abstains, and the fallback offers a human).
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import entity
from actions.common import KefuAction, lang_of, shopper_of
from actions.policy import answer_question
from actions.service import get_network, get_orders
from actions.texts import fill
from knowledge.types import Language
from shop.logistics.network import City, ShippingRules
from shop.logistics.promise import ShippingOption, shipping_options
from shop.money import parse_money
from shop.orders.store import now

SHIPPING_TEXTS: dict[str, tuple[str, str]] = {
    "header": ("寄到{city}的配送方式（今天 {cutoff} 前付款当天发货）：",
               "Delivery to {city} (paid before {cutoff} Beijing time, it ships today):"),
    "standard": ("标准配送", "Standard delivery"),
    "express": ("次日达快递", "Next-day express"),
    "fee_unknown": ("¥{fee}，满 ¥{free_from} 免运费", "¥{fee}, free from ¥{free_from}"),
    "free": ("免运费", "free"),
    "express_free": ("金卡会员免运费", "free for Gold members"),
    "range": ("预计 {earliest}–{latest} 送达", "arrives {earliest} to {latest}"),
    "single": ("预计 {latest} 送达", "arrives {latest}"),
    "fastest": ("最快", "fastest"),
    "cheapest": ("最省", "cheapest"),
    "no_express": ("次日达暂不覆盖{city}。", "Next-day express does not reach {city} yet."),
}  # fmt: skip


def day_text(day: date, lang: Language) -> str:
    """``12月1日`` / ``Dec 1``."""
    return f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%b %-d")


def option_line(o: ShippingOption, rules: ShippingRules, membership: str, lang: Language) -> str:
    """One option: service, fee, dates, marks."""
    t = lambda key, **v: fill(SHIPPING_TEXTS, lang, key, **v)  # noqa: E731
    if o.fee is None:
        fee = t("fee_unknown", fee=f"{rules.standard_fee:g}", free_from=f"{rules.free_from:g}")
    elif o.fee == 0:
        fee = t("express_free") if o.service == "express" and membership == "gold" else t("free")
    else:
        fee = f"¥{o.fee:g}"
    when = (
        t("single", latest=day_text(o.latest, lang))
        if o.earliest == o.latest
        else t("range", earliest=day_text(o.earliest, lang), latest=day_text(o.latest, lang))
    )
    marks = [t(k) for k, on in (("fastest", o.fastest), ("cheapest", o.cheapest)) if on]
    tail = (
        f" 【{'、'.join(marks)}】"
        if marks and lang == "zh"
        else (f" ({', '.join(marks)})" if marks else "")
    )
    sep = "：" if lang == "zh" else ": "
    comma = "，" if lang == "zh" else ", "
    return f"· {t(o.service)}{sep}{fee}{comma}{when}{tail}"


class ActionShippingOptions(KefuAction):
    """List standard and express delivery for the city, with fees and dates; mark the best."""

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
        options = shipping_options(
            network, city, None if basket is None else float(basket), membership, now()
        )
        lines = [fill(SHIPPING_TEXTS, lang, "header", city=city.name(lang),
                      cutoff=rules.cutoff.strftime("%H:%M"))]  # fmt: skip
        lines += [option_line(o, rules, membership, lang) for o in options]
        if not any(o.service == "express" for o in options):
            lines.append(fill(SHIPPING_TEXTS, lang, "no_express", city=city.name(lang)))
        dispatcher.utter_message(
            text="\n".join(lines),
            shipping_options=[
                {"service": o.service, "fee": o.fee, "earliest": o.earliest.isoformat(),
                 "latest": o.latest.isoformat(), "fastest": o.fastest, "cheapest": o.cheapest}
                for o in options
            ],
        )  # fmt: skip
        return [SlotSet("language", lang), SlotSet("kefu_abstained", False)]
