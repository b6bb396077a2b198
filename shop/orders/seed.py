"""Load the demo shoppers and orders (``data/orders/demo.yaml``) into an empty store.

Times in the file are relative ("placed 3 days ago"), so the demo store is always current:
an order "in transit" was shipped yesterday whenever you start kefu. Items name catalog
product ids; names, category, tags and price come from the catalog. Tracking events are
generated from the order's timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from shop.catalog import Catalog
from shop.orders.models import (
    STATES,
    Order,
    OrderItem,
    ProductView,
    Shipment,
    Shopper,
    TrackingEvent,
)

SHIPPED = ("shipped", "in_transit", "delivered", "returned")


def _at(base: datetime, days_ago: float | None) -> datetime | None:
    return None if days_ago is None else base - timedelta(days=float(days_ago))


def seed(session: Session, path: Path, now: datetime) -> int:
    """Add every shopper and order of ``path``; returns the number of orders."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalog = Catalog.load(path.parent.parent / "catalog" / "products.csv")
    count = 0
    for s in data["shoppers"]:
        session.add(Shopper(id=s["id"], name=s["name"], membership=s["membership"], city=s["city"]))
        session.flush()  # the shopper first: Postgres checks the foreign keys of what follows
        for o in s.get("orders", []):
            session.add(_order(s["id"], o, catalog, now))
            count += 1
        for hours, product in enumerate(s.get("viewed", []), start=1):  # most recent first
            if product not in catalog.by_id:
                raise ValueError(f"{path}: shopper {s['id']} viewed unknown product {product}")
            session.add(
                ProductView(
                    shopper_id=s["id"],
                    product_id=product,
                    viewed_at=now - timedelta(hours=5 * hours),
                )
            )
    return count


def _order(shopper_id: str, o: dict[str, Any], catalog: Catalog, now: datetime) -> Order:
    state = o["state"]
    if state not in STATES:
        raise ValueError(f"order {o['id']}: unknown state {state!r}")
    placed = _at(now, o["placed_days_ago"])
    assert placed is not None
    paid = placed + timedelta(minutes=3) if state != "unpaid" and state != "cancelled" else None
    shipped = _at(now, o.get("shipped_days_ago")) if state in SHIPPED else None
    delivered = (
        _at(now, o.get("delivered_days_ago")) if state in ("delivered", "returned") else None
    )
    items = []
    for line in o["items"]:
        p = catalog.by_id[line["product"]]
        items.append(
            OrderItem(
                product_id=p.id,
                name_zh=p.name_zh,
                name_en=p.name_en,
                type_zh=p.type_zh,
                type_en=p.type_en,
                category=p.category,
                tags="|".join(p.tags),
                price=p.price,
                quantity=int(line.get("quantity", 1)),
            )
        )
    total = sum((i.price * i.quantity for i in items), Decimal(0))
    order = Order(
        id=o["id"], shopper_id=shopper_id, state=state, city=o["city"], address=o["address"],
        total=total, created_at=placed, paid_at=paid, shipped_at=shipped, delivered_at=delivered,
        cancelled_at=placed + timedelta(hours=1) if state == "cancelled" else None, items=items,
    )  # fmt: skip
    if shipped is not None:
        ship = o.get("shipment", {})
        order.shipment = Shipment(
            carrier=ship.get("carrier", "顺丰速运 SF Express"),
            tracking_number=ship.get("tracking_number", f"SF{o['id'][2:]}01"),
            service=ship.get("service", "standard"),
            warehouse=ship.get("warehouse", "上海 Shanghai"),
            events=_events(
                o["city"], ship.get("warehouse", "上海 Shanghai"), shipped, delivered, now
            ),
        )
    return order


def _events(
    city: str, warehouse: str, shipped: datetime, delivered: datetime | None, now: datetime
) -> list[TrackingEvent]:
    """Scans from the warehouse to the door, as far as the timeline has got."""
    end = delivered or now
    steps = [
        (0.0, warehouse, "包裹已从仓库发出", "Parcel left the warehouse"),
        (0.35, warehouse, "已到达转运中心", "Arrived at the sorting centre"),
        (0.7, city, f"已到达{city}转运中心", f"Arrived at the {city} sorting centre"),
        (0.9, city, "快递员正在派送", "Out for delivery"),
    ]
    events = [
        TrackingEvent(time=shipped + (end - shipped) * f, location=loc, text_zh=zh, text_en=en)
        for f, loc, zh, en in steps
        if delivered is not None or f < 0.7
    ]
    if delivered is not None:
        events.append(
            TrackingEvent(time=delivered, location=city, text_zh="已签收", text_en="Delivered")
        )
    return events
