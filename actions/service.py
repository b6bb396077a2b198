"""The services of this action-server process, each built on first use and kept.

Nothing loads at import time: ``python -m actions.server`` warms the knowledge service up
before it listens; the order store and catalog open on their first use (milliseconds).
"""

from __future__ import annotations

import functools
import logging
import os

from knowledge.encode import Encoder
from knowledge.errors import KnowledgeError, NotConnectedError
from knowledge.models import ModelResolver
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from shop.catalog import Catalog
from shop.generate.generator import Generator, build_generator
from shop.logistics.network import Network
from shop.orders import OrderStore
from shop.orders.returns import ReturnRules
from shop.promotions import Promotion, load_promotions
from shop.recommend import Recommender
from shop.settings import ShopSettings

log = logging.getLogger(__name__)


@functools.cache
def get_settings() -> Settings:
    """The process's settings, from the environment."""
    return Settings.from_env()


@functools.cache
def get_shop_settings() -> ShopSettings:
    """The shop's settings (orders, recommendations, the generator), from the environment."""
    return ShopSettings.from_env()


@functools.cache
def get_service() -> KnowledgeService:
    """The knowledge engine, warmed up (models and index loaded)."""
    # Before torch loads: idle OpenMP threads sleep instead of spinning. On 2 cores shared
    # with Rasa, spinning threads stall each other: 0.6-0.9 questions/s, against ~4 with
    # passive threads (measured with Rasa busy; bench/pipeline.py runs the same way).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    service = KnowledgeService(get_settings())
    service.warm_up()
    return service


def connected(part: str) -> bool:
    """Whether the store connected ``part`` of kefu: ``catalog``, ``orders`` or ``shipping``.

    A store that brings only its documents has none of them: the actions that need one
    answer from the documents instead (``actions.policy.StoreAction``).
    """
    settings = get_shop_settings()
    if part == "catalog":
        return settings.catalog_file.exists()
    if part == "orders":  # its own database, or the demo orders seeded into the cache
        return bool(settings.orders_url) or settings.demo_orders.exists()
    if part == "shipping":
        return settings.logistics_dir.is_dir() and (settings.data_dir / "store.yaml").exists()
    raise ValueError(f"unknown part {part!r}")


@functools.cache
def get_orders() -> OrderStore:
    """The order store (schema created and demo data seeded on first use)."""
    settings = get_shop_settings()
    if not connected("orders"):
        raise NotConnectedError(
            f"no order store: set KEFU_ORDERS_URL, or seed one from {settings.demo_orders}"
        )
    store = OrderStore(settings.orders_db_url, settings.demo_orders)
    store.open()
    return store


@functools.cache
def get_catalog() -> Catalog:
    """The product catalog."""
    path = get_shop_settings().catalog_file
    if not connected("catalog"):
        raise NotConnectedError(f"no product catalog at {path}")
    return Catalog.load(path)


@functools.cache
def get_promotions() -> list[Promotion]:
    """The store's promotions (``data/promotions.yaml``)."""
    return load_promotions(get_shop_settings().data_dir / "promotions.yaml")


@functools.cache
def get_return_rules() -> ReturnRules:
    """The store's return rules (``data/store.yaml``)."""
    path = get_shop_settings().data_dir / "store.yaml"
    if not path.exists():
        raise NotConnectedError(f"no machine-readable store rules at {path}")
    return ReturnRules.load(path)


@functools.cache
def get_network() -> Network:
    """The shipping network and shipping rules (``data/logistics``, ``data/store.yaml``)."""
    settings = get_shop_settings()
    if not connected("shipping"):
        raise NotConnectedError(f"no shipping network at {settings.logistics_dir}")
    return Network.load(settings.logistics_dir, settings.data_dir / "store.yaml")


@functools.cache
def get_recommender() -> Recommender:
    """Product recommendations; shares the retriever's encoder unless another is configured."""
    engine, shop = get_settings(), get_shop_settings()
    if shop.recommend_model and shop.recommend_model != engine.retriever_model:
        encoder = Encoder(shop.recommend_model, get_service().resolver, engine.device)
    else:
        encoder = get_service().encoder
    recommender = Recommender(get_catalog(), encoder, cache_dir=shop.cache_dir / "recommend")
    recommender.warm_up()
    return recommender


@functools.cache
def get_generator() -> Generator:
    """Pitches and descriptions: the configured model, or templates when it cannot load."""
    engine = get_settings()
    generator = build_generator(
        get_shop_settings(), ModelResolver(engine), get_catalog(), engine.device
    )
    if generator.backend is not None:
        try:
            generator.backend.warm_up()
        except KnowledgeError:
            log.critical(
                "generator %s unavailable: every pitch and description comes from templates",
                generator.model_name,
                exc_info=True,
            )
            generator.backend = None
    return generator
