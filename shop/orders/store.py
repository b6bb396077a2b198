"""Queries the conversation needs, each scoped to one shopper (no enumeration of others' orders).

``OrderStore(url)`` is cheap; ``open()`` creates the schema and seeds demo data on first use.
An order id that does not exist and one that belongs to someone else look the same to the
caller: both are ``None``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, selectinload

from knowledge.errors import KnowledgeError
from shop.orders.models import (
    NOT_SHIPPED,
    Base,
    Feedback,
    Order,
    OrderItem,
    ProductView,
    ReturnRequest,
    Shipment,
    Shopper,
)

log = logging.getLogger(__name__)

ORDER_ID = re.compile(r"^KF\d{8}$")
T = TypeVar("T")


class OrderError(KnowledgeError):
    """The order store cannot be reached or the request is not allowed."""


def normalise_order_id(raw: str) -> str | None:
    """``"kf 2026 0417"`` -> ``"KF20260417"``; ``None`` when it cannot be an order id."""
    candidate = re.sub(r"[\s\-]", "", raw or "").upper()
    return candidate if ORDER_ID.match(candidate) else None


def now() -> datetime:
    """Naive UTC (what the store keeps)."""
    return datetime.now(UTC).replace(tzinfo=None)


class OrderStore:
    """Orders of the store behind a SQLAlchemy URL (SQLite file by default)."""

    def __init__(self, url: str, seed_file: Path | None = None) -> None:
        self.url = url
        self.seed_file = seed_file
        self._engine: Engine | None = None

    def open(self) -> None:
        """Connect, create the schema if missing, seed demo data into an empty store."""
        if self._engine is not None:
            return
        try:
            if self.url.startswith("sqlite:///"):
                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url)
            Base.metadata.create_all(engine)
            with Session(engine) as session:
                empty = session.scalar(select(func.count()).select_from(Shopper)) == 0
                # a store's own database has no demo orders to seed it with
                if empty and self.seed_file is not None and self.seed_file.exists():
                    from shop.orders.seed import seed

                    seed(session, self.seed_file, now())
                    session.commit()
        except Exception as exc:
            raise OrderError(
                f"Cannot open the order store at {self.url}: {str(exc).splitlines()[0]}."
                " Check KEFU_ORDERS_URL (the"
                " database must be reachable and writable; a SQLite file must not be locked by"
                " another program), or unset it to use the demo store in the cache."
            ) from exc
        self._engine = engine

    def _run(self, work: Callable[[Session], T]) -> T:
        self.open()
        assert self._engine is not None
        with Session(self._engine, expire_on_commit=False) as session:
            result = work(session)
            session.commit()
            return result

    def shopper(self, shopper_id: str | None) -> Shopper | None:
        """The shopper, or None for a guest or an unknown id."""
        if not shopper_id:
            return None
        return self._run(lambda s: s.get(Shopper, shopper_id))

    def order_for(self, shopper_id: str | None, order_id: str) -> Order | None:
        """The shopper's order with its items, shipment and events; None if not theirs."""
        oid = normalise_order_id(order_id)
        if not shopper_id or oid is None:
            return None

        def work(s: Session) -> Order | None:
            query = (
                select(Order)
                .where(Order.id == oid, Order.shopper_id == shopper_id)
                .options(
                    selectinload(Order.items),
                    selectinload(Order.returns),
                    selectinload(Order.shipment).selectinload(Shipment.events),
                )
            )
            return s.scalar(query)

        return self._run(work)

    def recent_orders(self, shopper_id: str | None, limit: int = 3) -> list[Order]:
        """The shopper's latest orders, newest first (to offer when they lack the id)."""
        if not shopper_id:
            return []
        query = (
            select(Order)
            .where(Order.shopper_id == shopper_id)
            .order_by(Order.created_at.desc())
            .limit(limit)
        )
        return self._run(lambda s: list(s.scalars(query)))

    def history(self, shopper_id: str | None, limit: int = 20) -> tuple[list[str], list[str]]:
        """Product ids the shopper bought (not cancelled) and viewed, most recent first."""
        if not shopper_id:
            return [], []
        bought = (
            select(OrderItem.product_id)
            .join(Order)
            .where(Order.shopper_id == shopper_id, Order.state.not_in(("cancelled", "unpaid")))
            .order_by(Order.created_at.desc())
            .limit(limit)
        )
        viewed = (
            select(ProductView.product_id)
            .where(ProductView.shopper_id == shopper_id)
            .order_by(ProductView.viewed_at.desc())
            .limit(limit)
        )
        return self._run(
            lambda s: (
                list(dict.fromkeys(s.scalars(bought))),
                list(dict.fromkeys(s.scalars(viewed))),
            )
        )

    def cancel(self, shopper_id: str, order_id: str) -> Order:
        """Cancel an unshipped order of the shopper; raises ``OrderError`` otherwise."""

        def work(s: Session) -> Order:
            order = s.scalar(
                select(Order).where(Order.id == order_id, Order.shopper_id == shopper_id)
            )
            if order is None or order.state not in NOT_SHIPPED:
                raise OrderError(f"order {order_id} cannot be cancelled")
            order.state, order.cancelled_at = "cancelled", now()
            return order

        return self._run(work)

    def change_address(self, shopper_id: str, order_id: str, address: str) -> Order:
        """Change the address of an unshipped order of the shopper."""

        def work(s: Session) -> Order:
            order = s.scalar(
                select(Order).where(Order.id == order_id, Order.shopper_id == shopper_id)
            )
            if order is None or order.state not in NOT_SHIPPED:
                raise OrderError(f"the address of order {order_id} cannot be changed")
            order.address = address
            return order

        return self._run(work)

    def record_return(
        self, shopper_id: str, order_id: str, item_id: int, kind: str, reason: str
    ) -> ReturnRequest:
        """Record a return request for an item of the shopper's order."""

        def work(s: Session) -> ReturnRequest:
            item = s.scalar(
                select(OrderItem)
                .join(Order)
                .where(
                    OrderItem.id == item_id, Order.id == order_id, Order.shopper_id == shopper_id
                )
            )
            if item is None:
                raise OrderError(f"item {item_id} is not in order {order_id}")
            request = ReturnRequest(
                order_id=order_id,
                item_id=item_id,
                kind=kind,
                reason=reason[:1000],
                created_at=now(),
            )
            s.add(request)
            s.flush()
            return request

        return self._run(work)

    def record_feedback(self, sender_id: str, kind: str, text: str) -> None:
        """Keep a piece of feedback or a complaint for agents."""
        self._run(
            lambda s: s.add(
                Feedback(sender_id=sender_id, kind=kind, text=text[:4000], created_at=now())
            )
        )
