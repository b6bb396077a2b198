"""The shop's settings (shop/settings.py): read like the engine's, kept apart from them."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from common.config import default
from knowledge.errors import ConfigError
from knowledge.settings import Settings
from shop.settings import FIELDS, ShopSettings


def test_every_field_has_one_variable_and_its_default() -> None:
    assert set(FIELDS) == {f.name for f in fields(ShopSettings)}, "a field without its variable"
    for f in fields(ShopSettings):
        if f.name != "data_dir":  # the checkout's data/ unless KEFU_DATA_DIR says otherwise
            assert f.default == default(FIELDS[f.name]), f.name


def test_the_engine_settings_hold_nothing_of_the_shop() -> None:
    engine = {f.name for f in fields(Settings)}
    assert not engine & (set(FIELDS) - {"cache_dir", "data_dir"})


def test_read_from_the_environment(tmp_path: Path) -> None:
    env = {
        "KEFU_DATA_DIR": str(tmp_path),
        "KEFU_GENERATOR_URL": "http://127.0.0.1:9/v1",
        "KEFU_GENERATOR_RETRIES": "3",
    }
    shop = ShopSettings.from_env(env)
    assert shop.catalog_file == tmp_path / "catalog" / "products.csv"
    assert shop.generator_retries == 3
    assert shop.generator == "", "an API writes: no local generator to build"
    assert ShopSettings.from_env({}).generator == "", "by default templates write: no model"
    chosen = ShopSettings.from_env({"KEFU_GENERATOR_USE": "pitch/zh"})
    assert chosen.generator == default("KEFU_GENERATOR_MODEL")


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="KEFU_GENERATOR_TOKENS"):
        ShopSettings.from_env({"KEFU_GENERATOR_TOKENS": "many"})


def test_the_demo_order_store_follows_its_seed_data(tmp_path: Path) -> None:
    orders = tmp_path / "orders"
    orders.mkdir()
    (orders / "demo.yaml").write_text("shoppers: []\n")
    shop = ShopSettings(cache_dir=tmp_path / "cache", data_dir=tmp_path)
    first = shop.orders_db_url
    assert (
        first.startswith(f"sqlite:///{tmp_path / 'cache' / 'orders'}")
        and first == shop.orders_db_url
    )
    (orders / "demo.yaml").write_text("shoppers: [u1]\n")
    assert shop.orders_db_url != first, "new seed data, new store"
    assert ShopSettings(orders_url="postgresql://db/kefu").orders_db_url == "postgresql://db/kefu"
