from pathlib import Path

import pytest

from shop.orders.store import OrderError, OrderStore, normalise_order_id


def open_store(shop: Path, tmp_path: Path) -> OrderStore:
    store = OrderStore(f"sqlite:///{tmp_path / 'db' / 'orders.db'}", shop / "orders" / "demo.yaml")
    store.open()
    return store


def test_seeds_every_order_with_items_shipment_and_events(shop: Path, tmp_path: Path) -> None:
    store = open_store(shop, tmp_path)
    order = store.order_for("alice", "KF10000001")
    assert order is not None and order.state == "delivered"
    assert [i.quantity for i in order.items] == [1, 2]
    assert str(order.total) == "577.00"  # 399 + 2 * 89, prices from the catalog
    assert order.shipment is not None and order.shipment.events[-1].text_en == "Delivered"
    in_transit = store.order_for("alice", "KF10000003")
    assert in_transit is not None and in_transit.shipment is not None
    assert in_transit.shipment.events and in_transit.shipment.events[-1].text_en != "Delivered"
    assert store.order_for("alice", "KF10000002").shipment is None  # type: ignore[union-attr]


def test_someone_elses_order_looks_exactly_like_an_unknown_one(shop: Path, tmp_path: Path) -> None:
    store = open_store(shop, tmp_path)
    assert store.order_for("bob", "KF20000001") is not None
    assert store.order_for("alice", "KF20000001") is None  # bob's
    assert store.order_for("alice", "KF99999999") is None  # nobody's
    assert store.order_for(None, "KF10000001") is None  # a guest
    assert store.order_for("alice", "'; DROP TABLE orders; --") is None
    assert store.order_for("bob", "KF20000001") is not None, "still there"


def test_order_ids_are_normalised() -> None:
    assert normalise_order_id(" kf 1000-0001 ") == "KF10000001"
    assert normalise_order_id("KF123") is None and normalise_order_id("") is None


def test_cancel_and_change_address_only_before_shipping(shop: Path, tmp_path: Path) -> None:
    store = open_store(shop, tmp_path)
    store.change_address("alice", "KF10000002", "杭州市西湖区文三路 3 号")
    assert store.order_for("alice", "KF10000002").address == "杭州市西湖区文三路 3 号"  # type: ignore[union-attr]
    assert store.cancel("alice", "KF10000002").state == "cancelled"
    with pytest.raises(OrderError):
        store.cancel("alice", "KF10000003")  # in transit
    with pytest.raises(OrderError):
        store.change_address("bob", "KF10000002", "x" * 10)  # not bob's


def test_reopening_does_not_seed_twice(shop: Path, tmp_path: Path) -> None:
    open_store(shop, tmp_path)
    again = open_store(shop, tmp_path)
    assert len(again.recent_orders("alice", limit=10)) == 4


def test_unreachable_store_is_a_domain_error(tmp_path: Path) -> None:
    with pytest.raises(OrderError, match="Cannot open the order store"):
        OrderStore("postgresql://nobody@127.0.0.1:1/none").open()
