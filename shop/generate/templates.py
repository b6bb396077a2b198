"""Deterministic texts from the same facts: what the shopper sees when the model cannot be used."""

from __future__ import annotations

from shop.generate.facts import Facts, ProductFacts


def _attrs(p: ProductFacts, lang: str, n: int) -> str:
    sep = "，" if lang == "zh" else ", "
    colon = "：" if lang == "zh" else ": "
    return sep.join(f"{k}{colon}{v}" for k, v in p.attributes[:n])


def the(name: str) -> str:
    """``"the SonicJoy S3 ..."``, but not ``"the The Time Machine"``."""
    return name if name.lower().startswith("the ") else f"the {name}"


def cap(text: str) -> str:
    """``text`` with its first letter upper-case."""
    return text[:1].upper() + text[1:]


def _pitch(p: ProductFacts, lang: str) -> str:
    why = p.reason or _attrs(p, lang, 2)
    if lang == "zh":
        return f"推荐{p.brand}的「{p.name}」，¥{p.price}，评分 {p.rating}：{why}（{p.stock}）。"
    return f"Try {the(p.name)} at ¥{p.price}, rated {p.rating}: {why} ({p.stock})."


def _marketing(p: ProductFacts, promotion: str, lang: str) -> str:
    if lang == "zh":
        return f"「{p.name}」现价 ¥{p.price}，评分 {p.rating}。{promotion}".strip()
    return f"{cap(the(p.name))}, now ¥{p.price} and rated {p.rating}. {promotion}".strip()


def _description(p: ProductFacts, lang: str) -> str:
    attrs = _attrs(p, lang, 4)
    if lang == "zh":
        return (f"{p.name}是{p.brand}出品的{p.type}，售价 ¥{p.price}。"
                f"{attrs}。顾客评分 {p.rating}，目前{p.stock}。")  # fmt: skip
    return (f"{p.name} by {p.brand} ({p.type.lower()}): ¥{p.price}. "
            f"{cap(attrs)}. Rated {p.rating} by shoppers; {p.stock}.")  # fmt: skip


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
