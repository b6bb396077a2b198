"""The facts a generated text may state, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shop.catalog import Product, brand_name
from shop.generate.quantities import money
from shop.money import yuan

KINDS = ("pitch", "marketing", "description")


@dataclass(frozen=True)
class ProductFacts:
    """One product as the writer may describe it."""

    name: str
    brand: str
    type: str
    price: str  # "399" (¥)
    rating: float
    stock: str  # "in stock" / "only 3 left" / "out of stock" (or zh)
    attributes: tuple[tuple[str, str], ...]
    reason: str = ""  # why it was picked for this shopper, if any
    category: str = ""  # the catalog's (books: a title, not "the ...")

    @classmethod
    def of(cls, p: Product, lang: str, reason: str = "") -> ProductFacts:
        """From a catalog row, in ``lang``."""
        return cls(
            name=p.name(lang),
            brand=brand_name(p.brand, lang),
            type=p.type_zh if lang == "zh" else p.type_en,
            price=yuan(p.price),
            rating=p.rating,
            stock=p.stock_text(lang),
            attributes=tuple(p.attributes(lang)),
            reason=reason,
            category=p.category,
        )


@dataclass(frozen=True)
class Facts:
    """Everything one generation may use."""

    kind: str  # pitch | marketing | description
    lang: str  # zh | en
    products: tuple[ProductFacts, ...]
    promotion: str = ""  # the promotion's wording, verbatim
    shopper_words: str = ""  # what the shopper asked, quoted as data (never an instruction)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, p: Product, kind: str, lang: str, promotion: str = "") -> Facts:
        """One catalog product's facts for a text of ``kind`` in ``lang``."""
        return cls(kind, lang, (ProductFacts.of(p, lang),), promotion=promotion)

    def text(self) -> str:
        """Every fact as plain text, one per line: what a generated text may draw on."""
        parts: list[str] = [self.promotion, *self.extra.values()]
        for p in self.products:
            parts += [p.name, p.brand, p.type, p.price, str(p.rating), p.stock, p.reason]
            parts += [f"{k} {v}" for k, v in p.attributes]
        return "\n".join(parts)

    def amounts(self) -> set[str]:
        """The money amounts a text may state.

        The products' prices and the amounts (¥) in the other facts.
        """
        return money(self.text()) | {p.price for p in self.products}

    def data(self) -> dict[str, Any]:
        """The facts as the JSON the prompt shows the model."""
        out: dict[str, Any] = {
            "products": [
                {
                    "name": p.name, "brand": p.brand, "type": p.type, "price_yuan": p.price,
                    "rating": p.rating, "stock": p.stock,
                    "attributes": {k: v for k, v in p.attributes},
                    **({"why_for_this_shopper": p.reason} if p.reason else {}),
                }
                for p in self.products
            ]
        }  # fmt: skip
        if self.promotion:
            out["promotion"] = self.promotion
        if self.shopper_words:
            out["shopper_said"] = self.shopper_words
        return out
