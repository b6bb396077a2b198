"""The blind review: a sample of every category, pairs in random order, the labels' figures."""

from __future__ import annotations

import json
from pathlib import Path

from shop.catalog import Catalog
from shop.generate.review import agreement, make, review_sample, score


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


def test_what_the_shopper_sees_by_default_is_the_template_where_the_model_is_off(
    tmp_path: Path,
) -> None:
    items = [item("p1", "zh", "pitch", True), item("p2", "zh", "description", True)]
    key = {"p1": "A", "p2": "A"}
    labels = tmp_path / "labels.csv"
    labels.write_text("pair,a_publishable,b_publishable,better\np1,no,yes,B\np2,no,yes,B\n",
                      encoding="utf-8")  # fmt: skip
    off = score(items, key, labels)["by_language"]["zh"]
    assert off["default_shown_publishable"] == 2 and off["shown_publishable"] == 0
    on = score(items, key, labels, use=frozenset({("pitch", "zh")}))["by_language"]["zh"]
    assert on["default_shown_publishable"] == 1  # p1's model text, not publishable


def test_two_editors_agreement_counts_each_text_and_each_preference(tmp_path: Path) -> None:
    items = [item("p1", "en", "pitch", True), item("p2", "en", "pitch", True)]
    key = {"p1": "A", "p2": "B"}
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("pair,a_publishable,b_publishable,better\np1,yes,no,A\np2,yes,yes,same\n",
                   encoding="utf-8")  # fmt: skip
    two.write_text("pair,a_publishable,b_publishable,better\np1,yes,yes,A\np2,yes,yes,B\n",
                   encoding="utf-8")  # fmt: skip
    found = agreement(items, key, [one], [two])["en"]
    assert found["pairs"] == 2
    assert found["publishable_agreement"] == 0.75  # 3 of the 4 texts' verdicts agree
    assert found["better_agreement"] == 0.5


def test_a_new_round_pairs_the_earlier_model_texts_with_the_templates_of_today(
    tmp_path: Path, catalog: Catalog
) -> None:
    from shop.generate.facts import Facts
    from shop.generate.templates import template

    products = [catalog.by_id["P0001"]]
    earlier = {
        f"P0001-{lang}-{kind}": {
            "model": f"old {lang} {kind}", "guard_passed": False, "problems": ["fragmentary"]
        }
        for lang in ("zh", "en")
        for kind in ("pitch", "marketing", "description")
    }  # fmt: skip
    assert make(None, products, [], tmp_path, reuse=earlier) == 6
    rows = [json.loads(x) for x in (tmp_path / "items.jsonl").read_text().splitlines()]
    first = rows[0]
    assert first["model"] == "old zh pitch" and first["problems"] == ["fragmentary"]
    assert first["template"] == template(Facts.of(products[0], "pitch", "zh"))
    zh = (tmp_path / "blind-zh.csv").read_text(encoding="utf-8").splitlines()
    assert len(zh) == 4 and all(",zh," in line for line in zh[1:])
