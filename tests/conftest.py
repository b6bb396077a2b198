"""Shared fixtures: a tiny store, a fake encoder, settings pointing at a temp cache."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge.decide import ANSWERABILITY, Decision, Linear
from knowledge.settings import Settings

# Processes the tests start (Rasa, the stack, the scripts) import kefu's packages from the
# repository root, as the Makefile and scripts/lib.sh's kefu_pythonpath arrange outside tests.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))

RETURNS_ZH = """---
title: 退货政策
lang: zh
effective: 2026-07-01
---
# 退货政策

## 七天无理由退货
签收后 7 天内，商品未使用可以无理由退货。

## 退款
退款 3 个工作日内原路退回。
"""

SHIPPING_EN = """---
title: Shipping
lang: en
effective: 2026-07-01
---
# Shipping

## Delivery times
Standard delivery takes 2-4 days in mainland China.

## Fees
Shipping is free on orders of 99 or more.
"""


#: a decision for the fake encoder's low cosines: p = 0.5 at a cosine of 0.3 with the pick
LENIENT = Decision(answerability=Linear(ANSWERABILITY, (0, 0, 20, 0, 0, 0, 0, 0), -6.0))


class FakeEncoder:
    """Bag of character trigrams hashed into 256 dims: similar texts get similar vectors."""

    model_name = "fake/char-trigrams"
    dim = 256

    def __init__(self) -> None:
        self.warmed = False
        self.calls: list[list[str]] = []

    def warm_up(self) -> None:
        self.warmed = True

    def resolve(self) -> Path:
        return Path("/fake/char-trigrams-v1")

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        t = f"  {text.lower()}  "
        for i in range(len(t) - 2):
            h = int(hashlib.md5(t[i : i + 3].encode()).hexdigest()[:8], 16)
            v[h % self.dim] += 1.0
        return v / (np.linalg.norm(v) or 1.0)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.encode_queries(texts)

    def encode(self, texts: list[str], prompt: str = "query", progress: bool = False) -> np.ndarray:
        return self.encode_queries(texts)

    def tokenize(self, texts: list[str], prompt: str = "query") -> list[str]:
        return list(texts)

    def forward(self, features: list[str]) -> np.ndarray:
        return self.encode_queries(features)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A data folder with two small policy pages."""
    docs = tmp_path / "data" / "docs"
    (docs / "zh").mkdir(parents=True)
    (docs / "en").mkdir(parents=True)
    (docs / "zh" / "returns.md").write_text(RETURNS_ZH, encoding="utf-8")
    (docs / "en" / "shipping.md").write_text(SHIPPING_EN, encoding="utf-8")
    return tmp_path / "data"


@pytest.fixture
def settings(tmp_path: Path, store: Path) -> Settings:
    return Settings(
        cache_dir=tmp_path / "cache",
        data_dir=store,
        retriever_model="fake/char-trigrams",
        reader_model="",
        top_k=3,
    )


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def empty_cache_env(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Process environment of a fresh install: empty cache, the test store, a cheap model."""
    monkeypatch.setenv("KEFU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KEFU_DATA_DIR", str(store))
    monkeypatch.setenv("KEFU_RETRIEVER_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    return tmp_path / "cache"


SHOP = Path(__file__).parent / "fixtures" / "shop"


@pytest.fixture
def shop(store: Path) -> Path:
    """The test store plus tests/fixtures/shop.

    A 4-product catalog, two shoppers (alice: 4 orders, bob: 1), the return rules and two
    promotions.
    """
    shutil.copytree(SHOP, store, dirs_exist_ok=True)
    return store
