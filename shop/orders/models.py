"""Order-store schema (SQLAlchemy 2). ``Base.metadata.create_all`` is the schema-creation step.

Times are naive UTC. Money is in yuan (Numeric with 2 decimals). Order states follow the
order's life: unpaid -> paid -> shipped -> in_transit -> delivered (-> returned), or cancelled.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATES = ("unpaid", "paid", "shipped", "in_transit", "delivered", "returned", "cancelled")
NOT_SHIPPED = ("unpaid", "paid")


class Base(DeclarativeBase):
    """Declarative base of the order store."""


class Shopper(Base):
    """A registered shopper; ``id`` is what a conversation's sender id maps to."""

    __tablename__ = "shoppers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    membership: Mapped[str] = mapped_column(String(16), default="regular")  # regular | gold
    city: Mapped[str] = mapped_column(String(64), default="")
    orders: Mapped[list[Order]] = relationship(back_populates="shopper")


class Order(Base):
    """One order: who, where to, its state and timeline."""

    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # KF + 8 digits
    shopper_id: Mapped[str] = mapped_column(ForeignKey("shoppers.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(Text)
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    shopper: Mapped[Shopper] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")
    shipment: Mapped[Shipment | None] = relationship(back_populates="order")
    returns: Mapped[list[ReturnRequest]] = relationship(back_populates="order")


class OrderItem(Base):
    """A line of an order, with the product facts as sold (names, category, tags, price)."""

    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    type_zh: Mapped[str] = mapped_column(String(64), default="")
    type_en: Mapped[str] = mapped_column(String(64), default="")
    category: Mapped[str] = mapped_column(String(32))
    tags: Mapped[str] = mapped_column(String(200), default="")  # "|"-separated
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    quantity: Mapped[int] = mapped_column(default=1)
    order: Mapped[Order] = relationship(back_populates="items")


class Shipment(Base):
    """The parcel of a shipped order."""

    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(32), default="standard")  # standard | express
    warehouse: Mapped[str] = mapped_column(String(64), default="")  # shipped from (free text)
    order: Mapped[Order] = relationship(back_populates="shipment")
    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment", order_by="TrackingEvent.time"
    )


class TrackingEvent(Base):
    """One scan of the parcel."""

    __tablename__ = "tracking_events"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    time: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(100))
    text_zh: Mapped[str] = mapped_column(String(200))
    text_en: Mapped[str] = mapped_column(String(200))
    shipment: Mapped[Shipment] = relationship(back_populates="events")


class ReturnRequest(Base):
    """A return the shopper asked for in a conversation (agents process it)."""

    __tablename__ = "return_requests"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"))
    kind: Mapped[str] = mapped_column(String(16))  # no_reason | quality
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    created_at: Mapped[datetime]
    order: Mapped[Order] = relationship(back_populates="returns")


class Feedback(Base):
    """Feedback and complaints from conversations (agents review them)."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # feedback | complaint
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ProductView(Base):
    """A product page the shopper looked at (browsing history, for recommendations)."""

    __tablename__ = "product_views"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    shopper_id: Mapped[str] = mapped_column(ForeignKey("shoppers.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(16))
    viewed_at: Mapped[datetime]
