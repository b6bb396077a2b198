import sqlite3
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError
from shop.orders import OrderStore


def test_a_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "orders.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("create table busy (x)")
    holder.execute("begin exclusive")
    try:
        with pytest.raises(KnowledgeError, match=r"locked.*KEFU_ORDERS_URL"):
            OrderStore(f"sqlite:///{db}", None).open()
    finally:
        holder.execute("rollback")
        holder.close()


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(KnowledgeError, match="Cannot open the order store"):
        OrderStore(f"sqlite:///{blocker}/orders.db", None).open()
