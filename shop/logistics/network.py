"""The shipping network: cities, warehouses, carriers and lanes (``data/logistics``) as a graph.

Transit time over a path is the sum of its lanes' driving (or flying) hours plus the fixed
delays of special lanes (customs at the Hong Kong / Macau border, the Hainan ferry), plus the
carrier's handling hours, rounded up to whole days. Remote lanes (Xinjiang, Tibet, Qinghai,
Inner Mongolia) drive slower. Costs are what the store pays the carrier, not the shopper's fee.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from knowledge.errors import KnowledgeError

#: hours added by a lane of each kind, and how much slower its roads are
LANE_DELAY_HOURS = {"road": 0.0, "remote": 0.0, "ferry": 10.0, "border": 72.0}
LANE_SLOWDOWN = {"road": 1.0, "remote": 1.6, "ferry": 1.0, "border": 1.0}
EXTRA_ITEM_COST = 1.0  # ¥ per additional parcel item (packing, weight)


class LogisticsError(KnowledgeError):
    """The shipping-network data is missing or inconsistent."""


@dataclass(frozen=True)
class City:
    """A destination city."""

    name_zh: str
    name_en: str
    province_zh: str
    region: str  # mainland | remote | hong_kong | macau
    express: bool  # next-day express offered

    def name(self, lang: str) -> str:
        """Name in ``zh`` or ``en``."""
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Warehouse:
    """A warehouse the store ships from."""

    id: str
    name_zh: str
    name_en: str
    city: str  # name_zh of its city
    cutoff: time  # Beijing time
    handling_cost: float
    daily_capacity: int


@dataclass(frozen=True)
class Carrier:
    """A carrier and its service level."""

    id: str
    name_zh: str
    name_en: str
    service: str  # standard | express
    speed_kmh: float
    handling_hours: float
    base_cost: float
    cost_per_100km: float
    remote_surcharge: float
    regions: frozenset[str]

    def name(self, lang: str) -> str:
        """Name in ``zh`` or ``en``."""
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class ShippingRules:
    """The shopper-facing shipping policy (``shipping:`` in ``data/store.yaml``)."""

    cutoff: time
    free_from: float
    standard_fee: float
    express_fee: float
    express_free_for: frozenset[str]
    standard_days: dict[str, tuple[int, int]]
    express_days: int

    @classmethod
    def from_yaml(cls, raw: dict[str, Any]) -> ShippingRules:
        """Parse the ``shipping`` mapping."""
        hh, mm = (int(x) for x in str(raw["cutoff"]).split(":"))
        return cls(
            cutoff=time(hh, mm),
            free_from=float(raw["free_from"]),
            standard_fee=float(raw["standard_fee"]),
            express_fee=float(raw["express_fee"]),
            express_free_for=frozenset(raw.get("express_free_for", [])),
            standard_days={k: (int(v[0]), int(v[1])) for k, v in raw["standard_days"].items()},
            express_days=int(raw["express_days"]),
        )


@dataclass(frozen=True)
class Route:
    """The shortest road path from a warehouse to a city."""

    path: tuple[str, ...]
    km: float
    slow_km: float  # of which on remote roads
    delay_hours: float  # customs, ferries

    def hours(self, carrier: Carrier) -> float:
        """Door-to-door hours for ``carrier``: handling, moving, fixed lane delays."""
        moving = (
            self.km - self.slow_km + self.slow_km * LANE_SLOWDOWN["remote"]
        ) / carrier.speed_kmh
        return carrier.handling_hours + moving + self.delay_hours

    def days(self, carrier: Carrier) -> int:
        """Whole days in transit (at least one)."""
        return max(1, math.ceil(self.hours(carrier) / 24))


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise LogisticsError(
            f"{path} is missing: the shipping network needs it (see data/logistics/)."
        )
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _parse_time(raw: str) -> time:
    hh, mm = (int(x) for x in raw.split(":"))
    return time(hh, mm)


class Network:
    """The store's shipping network; ``load`` reads it once per process."""

    def __init__(
        self,
        cities: dict[str, City],
        warehouses: dict[str, Warehouse],
        carriers: dict[str, Carrier],
        lanes: list[tuple[str, str, float, str]],
        rules: ShippingRules,
    ) -> None:
        self.cities = cities
        self.warehouses = warehouses
        self.carriers = carriers
        self.rules = rules
        self.graph = nx.Graph()
        for a, b, km, kind in lanes:
            for end in (a, b):
                if end not in cities:
                    raise LogisticsError(f"lane {a}-{b}: unknown city {end!r}")
            self.graph.add_edge(a, b, km=km, kind=kind)
        for w in warehouses.values():
            if w.city not in cities:
                raise LogisticsError(f"warehouse {w.id}: unknown city {w.city!r}")
        self._paths = {
            w.id: nx.single_source_dijkstra_path(self.graph, w.city, weight="km")
            for w in warehouses.values()
        }
        self._routes: dict[tuple[str, str], Route] = {}
        self._by_name = {c.name_zh: c for c in cities.values()} | {
            c.name_en.lower(): c for c in cities.values()
        }

    @classmethod
    def load(cls, logistics_dir: Path, store_file: Path) -> Network:
        """Read ``cities``, ``warehouses``, ``carriers``, ``lanes`` and the shipping rules."""
        cities = {
            r["name_zh"]: City(
                r["name_zh"], r["name_en"], r["province_zh"], r["region"], r["express"] == "1"
            )
            for r in _rows(logistics_dir / "cities.csv")
        }
        warehouses = {
            r["id"]: Warehouse(
                r["id"],
                r["name_zh"],
                r["name_en"],
                r["city_zh"],
                _parse_time(r["cutoff"]),
                float(r["handling_cost"]),
                int(r["daily_capacity"]),
            )
            for r in _rows(logistics_dir / "warehouses.csv")
        }
        carriers = {
            r["id"]: Carrier(
                r["id"],
                r["name_zh"],
                r["name_en"],
                r["service"],
                float(r["speed_kmh"]),
                float(r["handling_hours"]),
                float(r["base_cost"]),
                float(r["cost_per_100km"]),
                float(r["remote_surcharge"]),
                frozenset(r["regions"].split("|")),
            )
            for r in _rows(logistics_dir / "carriers.csv")
        }
        lanes = [
            (r["from"], r["to"], float(r["km"]), r["kind"])
            for r in _rows(logistics_dir / "lanes.csv")
        ]
        try:
            raw = yaml.safe_load(store_file.read_text(encoding="utf-8"))["shipping"]
            rules = ShippingRules.from_yaml(raw)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise LogisticsError(f"{store_file}: no valid 'shipping' section ({exc})") from exc
        return cls(cities, warehouses, carriers, lanes, rules)

    def city(self, name: str | None) -> City | None:
        """A city by its zh or en name ("上海", "上海市", "shanghai"); ``None`` when unknown."""
        key = (name or "").strip()
        key = key.removesuffix("市") if key.endswith("市") else key
        return self._by_name.get(key) or self._by_name.get(key.lower())

    def carrier_named(self, text: str) -> Carrier | None:
        """The carrier a free-text name refers to ("顺丰速运 SF Express" -> SF)."""
        low = text.lower()
        for c in self.carriers.values():
            if c.name_zh in text or c.name_en.lower() in low:
                return c
        return None

    def warehouse_named(self, text: str) -> Warehouse | None:
        """The warehouse a free-text place refers to ("上海 Shanghai" -> SHA)."""
        for w in self.warehouses.values():
            if w.city in text or w.name_en.split()[0].lower() in text.lower():
                return w
        return None

    def route(self, warehouse: str, city: str) -> Route:
        """The shortest road route from a warehouse (id) to a city (name_zh), summed once."""
        key = (warehouse, city)
        if key not in self._routes:
            self._routes[key] = self._route(warehouse, city)
        return self._routes[key]

    def _route(self, warehouse: str, city: str) -> Route:
        path = tuple(self._paths[warehouse][city])
        km = slow = delay = 0.0
        for a, b in itertools.pairwise(path):
            lane = self.graph.edges[a, b]
            km += lane["km"]
            slow += lane["km"] if lane["kind"] == "remote" else 0.0
            delay += LANE_DELAY_HOURS[lane["kind"]]
        return Route(path, km, slow, delay)

    def serves(self, carrier: Carrier, city: City) -> bool:
        """Whether ``carrier`` delivers to ``city``'s region."""
        return city.region in carrier.regions

    def cost(self, warehouse: str, carrier: Carrier, city: City, items: int = 1) -> float:
        """What the store pays to ship one parcel of ``items`` items (¥)."""
        route = self.route(warehouse, city.name_zh)
        surcharge = carrier.remote_surcharge if city.region != "mainland" else 0.0
        return round(
            self.warehouses[warehouse].handling_cost
            + carrier.base_cost
            + carrier.cost_per_100km * route.km / 100
            + surcharge
            + EXTRA_ITEM_COST * max(0, items - 1),
            2,
        )

    def nearest_warehouses(self, city: str) -> list[str]:
        """Warehouse ids by road distance to ``city`` (nearest first)."""
        return sorted(self.warehouses, key=lambda w: self.route(w, city).km)
