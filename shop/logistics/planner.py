"""Fulfilment planner: for a day's orders, a warehouse and a carrier per order at least cost.

Every parcel must arrive by the order's promised date (the policy's upper bound for its
service level and region, counted from dispatch), within each warehouse's stock and daily
capacity (parcels). An order whose items no single warehouse holds ships split, one parcel per
warehouse, each parcel paying its own base cost. The optimal plan is a 0/1 integer program
solved by HiGHS (``scipy.optimize.milp``): a parcel variable per feasible (order, warehouse,
carrier), a line variable per (order line, warehouse with stock), a "cannot ship today"
variable per order at a high penalty. The naive plan is what a store does without a planner:
orders in sequence, the nearest warehouse that holds everything (else each line from the
nearest that holds it), the cheapest carrier there that keeps the promise.
"""

from __future__ import annotations

import csv
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from shop.logistics.network import EXTRA_ITEM_COST, Carrier, City, LogisticsError, Network
from shop.logistics.promise import promised_days, transit_days

UNSHIPPED_PENALTY = 1000.0  # ¥-equivalent of an order that cannot ship today


@dataclass(frozen=True)
class DayOrder:
    """An order to dispatch today."""

    id: str
    city: str  # name_zh
    service: str  # standard | express
    items: tuple[tuple[str, int], ...]  # (product id, quantity)


@dataclass(frozen=True)
class Parcel:
    """One parcel of an order: where from, with whom, what, at what cost."""

    warehouse: str
    carrier: str
    items: tuple[tuple[str, int], ...]
    cost: float
    on_time: bool = True


@dataclass
class Plan:
    """Parcels per order, and what they cost."""

    name: str
    parcels: dict[str, list[Parcel]] = field(default_factory=dict)
    unshipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_cost(self) -> float:
        """¥ paid to carriers and warehouses for the orders that ship."""
        return round(sum(p.cost for ps in self.parcels.values() for p in ps), 2)

    def summary(self) -> dict[str, object]:
        """Figures for the report."""
        flat = [p for ps in self.parcels.values() for p in ps]
        return {
            "orders_shipped": len(self.parcels),
            "parcels": len(flat),
            "split_orders": sum(len(ps) > 1 for ps in self.parcels.values()),
            "unshipped": len(self.unshipped),
            "late_parcels": sum(not p.on_time for p in flat),
            "total_cost": self.total_cost,
            "cost_per_order": round(self.total_cost / max(1, len(self.parcels)), 3),
            "by_warehouse": dict(sorted(Counter(p.warehouse for p in flat).items())),
            "by_carrier": dict(sorted(Counter(p.carrier for p in flat).items())),
            "seconds": round(self.seconds, 3),
        }

    def rows(self) -> list[tuple[str, str, str, str, float]]:
        """``(order, warehouse, carrier, items, cost)`` per parcel, for printing."""
        return [
            (order, p.warehouse, p.carrier, " ".join(f"{i}x{q}" for i, q in p.items), p.cost)
            for order, ps in sorted(self.parcels.items())
            for p in ps
        ]


def load_stock(path: Path) -> dict[tuple[str, str], int]:
    """``(warehouse, product) -> quantity`` from ``data/logistics/stock.csv``."""
    if not path.exists():
        raise LogisticsError(f"{path} is missing: run `make logistics-data`.")
    with path.open(encoding="utf-8", newline="") as f:
        return {(r["warehouse"], r["product"]): int(r["quantity"]) for r in csv.DictReader(f)}


