"""``reports/logistics.json``: planner vs naive on a seeded day, and ETA accuracy.

ETA accuracy is measured twice: on the demo store's delivered orders (their recorded ship and
delivery times, written by hand in ``data/orders/demo.yaml``), and on a simulated history
whose transit times scatter around the network's hours (after the service level's first
day; log-normal, sigma 0.25) with one parcel in ten held up a day (weather, a missed sort):
a stand-in for a store's real delivery log, which the same function measures when there is
one.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from common.clock import beijing_date, to_beijing
from shop.logistics.network import Network
from shop.logistics.planner import day_orders, load_stock, naive_plan, optimal_plan
from shop.logistics.promise import transit_days


def _accuracy(pairs: list[tuple[int, int]]) -> dict[str, float | int]:
    """``(predicted days, actual days)`` -> exact, within one day, on time, mean error."""
    n = len(pairs)
    if not n:
        return {"n": 0}
    return {
        "n": n,
        "exact_date": round(sum(p == a for p, a in pairs) / n, 3),
        "within_1_day": round(sum(abs(p - a) <= 1 for p, a in pairs) / n, 3),
        "arrived_by_eta": round(sum(a <= p for p, a in pairs) / n, 3),
        "mean_abs_error_days": round(sum(abs(p - a) for p, a in pairs) / n, 3),
    }


def demo_eta(network: Network, demo_file: Path) -> dict[str, float | int]:
    """ETA vs the recorded delivery date of the demo store's delivered orders."""
    raw = yaml.safe_load(demo_file.read_text(encoding="utf-8"))
    now = datetime(2026, 1, 1)  # any fixed moment: only differences of days matter
    pairs = []
    for shopper in raw["shoppers"]:
        for o in shopper["orders"]:
            ship = o.get("shipment") or {}
            if o.get("delivered_days_ago") is None or not ship:
                continue
            city = network.city(o["city"])
            carrier = network.carrier_named(ship.get("carrier", ""))
            warehouse = network.warehouse_named(ship.get("warehouse", ""))
            if city is None or carrier is None or warehouse is None:
                continue
            shipped = now - timedelta(days=o["shipped_days_ago"])
            delivered = now - timedelta(days=o["delivered_days_ago"])
            predicted = transit_days(network, warehouse.id, carrier, city)
            actual = (beijing_date(delivered) - beijing_date(shipped)).days
            pairs.append((predicted, actual))
    return _accuracy(pairs)


def simulated_eta(network: Network, n: int = 2000, seed: int = 11) -> dict[str, float | int]:
    """ETA vs a simulated delivery log (see the module docstring)."""
    rng = random.Random(seed)
    cities = sorted(network.cities.values(), key=lambda c: c.name_zh)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < n:
        city = rng.choice(cities)
        warehouse = network.nearest_warehouses(city.name_zh)[rng.choice((0, 0, 0, 1))]
        carrier = rng.choice([c for c in network.carriers.values() if network.serves(c, city)])
        departs = datetime(2026, 10, 1, 10) + timedelta(hours=rng.uniform(0, 24 * 30))  # UTC
        hours = network.route(warehouse, city.name_zh).hours(carrier)
        if carrier.service == "express" and city.express:
            hours = min(hours, 20.0)
        else:  # the standard service level hands parcels over from the window's first day
            hours = max(hours, 24.0 * network.rules.standard_days[city.region][0] - 8)
        hours *= math.exp(rng.gauss(0, 0.25))
        hours += 24 if rng.random() < 0.1 else 0
        arrives = departs + timedelta(hours=hours)
        local_arrival = to_beijing(arrives)
        if local_arrival.hour >= 20:  # couriers stop at 20:00; the rest go out the next morning
            arrives += timedelta(hours=12)
        predicted = transit_days(network, warehouse, carrier, city)
        pairs.append((predicted, (beijing_date(arrives) - beijing_date(departs)).days))
    return _accuracy(pairs)


def logistics_report(
    network: Network, stock_file: Path, demo_file: Path, orders: int, seed: int
) -> dict[str, Any]:
    """Planner comparison and ETA accuracy, as written to ``reports/logistics.json``."""
    stock = load_stock(stock_file)
    day = day_orders(network, stock, orders, seed)
    naive = naive_plan(network, day, stock)
    best = optimal_plan(network, day, stock)
    saving = naive.total_cost - best.total_cost
    return {
        "network": {
            "cities": len(network.cities),
            "express_cities": sum(c.express for c in network.cities.values()),
            "warehouses": len(network.warehouses),
            "carriers": len(network.carriers),
            "lanes": network.graph.number_of_edges(),
        },
        "planner": {
            "orders": orders,
            "seed": seed,
            "naive": naive.summary(),
            "optimal": best.summary(),
            "saving": round(saving, 2),
            "saving_share": round(saving / naive.total_cost, 4) if naive.total_cost else 0.0,
            "note": "cost of the orders each plan ships; orders it cannot ship (stock) are counted",
        },
        "eta": {
            "demo_orders": demo_eta(network, demo_file),
            "simulated_history": simulated_eta(network),
        },
    }
