from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from knowledge.settings import REPO_ROOT
from shop.catalog import Catalog
from shop.evaluate import evaluate_recommender, synthetic_shoppers
from shop.recommend import History, Recommender, mmr, popular, wish_tags
from tests.conftest import FakeEncoder


@pytest.fixture(scope="module")
def store_catalog() -> Catalog:
    return Catalog.load(REPO_ROOT / "data" / "catalog" / "products.csv")


@pytest.fixture(scope="module")
def recommender(store_catalog: Catalog) -> Recommender:
    r = Recommender(store_catalog, FakeEncoder())
    r.warm_up()
    return r


def test_filters_stock_budget_category_owned_and_gift_cards(recommender: Recommender) -> None:
    catalog = recommender.catalog
    owned = ("P0001", "P0167")  # earphones stay owned; a face cream is bought again
    picks = recommender.recommend(
        History(bought=owned), budget=Decimal(300), category="beauty", k=20
    )
    assert picks and all(
        r.product.stock > 0 and r.product.price <= 300 and r.product.category == "beauty"
        and r.product.id != "P0001"
        for r in picks
    )  # fmt: skip
    assert "P0167" in [r.product.id for r in picks]
    everything = recommender.recommend(k=len(catalog.products))
    assert not any("gift-card" in r.product.tags for r in everything)
    cards = recommender.recommend(wish="送个礼品卡吧", k=5)
    assert any("gift-card" in r.product.tags for r in cards)
    assert recommender.recommend(budget=Decimal(1)) == []


def test_history_pulls_in_similar_products_with_a_reason(recommender: Recommender) -> None:
    earphones = recommender.catalog.by_id["P0001"]
    picks = recommender.recommend(History(bought=("P0001",)), k=3)
    assert any(r.product.type_en == earphones.type_en for r in picks)
    same = next(r for r in picks if r.product.type_en == earphones.type_en)
    assert f"和您买过的「{earphones.type_zh}」同类" in same.reason_zh
    assert f"like the {earphones.type_en} you bought" in same.reason("en")


def test_wishes_name_tags_and_the_reason_quotes_them(recommender: Recommender) -> None:
    assert wish_tags("送女朋友的礼物，500 以内") == {"gift", "for-her"}
    assert wish_tags("a present for my dad") >= {"gift", "for-him", "for-parents"}
    assert wish_tags(None) == set()
    picks = recommender.recommend(wish="送女朋友的礼物", budget=Decimal(500), k=3)
    assert all("for-her" in r.product.tags or "gift" in r.product.tags for r in picks)
    assert all(r.reason_zh.startswith("符合「送女朋友的礼物」") for r in picks)
    assert all("¥500 预算内" in r.reason_zh for r in picks)


def test_mmr_trades_relevance_for_variety() -> None:
    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]], dtype=np.float32)
    relevance = np.array([1.0, 0.99, 0.6])
    assert mmr(vectors, relevance, 2, lam=1.0) == [0, 1]
    assert mmr(vectors, relevance, 2, lam=0.5) == [0, 2]
    assert mmr(vectors, relevance, 5, lam=0.5) == [0, 2, 1]


def test_popularity_baseline_and_the_offline_evaluation(recommender: Recommender) -> None:
    catalog = recommender.catalog
    top = popular(catalog, {"P0002": 5, "P0003": 2}, exclude=["P0003"], k=3)
    assert top[0] == "P0002" and "P0003" not in top
    shoppers = synthetic_shoppers(catalog, 30)
    assert shoppers == synthetic_shoppers(catalog, 30) and all(len(s.bought) == 6 for s in shoppers)
    report = evaluate_recommender(recommender, shoppers=30)
    assert set(report["next_purchase"]) >= {"kefu@10", "popular@10"}
    assert 0.0 <= report["wishes"]["kefu_tag_match@3"] <= 1.0


def test_product_vectors_are_cached_on_disk(store_catalog: Catalog, tmp_path: Path) -> None:
    first = Recommender(store_catalog, FakeEncoder(), cache_dir=tmp_path)
    first.warm_up()
    (cached,) = tmp_path.glob("products-*.npy")
    encoder = FakeEncoder()
    again = Recommender(store_catalog, encoder, cache_dir=tmp_path)
    again.warm_up()
    assert encoder.calls == [] and np.array_equal(first.vectors, again.vectors)
    assert cached.exists()
