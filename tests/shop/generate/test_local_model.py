"""The default local generator, for real (``make test`` builds it): fact-constrained decoding."""

from __future__ import annotations

import pytest

from knowledge.models import ModelResolver
from knowledge.settings import Settings
from shop.catalog import Catalog
from shop.generate.prompt import build_prompt
from shop.generate.quantities import numbers
from shop.settings import ShopSettings
from tests.shop.generate.conftest import facts_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend():
    from shop.generate.backends import LocalGenerator

    shop = ShopSettings.from_env()
    if not shop.generator:
        pytest.skip("no local generator configured")
    model = LocalGenerator(shop.generator, ModelResolver(Settings.from_env()), "cpu", int8=True)
    model.warm_up()
    return model


@pytest.mark.parametrize(("pid", "lang"), [("P0001", "zh"), ("P0001", "en"), ("P0065", "en")])
def test_the_raw_model_text_names_the_product_and_writes_only_fact_numbers(
    backend,
    catalog: Catalog,
    pid: str,
    lang: str,
) -> None:
    facts = facts_for(catalog, pid, lang, "description")
    done = backend.complete(build_prompt(facts), max_tokens=48, timeout=30.0)
    assert done.text.startswith(build_prompt(facts).lead)
    assert numbers(done.text) <= numbers(facts.text()), done.text


def test_the_examples_features_are_never_written(backend, catalog: Catalog) -> None:
    prompt = build_prompt(facts_for(catalog, "P0001", "en", "pitch"))
    banned = backend._banned_ids(prompt.banned)
    laptop = backend._tokenizer(" laptop", add_special_tokens=False)["input_ids"]
    assert laptop in banned
    for attempt in (0, 1):
        text = backend.complete(prompt, max_tokens=48, timeout=30.0, attempt=attempt).text
        assert not [w for w in prompt.banned if w in text.lower().replace("-", " ")], text
