"""The store's orders: shoppers, orders, items, shipments, tracking events, return requests.

``models`` is the schema (SQLAlchemy), ``store`` the queries the conversation needs (a
shopper only ever sees their own orders), ``seed`` the demo data loaded on first run.
"""

from shop.orders.store import OrderStore

__all__ = ["OrderStore"]
