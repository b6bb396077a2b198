"""Deterministic texts from the same facts: what the shopper sees when the model is not used.

Written as sentences a copy editor would publish (issue 26's blind review: the field lists
"Try X at ¥399, rated 4.8: battery: 30 hours, ..." were judged unpublishable in both
languages, the sentences publishable).
"""

from __future__ import annotations

from shop.generate.facts import Facts, ProductFacts

# en: a feature's sentence where "Its <key> is <value>" would read badly
EN_FEATURES = {
    "weight": "{It} {weighs} {v}.",
    "colours": "{It} {comes} in {v}.",
    "colour": "{It} {comes} in {v}.",
    "sizes": "{It} {comes} in sizes {v}.",
    "author": "{It} {is} written by {v}.",
    "pages": "{It} {has} {v} pages.",
    "publisher": "{It} {is} published by {v}.",
    "language": "{It} {is} in {v}.",
    "volumes": "{It} {has} {v} volumes.",
    "reading age": "{It} {is} for readers aged {v}.",
    "made in": "{It} {is} made in {v}.",
    "origin": "{It} {comes} from {v}.",
    "features": "{Its} features: {v}.",
}


def the(name: str) -> str:
    """``"the SonicJoy S3 ..."``, but not ``"the The Time Machine"``."""
    return name if name.lower().startswith("the ") else f"the {name}"


def cap(text: str) -> str:
    """``text`` with its first letter upper-case."""
    return text[:1].upper() + text[1:]


def _named(p: ProductFacts) -> str:
    """How an en sentence names the product: a book by its title, anything else as "the X"."""
    return p.name if p.category == "books" else the(p.name)


def _plural(p: ProductFacts) -> bool:
    low = p.type.lower()
    return low.endswith("s") and not low.endswith(("ss", "us")) and p.category != "books"


def _words(p: ProductFacts) -> dict[str, str]:
    """The pronoun and verbs for the product: it is, they are."""
    one = ("It", "Its", "is", "has", "weighs", "comes")
    many = ("They", "Their", "are", "have", "weigh", "come")
    return dict(zip(one, many if _plural(p) else one, strict=True))


def _en_feature(p: ProductFacts, key: str, value: str) -> str:
    words = _words(p)
    pattern = EN_FEATURES.get(key.lower())
    if pattern:
        return pattern.format(v=value, **words)
    verb = "are" if key.lower().endswith("s") and not key.lower().endswith("ss") else "is"
    return f"{words['Its']} {key.lower()} {verb} {value}."


def _kind(p: ProductFacts) -> str:
    """The product's type after "is": Bluetooth earphones, a power bank, an English ..."""
    first = p.type.split(" ")[0]
    proper = first in ("Bluetooth", "Chinese", "English", "TV", "T-shirt") or first.isupper()
    kind = p.type if proper else p.type[:1].lower() + p.type[1:]
    if _plural(p):
        return kind
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _en_stock(p: ProductFacts) -> str:
    words = _words(p)
    if p.stock.startswith("only"):
        return f"{cap(p.stock)}."
    if "out" in p.stock:
        return f"{words['It']} {words['is']} out of stock for now."
    return f"{words['It']} {words['is']} in stock."


def _zh_stock(p: ProductFacts) -> str:
    return "目前有货" if p.stock == "有货" else p.stock


def _zh_name(p: ProductFacts) -> str:
    return p.name if p.name.startswith("《") else f"「{p.name}」"


def _zh_features(p: ProductFacts, n: int) -> str:
    return "，".join(f"{k}为{v}" for k, v in p.attributes[:n])


def _pitch(p: ProductFacts, lang: str) -> str:
    if lang == "zh":
        why = p.reason or _zh_features(p, 2)
        return (f"推荐{_zh_name(p)}：{why}。现价 ¥{p.price}，顾客评分 {p.rating}，"
                f"{_zh_stock(p)}。")  # fmt: skip
    words = _words(p)
    why = (f"{cap(p.reason)}." if p.reason
           else " ".join(_en_feature(p, k, v) for k, v in p.attributes[:2]))  # fmt: skip
    cost = "cost" if _plural(p) else "costs"
    return (f"We recommend {_named(p)}. {why} {words['It']} {cost} ¥{p.price} and "
            f"{words['is']} rated {p.rating} by shoppers. {_en_stock(p)}")  # fmt: skip


def _marketing(p: ProductFacts, promotion: str, lang: str) -> str:
    if lang == "zh":
        return f"{_zh_name(p)}现价 ¥{p.price}，评分 {p.rating}。{promotion}".strip()
    return f"{cap(_named(p))}, now ¥{p.price} and rated {p.rating}. {promotion}".strip()


def _description(p: ProductFacts, lang: str) -> str:
    if lang == "zh":
        kind = f"{p.type}类图书" if p.category == "books" else p.type
        features = "，".join(f"{k}：{v}" for k, v in p.attributes[:4])
        return (f"{p.name}是{p.brand}出品的{kind}，售价 ¥{p.price}。"
                f"{features}。顾客评分 {p.rating}，{_zh_stock(p)}。")  # fmt: skip
    words = _words(p)
    kind = _kind(p)
    features = " ".join(_en_feature(p, k, v) for k, v in p.attributes[:4])
    return (f"{cap(_named(p))} {words['is']} {kind} from {p.brand}, priced at ¥{p.price}. "
            f"{features} Shoppers rate {'them' if _plural(p) else 'it'} {p.rating}. "
            f"{_en_stock(p)}")  # fmt: skip


def template(facts: Facts) -> str:
    """The text for ``facts`` without a model (one line per product)."""
    lines = []
    for p in facts.products:
        if facts.kind == "pitch":
            lines.append(_pitch(p, facts.lang))
        elif facts.kind == "marketing":
            lines.append(_marketing(p, facts.promotion, facts.lang))
        else:
            lines.append(_description(p, facts.lang))
    return "\n".join(lines)
