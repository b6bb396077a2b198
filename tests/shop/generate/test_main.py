import pytest

from shop.catalog import Catalog
from shop.generate.__main__ import evaluate
from shop.generate.generator import Generator
from shop.generate.guard import Guard
from tests.shop.generate.test_generator import Scripted


def test_the_evaluation_rechecks_every_text_a_shopper_would_see(
    catalog: Catalog, guard: Guard, monkeypatch: pytest.MonkeyPatch
) -> None:
    earphones = [catalog.by_id["P0001"]]
    inventing = Generator(Scripted("声悦 S3 耳机今天只要 ¥1！", took=0), guard)
    report = evaluate(inventing, earphones, [])
    assert report["generations"] == 6 and report["passed_guard"] == 0
    assert report["invented_facts_shown"] == 0  # every text rejected: the templates answered
    # A template that stated something the facts do not say would be counted.
    monkeypatch.setattr("shop.generate.generator.template", lambda facts: "只要 ¥1！")
    assert evaluate(inventing, earphones, [])["invented_facts_shown"] == 6