def day_orders(
    network: Network, stock: dict[tuple[str, str], int], n: int, seed: int = 7
) -> list[DayOrder]:
    """A reproducible day of ``n`` orders of in-stock products (5+ units in all).

    Big cities weigh more, 15% go express where offered, 1-3 lines of 1-2 units each.
    """
    rng = random.Random(seed)
    totals: Counter[str] = Counter()
    for (_, product), quantity in stock.items():
        totals[product] += quantity
    products = sorted(p for p, q in totals.items() if q >= 5)
    cities = sorted(network.cities.values(), key=lambda c: c.name_zh)
    weights = [
        {"mainland": 4.0 if c.express else 1.0, "remote": 0.8}.get(c.region, 1.5) for c in cities
    ]
    orders = []
    for k in range(n):
        city = rng.choices(cities, weights)[0]
        service = "express" if city.express and rng.random() < 0.15 else "standard"
        picked = rng.sample(products, rng.choice((1, 1, 1, 2, 2, 3)))
        items = tuple((p, rng.choice((1, 1, 1, 2))) for p in sorted(picked))
        orders.append(DayOrder(f"D{k:05d}", city.name_zh, service, items))
    return orders


def _carriers(
    network: Network, order: DayOrder, warehouse: str
) -> list[tuple[Carrier, float, bool]]:
    """Carriers that can take a parcel of ``order`` from ``warehouse``: (carrier, cost, on time).

    The cost is the parcel's cost for one item; each further item adds ``EXTRA_ITEM_COST``.
    """
    city: City = network.cities[order.city]
    limit = promised_days(network, city, order.service)
    out = []
    for c in network.carriers.values():
        if not network.serves(c, city) or (order.service == "express" and c.service != "express"):
            continue
        on_time = transit_days(network, warehouse, c, city) <= limit
        out.append((c, network.cost(warehouse, c, city, 1), on_time))
    return out


def _parcel(
    network: Network, order: DayOrder, warehouse: str, items: tuple[tuple[str, int], ...]
) -> Parcel | None:
    """The cheapest on-time carrier for these items from ``warehouse`` (else the fastest)."""
    options = _carriers(network, order, warehouse)
    if not options:
        return None
    on_time = [o for o in options if o[2]]
    city = network.cities[order.city]
    carrier, cost, ok = (
        min(on_time, key=lambda o: o[1])
        if on_time
        else min(options, key=lambda o: transit_days(network, warehouse, o[0], city))
    )
    extra = EXTRA_ITEM_COST * (sum(q for _, q in items) - 1)
    return Parcel(warehouse, carrier.id, items, round(cost + extra, 2), ok)


def naive_plan(network: Network, orders: list[DayOrder], stock: dict[tuple[str, str], int]) -> Plan:
    """Nearest warehouse holding everything, else each line from the nearest that holds it."""
    started = time.perf_counter()
    left = dict(stock)
    capacity = {w.id: w.daily_capacity for w in network.warehouses.values()}
    plan = Plan("naive: nearest warehouse")
    for order in orders:
        nearest = [w for w in network.nearest_warehouses(order.city) if capacity[w] > 0]
        whole = next(
            (w for w in nearest if all(left.get((w, p), 0) >= q for p, q in order.items)), None
        )
        groups: dict[str, list[tuple[str, int]]] = {}
        if whole is not None:
            groups[whole] = list(order.items)
        else:
            for p, q in order.items:
                w = next((w for w in nearest if left.get((w, p), 0) >= q), None)
                if w is None:
                    groups = {}
                    break
                groups.setdefault(w, []).append((p, q))
        parcels = [_parcel(network, order, w, tuple(items)) for w, items in groups.items()]
        if (
            not groups
            or any(p is None for p in parcels)
            or len(groups) > sum(capacity[w] > 0 for w in groups)
        ):
            plan.unshipped.append(order.id)
            continue
        plan.parcels[order.id] = [p for p in parcels if p is not None]
        for w, items in groups.items():
            capacity[w] -= 1
            for p, q in items:
                left[(w, p)] -= q
    plan.seconds = time.perf_counter() - started
    return plan


