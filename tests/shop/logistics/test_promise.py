from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shop.logistics.network import Network
from shop.logistics.promise import (
    ETA_STATES,
    OrderEta,
    dispatch_date,
    eta,
    order_eta,
    shipping_options,
)
from shop.orders.models import Order, Shipment

# naive UTC store times; Beijing is UTC+8
BEFORE_CUTOFF = datetime(2026, 11, 30, 7, 59)  # 15:59 Beijing
AT_CUTOFF = datetime(2026, 11, 30, 8, 0)  # 16:00 Beijing
LATE_EVENING = datetime(2026, 11, 30, 17, 0)  # 01:00 on Dec 1 in Beijing


def test_dispatch_cutoff_is_16_beijing(tiny: Network) -> None:
    assert dispatch_date(tiny, BEFORE_CUTOFF) == date(2026, 11, 30)
    assert dispatch_date(tiny, AT_CUTOFF) == date(2026, 12, 1)
    assert dispatch_date(tiny, LATE_EVENING) == date(2026, 12, 1)


def test_eta_is_dispatch_plus_transit(tiny: Network) -> None:
    due = eta(
        tiny, tiny.warehouses["SHA"], tiny.carriers["FAST"], tiny.cities["北京"], date(2026, 11, 30)
    )
    assert due == date(2026, 12, 2)


def test_options_fees_dates_and_marks(tiny: Network) -> None:
    shanghai = tiny.cities["上海"]
    small = shipping_options(tiny, shanghai, 50.0, "regular", BEFORE_CUTOFF)
    standard, express = small
    assert (standard.service, standard.fee, express.service, express.fee) == (
        "standard",
        8.0,
        "express",
        20.0,
    )
    assert express.latest == date(2026, 12, 1) and express.fastest and not standard.fastest
    assert standard.earliest == date(2026, 12, 2) and standard.latest == date(2026, 12, 4)
    assert standard.cheapest and not express.cheapest
    big = shipping_options(tiny, shanghai, 120.0, "regular", BEFORE_CUTOFF)
    assert big[0].fee == 0.0
    gold = shipping_options(tiny, shanghai, 50.0, "gold", BEFORE_CUTOFF)
    assert gold[1].fee == 0.0 and gold[1].cheapest and gold[1].fastest
    unknown = shipping_options(tiny, shanghai, None, "regular", BEFORE_CUTOFF)
    assert unknown[0].fee is None and unknown[0].cheapest and not unknown[1].cheapest


def test_remote_and_hong_kong_get_standard_only_within_their_windows(tiny: Network) -> None:
    (lhasa,) = shipping_options(tiny, tiny.cities["拉萨"], 50.0, "gold", BEFORE_CUTOFF)
    assert lhasa.service == "standard" and lhasa.earliest == date(2026, 12, 5)
    assert lhasa.latest == date(2026, 12, 7) and not lhasa.fastest
    (hk,) = shipping_options(tiny, tiny.cities["香港"], None, "regular", BEFORE_CUTOFF)
    assert hk.earliest == date(2026, 12, 5) and hk.latest == date(2026, 12, 10)


def order(state: str, city: str = "北京", **times: datetime) -> Order:
    return Order(id="KF00000001", shopper_id="u1", state=state, city=city, address="-",
                 total=Decimal("99.00"), created_at=datetime(2026, 11, 29), **times)  # fmt: skip


def shipped(carrier: str = "快运", warehouse: str = "上海仓", **kw: Any) -> Order:
    o = order("in_transit", shipped_at=datetime(2026, 11, 30, 2, 0), **kw)  # 10:00 Beijing
    o.shipment = Shipment(carrier=carrier, tracking_number="T1", warehouse=warehouse)
    return o


def test_a_paid_order_is_promised_its_dispatch_day_and_the_standard_window(tiny: Network) -> None:
    before = order_eta(tiny, order("paid", "上海", paid_at=BEFORE_CUTOFF), date(2026, 11, 30))
    assert before == OrderEta("window", date(2026, 12, 4), date(2026, 11, 30), date(2026, 12, 2))
    after = order_eta(tiny, order("paid", "上海", paid_at=AT_CUTOFF), date(2026, 11, 30))
    assert after == OrderEta("window", date(2026, 12, 5), date(2026, 12, 1), date(2026, 12, 3))


def test_a_shipped_order_is_due_on_its_routes_day_and_late_after_it(tiny: Network) -> None:
    assert order_eta(tiny, shipped(), date(2026, 12, 1)) == OrderEta("due", date(2026, 12, 2))
    assert order_eta(tiny, shipped(), date(2026, 12, 2)) == OrderEta("due", date(2026, 12, 2))
    assert order_eta(tiny, shipped(), date(2026, 12, 3)) == OrderEta("late", date(2026, 12, 2))
    assert order_eta(tiny, shipped(carrier="顺丰速运"), date(2026, 12, 1)) == OrderEta(
        "due", eta(tiny, tiny.warehouses["SHA"], tiny.carriers["AIR"], tiny.cities["北京"],
                   date(2026, 11, 30))
    )  # fmt: skip


def test_no_promise_without_what_it_needs(tiny: Network) -> None:
    today = date(2026, 12, 1)
    for o in (
        order("unpaid"),
        order("delivered", shipped_at=datetime(2026, 11, 28), delivered_at=datetime(2026, 11, 29)),
        order("paid"),  # no payment time
        order("paid", "火星", paid_at=BEFORE_CUTOFF),  # a city the network does not know
        order("in_transit", shipped_at=datetime(2026, 11, 30)),  # no shipment
        shipped(carrier="不存在的快递"),
        shipped(warehouse="不存在的仓"),
    ):
        assert order_eta(tiny, o, today) is None, (o.state, o.city)
    assert ETA_STATES == ("paid", "shipped", "in_transit")
