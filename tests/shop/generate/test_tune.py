"""Tuning the local model on approved copy: what it trains on, and how the tuned model is asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shop.catalog import Catalog
from shop.generate.backends import TUNED_MARK, prompt_style
from shop.generate.guard import Guard
from shop.generate.prompt import brief, build_prompt
from shop.generate.tune import examples
from tests.shop.generate.conftest import facts_for


def test_only_texts_the_guard_passes_are_learnt(catalog: Catalog, guard: Guard) -> None:
    rows = [
        {"product": "P0001", "lang": "en", "kind": "pitch",
         "text": "The SonicJoy S3 ANC Bluetooth Earphones last 30 hours on a charge, for ¥399."},
        {"product": "P0001", "lang": "en", "kind": "pitch",
         "text": "The SonicJoy S3 ANC Bluetooth Earphones last 50 hours, for ¥299."},
        {"product": "P9999", "lang": "en", "kind": "pitch", "text": "Anything."},
    ]  # fmt: skip
    kept, dropped = examples(rows, catalog, [], guard)
    assert [e.text for e in kept] == [rows[0]["text"]]
    assert kept[0].prompt == brief(facts_for(catalog, "P0001", "en", "pitch"))
    assert [d["product"] for d in dropped] == ["P0001", "P9999"]


def test_the_brief_is_the_data_and_the_task_without_examples(catalog: Catalog) -> None:
    facts = facts_for(catalog, "P0001", "zh", "description")
    prompt = build_prompt(facts)
    assert prompt.brief.startswith("### 商品数据\n名称: 声悦 S3 主动降噪蓝牙耳机\n")
    assert prompt.brief.endswith("### 文案\n")
    assert "明亮" not in prompt.brief and "明亮" in prompt.completion  # no solved examples


def test_a_tuned_folder_is_given_the_brief(tmp_path: Path) -> None:
    assert prompt_style("google/gemma-3-270m", "auto", tmp_path) == "completion"
    (tmp_path / TUNED_MARK).write_text(json.dumps({"examples": 1}))
    assert prompt_style("google/gemma-3-270m", "auto", tmp_path) == "tuned"
    assert prompt_style("x", "chat", tmp_path) == "chat"  # what the store asked for wins


@pytest.mark.slow
def test_a_tiny_model_tunes_and_saves_a_marked_folder(tmp_path: Path, catalog: Catalog) -> None:
    """One update of a tiny random Gemma 3 with the real tokenizer, end to end."""
    transformers = pytest.importorskip("transformers")
    from knowledge.errors import KnowledgeError
    from knowledge.models import ModelResolver
    from knowledge.settings import Settings
    from shop.generate.tune import Example, tune

    try:
        real = ModelResolver(Settings.from_env()).resolve("google/gemma-3-270m")
    except KnowledgeError:
        pytest.skip("the offline gemma-3-270m is not built here")
    tok = transformers.AutoTokenizer.from_pretrained(str(real))
    config = transformers.Gemma3TextConfig(
        vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=1, num_key_value_heads=1, head_dim=16,
    )  # fmt: skip
    base = tmp_path / "base"
    transformers.Gemma3ForCausalLM(config).save_pretrained(str(base))
    tok.save_pretrained(str(base))
    facts = facts_for(catalog, "P0001", "en", "pitch")
    train = [Example(brief(facts), "The SonicJoy S3 costs ¥399.", "P0001")] * 2
    done = tune(base, train, tmp_path / "tuned", epochs=1, accumulate=2)
    assert done["examples"] == 2 and done["updates"] == 1
    assert (tmp_path / "tuned" / TUNED_MARK).exists()
    assert prompt_style("anything", "auto", tmp_path / "tuned") == "tuned"


def test_a_tuned_model_is_asked_with_the_brief_and_no_lead(catalog: Catalog) -> None:
    from shop.generate.backends import LocalGenerator

    prompt = build_prompt(facts_for(catalog, "P0001", "en", "description"))
    tuned = LocalGenerator("any", None, style="tuned")
    assert tuned._text(prompt) == prompt.brief
    base = LocalGenerator("google/gemma-3-270m", None, style="auto")
    assert base.style == "completion"