class _Rows:
    """Sparse constraint rows for ``milp``."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(self.lower)
        for col, val in entries:
            self.rows.append(r)
            self.cols.append(col)
            self.vals.append(val)
        self.lower.append(lo)
        self.upper.append(hi)

    def constraint(self, n_vars: int) -> LinearConstraint:
        matrix = coo_matrix((self.vals, (self.rows, self.cols)), shape=(len(self.lower), n_vars))
        return LinearConstraint(matrix.tocsr(), np.array(self.lower), np.array(self.upper))


def optimal_plan(
    network: Network,
    orders: list[DayOrder],
    stock: dict[tuple[str, str], int],
    time_limit: float = 60.0,
) -> Plan:
    """Least total cost with every promise kept, within stock and capacity (MILP, HiGHS)."""
    started = time.perf_counter()
    parcels: list[tuple[int, str, Carrier, float]] = []  # y: (order, warehouse, carrier, cost)
    lines: list[tuple[int, int, str]] = []  # z: (order, line, warehouse)
    for i, order in enumerate(orders):
        for w in network.warehouses:
            for c, cost, on_time in _carriers(network, order, w):
                if on_time:
                    parcels.append((i, w, c, cost - EXTRA_ITEM_COST))
            for k, (p, q) in enumerate(order.items):
                if stock.get((w, p), 0) >= q:
                    lines.append((i, k, w))
    n_y, n_z, n_o = len(parcels), len(lines), len(orders)
    objective = np.array(
        [c for *_, c in parcels]
        + [EXTRA_ITEM_COST * orders[i].items[k][1] for i, k, _ in lines]
        + [UNSHIPPED_PENALTY] * n_o
    )
    rows = _Rows()
    y_at: dict[tuple[int, str], list[int]] = {}
    for j, (i, w, _, _) in enumerate(parcels):
        y_at.setdefault((i, w), []).append(j)
    per_line: dict[tuple[int, int], list[tuple[int, float]]] = {}
    per_stock: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for j, (i, k, w) in enumerate(lines):
        col = n_y + j
        per_line.setdefault((i, k), []).append((col, 1.0))
        p, q = orders[i].items[k]
        per_stock.setdefault((w, p), []).append((col, float(q)))
        # a line ships from w only in a parcel from w
        rows.add([(col, 1.0)] + [(y, -1.0) for y in y_at.get((i, w), [])], -np.inf, 0.0)
    for i, order in enumerate(orders):
        for k in range(len(order.items)):
            rows.add([*per_line.get((i, k), []), (n_y + n_z + i, 1.0)], 1.0, 1.0)
    for ys in y_at.values():  # at most one parcel per order and warehouse
        rows.add([(y, 1.0) for y in ys], 0.0, 1.0)
    for key, entries in per_stock.items():
        rows.add(entries, 0.0, float(stock.get(key, 0)))
    for w, wh in network.warehouses.items():
        ys = [j for j, (_, pw, _, _) in enumerate(parcels) if pw == w]
        rows.add([(y, 1.0) for y in ys], 0.0, float(wh.daily_capacity))
    n_vars = n_y + n_z + n_o
    result = milp(
        objective,
        constraints=rows.constraint(n_vars),
        integrality=np.ones(n_vars),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-4},
    )
    if result.x is None:
        raise LogisticsError(f"the planner found no plan: {result.message}")
    x = result.x > 0.5
    plan = Plan("optimal: MILP (HiGHS)")
    chosen_lines: dict[tuple[int, str], list[tuple[str, int]]] = {}
    for j, (i, k, w) in enumerate(lines):
        if x[n_y + j]:
            chosen_lines.setdefault((i, w), []).append(orders[i].items[k])
    for j, (i, w, c, c_cost) in enumerate(parcels):
        items = chosen_lines.get((i, w))
        if x[j] and items:
            n_items = sum(q for _, q in items)
            parcel = Parcel(w, c.id, tuple(items), round(c_cost + EXTRA_ITEM_COST * n_items, 2))
            plan.parcels.setdefault(orders[i].id, []).append(parcel)
    plan.unshipped = [o.id for i, o in enumerate(orders) if x[n_y + n_z + i]]
    plan.seconds = time.perf_counter() - started
    return plan
