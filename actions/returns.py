"""The return form: which order, which item, why; then what the policy allows, and record it."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import lang_of, shopper_of
from actions.orders import OrderFormValidation, form_order
from actions.policy import OrderRequestAction
from actions.service import get_orders, get_return_rules
from actions.texts import RETURN_TEXTS, fill, pick
from knowledge.types import Language
from shop.orders.models import Order
from shop.orders.returns import decide_return, match_item
from shop.orders.store import now


def return_text(lang: Language, key: str, **values: object) -> str:
    """A return message in ``lang``."""
    return fill(RETURN_TEXTS, lang, key, **values)


def ask_which_item(dispatcher: CollectingDispatcher, lang: Language, order: Order) -> None:
    """List the order's items and ask which one the shopper means."""
    items = pick(lang, "、", ", ").join(pick(lang, i.name_zh, i.name_en) for i in order.items)
    dispatcher.utter_message(text=return_text(lang, "which_item", items=items))


class ValidateReturnForm(OrderFormValidation):
    """Validates ``return_form``: the order (shared checks), then the item is in that order."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_return_form"

    async def validate_return_item(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Match the shopper's words to a line of the order; list the lines when unclear."""
        if self.corrects_order_id(tracker):
            return {"return_item": None}
        lang = lang_of(tracker)
        order_id = tracker.get_slot("order_id")
        if not order_id:
            return {"return_item": value}  # checked once the order is known
        order = await asyncio.to_thread(get_orders().order_for, shopper_of(tracker), order_id)
        if order is None:
            return {"return_item": None}
        item = match_item(order, str(value or ""))
        if item is None:
            ask_which_item(dispatcher, lang, order)
            return {"return_item": None}
        return {"return_item": pick(lang, item.name_zh, item.name_en)}

    async def validate_return_reason(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Any reason in the shopper's words (up to 500 characters), unless it is an order id."""
        if self.corrects_order_id(tracker):
            return {"return_reason": None}
        reason = " ".join(str(value or "").split())[:500]
        return {"return_reason": reason or None}


class ActionSubmitReturn(OrderRequestAction):
    """Say what the policy allows for the item and record the request when it is allowed."""

    form = "return_form"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_submit_return"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Decide, explain, record; the item and reason slots are cleared for the next return."""
        lang = lang_of(tracker)
        clear = [SlotSet("return_item", None), SlotSet("return_reason", None)]
        order = await form_order(tracker, dispatcher)
        if order is None:
            return clear
        item = match_item(order, tracker.get_slot("return_item") or "")
        if item is None:
            ask_which_item(dispatcher, lang, order)
            return clear
        reason = tracker.get_slot("return_reason") or ""
        decision = decide_return(order, item, reason, get_return_rules(), now())
        name = pick(lang, item.name_zh, item.name_en)
        dispatcher.utter_message(
            text=return_text(
                lang,
                decision.outcome,
                item=name,
                id=order.id,
                days=decision.days_left,
                fee=decision.fee,
            )
        )
        if decision.allowed:
            request = await asyncio.to_thread(
                get_orders().record_return, order.shopper_id, order.id, item.id,
                decision.outcome, reason,
            )  # fmt: skip
            dispatcher.utter_message(text=return_text(lang, "recorded", number=request.id))
        return clear
