from collections import Counter

import pytest

from knowledge.settings import REPO_ROOT
from shop.logistics.network import Network
from shop.logistics.planner import (
    DayOrder,
    Plan,
    day_orders,
    load_stock,
    naive_plan,
    optimal_plan,
)
from shop.logistics.promise import promised_days, transit_days
from tests.shop.logistics.conftest import FIXTURE


def check(network: Network, orders: list[DayOrder], stock: dict, plan: Plan) -> None:
    """Every line ships once, on time, within stock and capacity."""
    used: Counter = Counter()
    parcels: Counter = Counter()
    for order in orders:
        if order.id in plan.unshipped:
            assert order.id not in plan.parcels
            continue
        shipped = Counter()
        for p in plan.parcels[order.id]:
            parcels[p.warehouse] += 1
            city = network.cities[order.city]
            carrier = network.carriers[p.carrier]
            assert transit_days(network, p.warehouse, carrier, city) <= promised_days(
                network, city, order.service
            )
            if order.service == "express":
                assert carrier.service == "express"
            for product, q in p.items:
                shipped[product] += q
                used[(p.warehouse, product)] += q
        assert shipped == Counter(dict(order.items))
    for key, q in used.items():
        assert q <= stock.get(key, 0), key
    for w, n in parcels.items():
        assert n <= network.warehouses[w].daily_capacity


def test_tiny_day_respects_stock_capacity_and_promises(tiny: Network) -> None:
    stock = load_stock(FIXTURE / "logistics" / "stock.csv")
    orders = [
        DayOrder("A", "苏州", "standard", (("P0001", 1),)),
        DayOrder("B", "北京", "express", (("P0001", 1),)),
        DayOrder("C", "上海", "standard", (("P0002", 1), ("P0003", 1))),  # no warehouse has both
        DayOrder("D", "拉萨", "standard", (("P0003", 1),)),
        DayOrder("E", "上海", "standard", (("P0004", 1),)),  # nobody stocks it
        DayOrder("F", "上海", "standard", (("P0001", 2),)),
        DayOrder("G", "上海", "standard", (("P0001", 2),)),
    ]
    naive, best = naive_plan(tiny, orders, stock), optimal_plan(tiny, orders, stock)
    for plan in (naive, best):
        check(tiny, orders, stock, plan)
        assert "E" in plan.unshipped
        assert len(plan.parcels["C"]) == 2  # split over SHA and XIY
        assert plan.parcels["D"][0].carrier == "FAST"  # SLOW would be late to Lhasa
        assert plan.parcels["B"][0].carrier == "AIR"
    assert best.total_cost <= naive.total_cost
    assert best.summary()["split_orders"] == 1


def test_optimal_beats_naive_on_a_seeded_day_of_the_store(store_network: Network) -> None:
    stock = load_stock(REPO_ROOT / "data" / "logistics" / "stock.csv")
    orders = day_orders(store_network, stock, 150, seed=3)
    assert orders == day_orders(store_network, stock, 150, seed=3)  # reproducible
    naive, best = (
        naive_plan(store_network, orders, stock),
        optimal_plan(store_network, orders, stock),
    )
    check(store_network, orders, stock, naive)
    check(store_network, orders, stock, best)
    assert len(best.unshipped) <= len(naive.unshipped)
    assert best.total_cost < naive.total_cost
    assert best.total_cost == pytest.approx(sum(p.cost for ps in best.parcels.values() for p in ps))
