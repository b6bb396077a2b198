"""The store's catalog (``data/catalog/products.csv``): products by id, name and type.

Loaded once per process (a few hundred rows). Matching a shopper's words to products is
plain text matching on names, brands and types in both languages: what the NLU extracts as a
``product`` entity is usually a type ("蓝牙耳机") or a name fragment ("S3 earphones").
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from knowledge.errors import KnowledgeError

CATEGORIES = ("electronics", "appliances", "apparel", "beauty", "groceries", "books")


class CatalogError(KnowledgeError):
    """The catalog file is missing or malformed."""


@dataclass(frozen=True)
class Product:
    """One catalog row."""

    id: str
    category: str
    type_zh: str
    type_en: str
    name_zh: str
    name_en: str
    brand: str
    price: Decimal
    stock: int
    rating: float
    attributes_zh: str
    attributes_en: str
    tags: tuple[str, ...]

    def name(self, lang: str) -> str:
        """Name in ``zh`` or ``en``."""
        return self.name_zh if lang == "zh" else self.name_en

    def stock_text(self, lang: str) -> str:
        """In stock, only a few left, or out of stock, in ``zh`` or ``en``."""
        if self.stock <= 0:
            return "暂时缺货" if lang == "zh" else "out of stock"
        if self.stock <= 5:
            return f"仅剩 {self.stock} 件" if lang == "zh" else f"only {self.stock} left"
        return "有货" if lang == "zh" else "in stock"

    def attributes(self, lang: str) -> list[tuple[str, str]]:
        """``[(key, value), ...]`` in ``zh`` or ``en``."""
        raw = self.attributes_zh if lang == "zh" else self.attributes_en
        pairs = [p.split(":", 1) for p in raw.split(";") if ":" in p]
        return [(k.strip(), v.strip()) for k, v in pairs]

    def match_text(self) -> str:
        """What shopper words are matched against (lower-case, both languages)."""
        return " ".join(
            (self.name_zh, self.name_en, self.brand, self.type_zh, self.type_en)
        ).lower()


def brand_name(brand: str, lang: str) -> str:
    """``"远山书社 Farhill Books"`` -> ``"远山书社"`` (zh) / ``"Farhill Books"`` (en)."""
    parts = brand.split()
    zh = [w for w in parts if re.search(r"[\u4e00-\u9fff]", w)]
    en = [w for w in parts if not re.search(r"[\u4e00-\u9fff]", w)]
    return " ".join((zh if lang == "zh" else en) or parts)


def _squash(text: str) -> str:
    return re.sub(r"[\s\-_.,，。·]+", "", text.lower())


class Catalog:
    """All products, with lookup by id and by the shopper's words."""

    def __init__(self, products: list[Product]) -> None:
        self.products = products
        self.by_id = {p.id: p for p in products}

    @classmethod
    def load(cls, path: Path) -> Catalog:
        """Read the CSV; a bad row is an error naming the row (the catalog is small)."""
        if not path.exists():
            raise CatalogError(f"No catalog at {path}.")
        products = []
        with path.open(encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                try:
                    products.append(
                        Product(
                            id=row["id"],
                            category=row["category"],
                            type_zh=row["type_zh"],
                            type_en=row["type_en"],
                            name_zh=row["name_zh"],
                            name_en=row["name_en"],
                            brand=row["brand"],
                            price=Decimal(row["price"]),
                            stock=int(row["stock"]),
                            rating=float(row["rating"]),
                            attributes_zh=row["attributes_zh"],
                            attributes_en=row["attributes_en"],
                            tags=tuple(t for t in row["tags"].split("|") if t),
                        )
                    )
                except (KeyError, ValueError, InvalidOperation) as exc:
                    raise CatalogError(f"{path} line {n}: {exc!r}") from exc
        return cls(products)

    def category_counts(self, ids: Iterable[str]) -> Counter[str]:
        """How many of ``ids`` (bought, viewed) are in each category (unknown ids skipped)."""
        return Counter(self.by_id[i].category for i in ids if i in self.by_id)

    def find(self, words: str, limit: int = 5) -> list[Product]:
        """Products whose name, brand or type matches the shopper's words, best first.

        Exact type or name matches first, then products whose text contains the words
        (spaces and punctuation ignored), then products sharing most word pieces.
        """
        query = _squash(words)
        if not query:
            return []
        scored: list[tuple[float, Product]] = []
        pieces = [w for w in re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", words.lower()) if w]
        for p in self.products:
            text = _squash(p.match_text())
            if query in (
                _squash(p.type_zh),
                _squash(p.type_en),
                _squash(p.name_zh),
                _squash(p.name_en),
            ):
                score = 3.0
            elif query in text:
                score = 2.0
            elif pieces:
                score = sum(1 for w in pieces if w in text) / len(pieces)
                if score < 0.6:
                    continue
            else:
                continue
            scored.append((score + p.rating / 100, p))
        scored.sort(key=lambda x: -x[0])
        return [p for _, p in scored[:limit]]
