"""Order forms and actions: track, cancel, change address (thin adapters over the order store).

Every lookup is scoped to the conversation's shopper: an order of someone else gets exactly
the answer an unknown order gets.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import lang_of, shopper_of
from actions.policy import OrderRequestAction, answer_policy_first
from actions.service import connected, get_network, get_orders
from actions.texts import order_status_text, order_text, recent_orders_text, state_name
from common.clock import beijing_date
from knowledge.errors import KnowledgeError
from shop.logistics.promise import ETA_STATES, OrderEta, order_eta
from shop.orders.models import NOT_SHIPPED, Order
from shop.orders.store import OrderError, normalise_order_id, now

log = logging.getLogger(__name__)


def promise_for(order: Order) -> OrderEta | None:
    """The shop's delivery promise for ``order`` (None without one, or without the network)."""
    if order.state not in ETA_STATES:
        return None
    try:
        network = get_network()
    except KnowledgeError:
        log.exception("shipping network unavailable; order status without an ETA")
        return None
    return order_eta(network, order, beijing_date(now()))


def starts_form(tracker: Tracker) -> bool:
    """Is the latest message the one that started the active form (its trigger message)?

    Rasa's tracker already names the form as active when its validation runs at activation;
    the form's trigger message is the latest message only on that first turn.
    """
    trigger = (tracker.active_loop or {}).get("trigger_message") or {}
    latest = tracker.latest_message or {}
    if trigger.get("message_id") and latest.get("message_id"):
        return bool(trigger["message_id"] == latest["message_id"])
    return bool(trigger.get("text")) and trigger.get("text") == latest.get("text")


class OrderFormValidation(FormValidationAction):
    """Validation shared by every form that asks for an order id (format, then ownership)."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>`` (rasa-sdk skips this abstract base when registering)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """On the message that starts the form, answer the policy question it asks first."""
        if starts_form(tracker):
            try:
                await answer_policy_first(dispatcher, tracker)
            except Exception:  # the form must start whatever happened to the answer
                log.exception("%s: answering the question that started it failed", self.name())
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """A guest has no orders: the form ends at once and its action asks them to log in.

        Nor does a store without orders: its action answers from the documents.
        """
        return domain_slots if shopper_of(tracker) and connected("orders") else []

    @staticmethod
    def corrects_order_id(tracker: Tracker) -> bool:
        """Whether the latest message names an order id.

        Such a message corrects the order; it is not an answer to a free-text question
        (address, item, reason), which the form then asks again.
        """
        return any(True for _ in tracker.get_latest_entity_values("order_id"))

    async def validate_order_id(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Normalise ("kf 2026-0417" -> "KF20260417"); keep it only if it is the shopper's."""
        lang = lang_of(tracker)
        raw = str(value or "").strip()
        order_id = normalise_order_id(raw)
        if order_id is None:
            dispatcher.utter_message(text=order_text(lang, "bad_format", raw=raw[:40]))
            return {"order_id": None}
        try:
            order = await asyncio.to_thread(get_orders().order_for, shopper_of(tracker), order_id)
        except OrderError:
            log.exception("order store failed")
            dispatcher.utter_message(text=order_text(lang, "store_down"))
            return {"order_id": None, "requested_slot": None}
        if order is None:
            dispatcher.utter_message(text=order_text(lang, "not_found", id=order_id))
            recent = await asyncio.to_thread(get_orders().recent_orders, shopper_of(tracker))
            if recent:
                dispatcher.utter_message(text=recent_orders_text(recent, lang))
            return {"order_id": None}
        return {"order_id": order_id}


class ValidateTrackOrderForm(OrderFormValidation):
    """Validates ``track_order_form``."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_track_order_form"


class ValidateCancelOrderForm(OrderFormValidation):
    """Validates ``cancel_order_form``."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_cancel_order_form"


class ValidateAddressForm(OrderFormValidation):
    """Validates ``address_form`` (the address itself: non-empty, at most 200 characters)."""

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_address_form"

    async def validate_new_address(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept 6-200 characters of address text."""
        if self.corrects_order_id(tracker):
            return {"new_address": None}
        address = " ".join(str(value or "").split())
        if not 6 <= len(address) <= 200:
            dispatcher.utter_message(text=order_text(lang_of(tracker), "bad_address"))
            return {"new_address": None}
        return {"new_address": address}


async def form_order(tracker: Tracker, dispatcher: CollectingDispatcher) -> Order | None:
    """The form's order, re-checked against the shopper; says why when there is none."""
    lang = lang_of(tracker)
    shopper = shopper_of(tracker)
    if shopper is None:
        dispatcher.utter_message(text=order_text(lang, "ask_login"))
        return None
    order_id = tracker.get_slot("order_id") or ""
    order = await asyncio.to_thread(get_orders().order_for, shopper, order_id)
    if order is None:
        dispatcher.utter_message(text=order_text(lang, "not_found", id=order_id or "-"))
    return order


class ActionTrackOrder(OrderRequestAction):
    """Tell the shopper where their order is."""

    form = "track_order_form"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_track_order"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Status, carrier and the latest tracking event."""
        order = await form_order(tracker, dispatcher)
        if order is not None:
            text = order_status_text(order, promise_for(order), lang_of(tracker))
            dispatcher.utter_message(text=text)
        return []


class ActionCancelOrder(OrderRequestAction):
    """Cancel an unshipped order; explain why not otherwise."""

    form = "cancel_order_form"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_cancel_order"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Cancel if the shopper confirmed and the order has not shipped."""
        lang = lang_of(tracker)
        reset = [SlotSet("cancel_confirmed", None)]
        order = await form_order(tracker, dispatcher)
        if order is None:
            return reset
        if tracker.get_slot("cancel_confirmed") is not True:
            dispatcher.utter_message(text=order_text(lang, "cancel_kept", id=order.id))
            return reset
        if order.state in NOT_SHIPPED:
            await asyncio.to_thread(get_orders().cancel, order.shopper_id, order.id)
            dispatcher.utter_message(
                text=order_text(lang, "cancel_done", id=order.id, total=order.total)
            )
        elif order.state in ("shipped", "in_transit"):
            dispatcher.utter_message(text=order_text(lang, "cancel_shipped", id=order.id))
        else:
            dispatcher.utter_message(
                text=order_text(
                    lang, "cancel_closed", id=order.id, state=state_name(order.state, lang)
                )
            )
        return reset


class ActionChangeAddress(OrderRequestAction):
    """Change the address of an unshipped order."""

    form = "address_form"

    def name(self) -> str:
        """Action name in the domain."""
        return "action_change_address"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Change it, or point to the courier once shipped; the slot is cleared either way."""
        lang = lang_of(tracker)
        order = await form_order(tracker, dispatcher)
        if order is not None:
            address = tracker.get_slot("new_address") or ""
            if order.state in NOT_SHIPPED:
                await asyncio.to_thread(
                    get_orders().change_address, order.shopper_id, order.id, address
                )
                dispatcher.utter_message(
                    text=order_text(lang, "address_done", id=order.id, address=address)
                )
            elif order.state in ("shipped", "in_transit") and order.shipment is not None:
                dispatcher.utter_message(
                    text=order_text(
                        lang,
                        "address_shipped",
                        id=order.id,
                        carrier=order.shipment.carrier,
                        tracking=order.shipment.tracking_number,
                    )
                )
            else:
                state = state_name(order.state, lang)
                dispatcher.utter_message(
                    text=order_text(lang, "address_closed", id=order.id, state=state)
                )
        return [SlotSet("new_address", None)]
