"""Write the derived shipping-network files in data/logistics/ from the hand-kept ones.

lanes.csv <- cities.csv: each city is linked by road to its three nearest cities (great-circle
distance x 1.25 for roads), plus the links that keep the graph connected; a lane into Hong Kong
or Macau is a ``border`` lane (customs), one across the Qiongzhou Strait a ``ferry``, one
touching a remote region a ``remote`` lane (slower roads).
stock.csv <- catalog stock (data/catalog/products.csv) split over the warehouses
(warehouses.csv): each product sits in 3-5 of them, deterministically (hash of ids).

Run by `make logistics-data` (stdlib only); tests/scripts/test_logistics_data.py fails when
the files are stale. Edit cities.csv / warehouses.csv / the catalog, then rerun.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROAD_FACTOR = 1.25
NEIGHBOURS = 3


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _km(a: dict[str, str], b: dict[str, str]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (a["lat"], a["lon"], b["lat"], b["lon"])))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def _kind(a: dict[str, str], b: dict[str, str]) -> str:
    regions = {a["region"], b["region"]}
    if regions & {"hong_kong", "macau"}:
        return "border"
    if (a["province_zh"] == "海南") != (b["province_zh"] == "海南"):
        return "ferry"
    return "remote" if "remote" in regions else "road"


def lanes(cities: list[dict[str, str]]) -> list[tuple[str, str, int, str]]:
    """Undirected lanes ``(from, to, km, kind)``, sorted."""
    pairs: set[tuple[int, int]] = set()
    for i, a in enumerate(cities):
        near = sorted((_km(a, b), j) for j, b in enumerate(cities) if j != i)[:NEIGHBOURS]
        pairs |= {(min(i, j), max(i, j)) for _, j in near}
    parent = list(range(len(cities)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in pairs:
        parent[root(i)] = root(j)
    while len({root(i) for i in range(len(cities))}) > 1:  # join components by their closest pair
        _, i, j = min(
            (_km(cities[i], cities[j]), i, j)
            for i in range(len(cities))
            for j in range(len(cities))
            if root(i) != root(j)
        )
        pairs.add((min(i, j), max(i, j)))
        parent[root(i)] = root(j)
    out = [
        (
            cities[i]["name_zh"],
            cities[j]["name_zh"],
            round(_km(cities[i], cities[j]) * ROAD_FACTOR),
            _kind(cities[i], cities[j]),
        )
        for i, j in pairs
    ]
    return sorted(out)


def _share(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)


def stock(products: list[dict[str, str]], warehouses: list[str]) -> list[tuple[str, str, int]]:
    """``(warehouse, product, quantity)`` rows: each product's stock over 3-5 warehouses."""
    out = []
    for p in products:
        total = int(p["stock"])
        ranked = sorted(warehouses, key=lambda w: _share(p["id"], w))
        held = ranked[: 3 + _share(p["id"]) % 3]
        weights = [1 + _share(p["id"], w, "w") % 5 for w in held]
        given = 0
        for k, (w, weight) in enumerate(zip(held, weights, strict=True)):
            q = total - given if k == len(held) - 1 else total * weight // sum(weights)
            given += q
            out.append((w, p["id"], q))
    return sorted(out)


def render(root: Path = ROOT) -> dict[Path, str]:
    """Target path -> text."""
    cities = _rows(root / "data/logistics/cities.csv")
    warehouses = [w["id"] for w in _rows(root / "data/logistics/warehouses.csv")]
    products = _rows(root / "data/catalog/products.csv")
    texts = {}
    for name, header, rows in (
        ("lanes.csv", ("from", "to", "km", "kind"), lanes(cities)),
        ("stock.csv", ("warehouse", "product", "quantity"), stock(products, warehouses)),
    ):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        texts[root / "data/logistics" / name] = buf.getvalue()
    return texts


def main() -> int:
    """Write the files (or, with --check, exit 1 when one is stale)."""
    stale = []
    for path, text in render().items():
        if "--check" in sys.argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(map(str, stale))}: run `make logistics-data`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
