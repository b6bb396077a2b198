import pytest

from knowledge.catalog import Catalog
from knowledge.generate.__main__ import evaluate
from knowledge.generate.generator import Generator
from knowledge.generate.guard import Guard
from tests.knowledge.generate.test_generator import Scripted


def test_the_evaluation_rechecks_every_text_a_shopper_would_see(
    catalog: Catalog, guard: Guard, monkeypatch: pytest.MonkeyPatch
) -> None:
    earphones = [catalog.by_id["P0001"]]
    inventing = Generator(Scripted("声悦 S3 耳机今天只要 ¥1！", took=0), guard)
    report = evaluate(inventing, earphones, [])
    assert report["generations"] == 6 and report["passed_guard"] == 0
    assert report["invented_facts_shown"] == 0  # every text rejected: the templates answered
    # A template that stated something the facts do not say would be counted.
    monkeypatch.setattr("knowledge.generate.generator.template", lambda facts: "只要 ¥1！")
    assert evaluate(inventing, earphones, [])["invented_facts_shown"] == 6
