from datetime import timedelta
from pathlib import Path

from shop.orders.returns import ReturnRules, decide_return, is_quality_problem, match_item
from shop.orders.store import OrderStore, now


def setup(shop: Path, tmp_path: Path) -> tuple[OrderStore, ReturnRules]:
    store = OrderStore(f"sqlite:///{tmp_path / 'o.db'}", shop / "orders" / "demo.yaml")
    store.open()
    return store, ReturnRules.load(shop / "store.yaml")


def test_rules_follow_the_policy(shop: Path, tmp_path: Path) -> None:
    store, rules = setup(shop, tmp_path)
    order = store.order_for("alice", "KF10000001")  # delivered 2 days ago
    assert order is not None
    earphones, underwear = order.items
    ok = decide_return(order, earphones, "不想要了", rules, now())
    assert ok.outcome == "no_reason" and ok.fee == 10 and ok.days_left == 5
    assert decide_return(order, underwear, "尺码不合适", rules, now()).outcome == "excluded"
    assert decide_return(order, underwear, "收到就破损了", rules, now()).outcome == "quality"
    later = now() + timedelta(days=6)
    assert decide_return(order, earphones, "changed my mind", rules, later).outcome == "too_late"
    assert decide_return(order, earphones, "it stopped working", rules, later).outcome == "quality"


def test_undelivered_and_old_orders(shop: Path, tmp_path: Path) -> None:
    store, rules = setup(shop, tmp_path)
    paid = store.order_for("alice", "KF10000002")
    old = store.order_for("alice", "KF10000004")  # delivered 20 days ago
    assert paid is not None and old is not None
    assert decide_return(paid, paid.items[0], "x", rules, now()).outcome == "not_delivered"
    assert decide_return(old, old.items[0], "坏了", rules, now()).outcome == "too_late"


def test_a_second_request_for_the_same_item_is_refused(shop: Path, tmp_path: Path) -> None:
    store, rules = setup(shop, tmp_path)
    store.record_return("alice", "KF10000001", 1, "no_reason", "不想要了")
    order = store.order_for("alice", "KF10000001")
    assert order is not None
    assert decide_return(order, order.items[0], "x", rules, now()).outcome == "already_requested"


def test_quality_words_in_both_languages() -> None:
    assert is_quality_problem("屏幕坏了") and is_quality_problem("The screen is CRACKED")
    assert not is_quality_problem("尺码太小") and not is_quality_problem("changed my mind")


def test_items_are_matched_by_type_name_or_position(shop: Path, tmp_path: Path) -> None:
    store, _ = setup(shop, tmp_path)
    order = store.order_for("alice", "KF10000001")
    assert order is not None
    assert match_item(order, "耳机").product_id == "P0001"  # type: ignore[union-attr]
    assert match_item(order, "the underwear").product_id == "P0002"  # type: ignore[union-attr]
    assert match_item(order, "第二件").product_id == "P0002"  # type: ignore[union-attr]
    assert match_item(order, "沙发") is None
