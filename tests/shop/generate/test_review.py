"""The blind review: a sample of every category, pairs in random order, the labels' figures."""

from __future__ import annotations

from pathlib import Path

from shop.catalog import Catalog
from shop.generate.review import review_sample, score


def test_the_sample_has_every_category_and_different_product_types(catalog: Catalog) -> None:
    chosen = review_sample(catalog, per_category=2)
    assert {p.category for p in chosen} == {p.category for p in catalog.products}
    for category in {p.category for p in chosen}:
        kinds = [p.type_zh for p in chosen if p.category == category]
        assert len(kinds) == len(set(kinds)) or len(kinds) > len(
            {p.type_zh for p in catalog.products if p.category == category}
        )


def item(pair: str, lang: str, kind: str, passed: bool) -> dict[str, object]:
    return {"pair": pair, "lang": lang, "kind": kind, "guard_passed": passed}


def test_scores_count_what_the_shopper_was_shown(tmp_path: Path) -> None:
    items = [
        item("p1", "zh", "pitch", True),  # model shown, publishable, preferred
        item("p2", "zh", "pitch", False),  # template shown (guard), template publishable
        item("p3", "zh", "pitch", True),  # model shown, not publishable, template preferred
        item("p4", "en", "description", True),  # model shown, publishable, same
    ]
    key = {"p1": "A", "p2": "B", "p3": "A", "p4": "B"}  # which side is the model's
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "pair,a_publishable,b_publishable,better\n"
        "p1,yes,yes,A\n"
        "p2,yes,no,A\n"
        "p3,no,yes,B\n"
        "p4,yes,yes,same\n",
        encoding="utf-8",
    )
    found = score(items, key, labels)
    zh = found["by_language"]["zh"]
    assert zh["pairs"] == 3 and zh["shown_publishable"] == 2  # p1 (model), p2 (template)
    assert zh["model_publishable"] == 1 and zh["template_publishable"] == 3
    assert zh["model_preferred"] == 1 and zh["template_preferred"] == 2
    assert zh["shown_model_preferred_rate"] == 0.5  # of the 2 model texts shown, 1 preferred
    en = found["by_kind_and_language"]["description/en"]
    assert en["same"] == 1 and en["shown_publishable_rate"] == 1.0
