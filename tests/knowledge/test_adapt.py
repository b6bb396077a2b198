"""The store adaptation of the matcher: pairs made from documents alone, and when it applies."""

from __future__ import annotations

from pathlib import Path

from knowledge.models import ModelResolver
from knowledge.models.offline import adaptation_folder, adapts, store_fingerprint
from knowledge.settings import Settings
from knowledge.train.adapt import Pair, adaptation_items, held_out, twins
from knowledge.types import Passage, Source
from knowledge.units import split_sentences

PAGE = [
    Passage("p1", "Unopened items can be returned within 30 days of delivery.",
            Source("en/returns.md", "Returns", "Overview"), "en"),
    Passage("p2", "Opened food can be returned within 30 days if your pet refuses it. "
            "Refunds take 5 business days.",
            Source("en/returns.md", "Returns", "Opened food"), "en"),
    Passage("f1", "Opened food can be returned within 30 days if your pet refuses it.",
            Source("faq.csv", "FAQ", "My cat hates the food, can I return it?"), "en"),
]  # fmt: skip


def test_an_faq_answer_finds_its_page_twin_and_not_other_sentences() -> None:
    sentences = split_sentences(PAGE)
    faq = next(i for i, s in enumerate(sentences) if s.passage.id == "f1")
    found = {sentences[i].text for i in twins(sentences[faq], sentences)}
    assert found == {"Opened food can be returned within 30 days if your pet refuses it."}
    assert all(sentences[i].passage.id == "p2" for i in twins(sentences[faq], sentences))


def test_pairs_are_faq_questions_and_headings_the_first_section_under_its_title() -> None:
    sentences = split_sentences(PAGE)
    pairs = {p.query: p for p in adaptation_items(PAGE, sentences)}
    assert set(pairs) == {"My cat hates the food, can I return it?", "Returns", "Opened food"}
    faq = pairs["My cat hates the food, can I return it?"]
    assert faq.faq and len(faq.twins) == 1 and faq.twins < faq.positives
    assert {sentences[i].text for i in pairs["Opened food"].positives} == {
        "Opened food can be returned within 30 days if your pet refuses it.",
        "Refunds take 5 business days.",
    }
    assert not pairs["Returns"].faq  # the overview, asked for by the page's title


def test_only_faq_questions_with_twins_are_held_out_about_a_third() -> None:
    assert not held_out(Pair("Opened food", frozenset({1}), False))
    assert not held_out(Pair("q", frozenset({1}), True))  # no twin: nothing to measure
    questions = [Pair(f"question {n}", frozenset({1, 2}), True, frozenset({2})) for n in range(300)]
    assert 70 < sum(held_out(p) for p in questions) < 130


def test_only_another_store_is_adapted_and_its_folder_follows_its_documents(
    tmp_path: Path, store: Path
) -> None:
    kefu = Settings(cache_dir=tmp_path / "cache", data_dir=store, training_dir=store)
    other = Settings(cache_dir=tmp_path / "cache", data_dir=store, training_dir=tmp_path / "kefu")
    assert not adapts(kefu) and adapts(other)
    assert not adapts(Settings(data_dir=store, training_dir=tmp_path / "kefu", adapt=False))
    before = store_fingerprint(store)
    (store / "docs" / "en" / "shipping.md").write_text("changed", encoding="utf-8")
    assert store_fingerprint(store) != before
    general = tmp_path / "general"
    assert adaptation_folder(other, general).name.startswith("general+store-")


def test_the_resolver_gives_a_kept_adaptation_in_the_matchers_place(
    tmp_path: Path, store: Path
) -> None:
    general = tmp_path / "general"
    general.mkdir()
    settings = Settings(
        cache_dir=tmp_path / "cache", data_dir=store, training_dir=tmp_path / "kefu",
        retriever_model=str(general),
    )  # fmt: skip
    resolver = ModelResolver(settings)
    assert resolver.resolve(str(general)) == general  # not built yet
    kept = adaptation_folder(settings, general)
    kept.mkdir(parents=True)
    (kept / ".ok").touch()
    assert resolver.resolve(str(general)) == general  # built, not kept (no model in it)
    (kept / "config.json").write_text("{}")
    assert resolver.resolve(str(general)) == kept
    assert resolver.resolve(str(general), adapted=False) == general


def test_kefus_own_documents_are_never_adapted_wherever_they_are_served_from(
    tmp_path: Path, store: Path
) -> None:
    from knowledge.train.build import documents_only

    view = documents_only(store, tmp_path / "cache")
    assert (view / "docs" / "en" / "shipping.md").exists() and not (view / "qa").exists()
    assert not adapts(Settings(data_dir=view, training_dir=store))
    assert documents_only(store, tmp_path / "cache") == view  # made once
