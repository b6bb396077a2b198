"""Delivery promises: dispatch date, ETA as a date, the shipping options for a city and basket.

Store times are naive UTC (the order store's convention); dates the shopper sees are Beijing
dates (``common/clock.py``). Orders paid before the cut-off (16:00 Beijing) are dispatched the
same day. :func:`order_eta` says which promise applies to an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from common.clock import beijing_date, to_beijing
from shop.logistics.network import Carrier, City, Network, Warehouse
from shop.orders.models import Order

ETA_STATES = ("paid", "shipped", "in_transit")  # the states an order's status promises a date in


def dispatch_date(network: Network, paid_at: datetime) -> date:
    """Same day when paid before the cut-off (Beijing), the next day otherwise."""
    local = to_beijing(paid_at)
    day = local.date()
    return day if local.time() < network.rules.cutoff else day + timedelta(days=1)


def transit_days(network: Network, warehouse: str, carrier: Carrier, city: City) -> int:
    """Whole days from dispatch to the door, within the service level.

    Express to an express city is next day; otherwise the network's days, but never sooner
    than the standard window's first day for the region (the policy's 2-4 / 5-7 / 5-10 days:
    parcels are not handed over faster than the service level the store buys).
    """
    days = network.route(warehouse, city.name_zh).days(carrier)
    if carrier.service == "express" and city.express:
        return min(days, network.rules.express_days)
    return max(days, network.rules.standard_days[city.region][0])


def eta(
    network: Network, warehouse: Warehouse, carrier: Carrier, city: City, dispatched: date
) -> date:
    """The date a parcel dispatched on ``dispatched`` should arrive."""
    return dispatched + timedelta(days=transit_days(network, warehouse.id, carrier, city))


def promised_days(network: Network, city: City, service: str) -> int:
    """The longest the store promises for ``service`` to ``city`` (the policy's upper bound)."""
    if service == "express":
        return network.rules.express_days
    return network.rules.standard_days[city.region][1]


def fastest(network: Network, city: City, service: str) -> tuple[Warehouse, Carrier, int] | None:
    """The quickest warehouse and carrier for ``service`` to ``city``; ``None`` if not offered."""
    if service == "express" and not city.express:
        return None
    best: tuple[int, float, Warehouse, Carrier] | None = None
    for carrier in network.carriers.values():
        if not network.serves(carrier, city) or (service == "express") != (
            carrier.service == "express"
        ):
            continue
        for warehouse in network.warehouses.values():
            days = transit_days(network, warehouse.id, carrier, city)
            cost = network.cost(warehouse.id, carrier, city)
            if best is None or (days, cost) < best[:2]:
                best = (days, cost, warehouse, carrier)
    return None if best is None else (best[2], best[3], best[0])


def delivery_window(
    network: Network, city: City, service: str, dispatched: date
) -> tuple[date, date] | None:
    """Earliest and latest delivery dates of ``service`` to ``city`` from ``dispatched``.

    Earliest: the fastest route; latest: the policy's promise. ``None``: not offered there.
    """
    best = fastest(network, city, service)
    if best is None:
        return None
    latest = dispatched + timedelta(days=promised_days(network, city, service))
    return min(dispatched + timedelta(days=best[2]), latest), latest


@dataclass(frozen=True)
class ShippingOption:
    """One way to ship to the shopper, with the shopper's fee and dates."""

    service: str  # standard | express
    fee: float | None  # ¥; None when the basket value is unknown and the fee depends on it
    earliest: date
    latest: date
    fastest: bool = False
    cheapest: bool = False


def shipping_options(
    network: Network, city: City, basket: float | None, membership: str, now: datetime
) -> list[ShippingOption]:
    """Standard and (where offered) express, for an order paid ``now`` (naive UTC)."""
    rules = network.rules
    dispatched = dispatch_date(network, now)
    options: list[ShippingOption] = []
    for service in ("standard", "express"):
        window = delivery_window(network, city, service, dispatched)
        if window is None:
            continue
        if service == "express":
            fee: float | None = 0.0 if membership in rules.express_free_for else rules.express_fee
        elif basket is None:
            fee = None
        else:
            fee = 0.0 if basket >= rules.free_from else rules.standard_fee
        options.append(ShippingOption(service, fee, *window))
    if not options:
        return options
    quickest = min(o.latest for o in options)
    # an unknown basket's standard fee is at most the standard fee
    most = [rules.standard_fee if o.fee is None else o.fee for o in options]
    return [
        ShippingOption(
            o.service,
            o.fee,
            o.earliest,
            o.latest,
            fastest=o.latest == quickest and len(options) > 1,
            cheapest=fee == min(most) and len(options) > 1,
        )
        for o, fee in zip(options, most, strict=True)
    ]


@dataclass(frozen=True)
class OrderEta:
    """What the store promises about one order's delivery.

    ``window``: paid, not shipped yet: dispatched on ``dispatch``, delivered between ``earliest``
    and ``due``. ``due``: shipped, expected on ``due``. ``late``: shipped, and ``due`` has passed.
    """

    kind: Literal["window", "due", "late"]
    due: date
    dispatch: date | None = None
    earliest: date | None = None


def order_eta(network: Network, order: Order, today: date) -> OrderEta | None:
    """The promise for ``order`` on ``today`` (a Beijing date); None when none can be made.

    A paid order: its dispatch day (the cut-off) and the standard window to its city. A shipped
    one: the day its carrier should deliver it from its warehouse, or late once that has passed.
    None for other states, or a city, carrier or warehouse the network does not know.
    """
    city = network.city(order.city)
    if city is None or order.state not in ETA_STATES:
        return None
    if order.state == "paid":
        if order.paid_at is None:
            return None
        dispatched = dispatch_date(network, order.paid_at)
        window = delivery_window(network, city, "standard", dispatched)
        if window is None:
            return None
        return OrderEta("window", window[1], dispatched, window[0])
    shipment = order.shipment
    if shipment is None or order.shipped_at is None:
        return None
    carrier = network.carrier_named(shipment.carrier)
    warehouse = network.warehouse_named(shipment.warehouse)
    if carrier is None or warehouse is None:
        return None
    due = eta(network, warehouse, carrier, city, beijing_date(order.shipped_at))
    return OrderEta("late" if due < today else "due", due)
