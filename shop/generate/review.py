"""A blind review of generated copy: is it worth showing, and is it better than the template?

``python -m shop.generate review make`` writes, for a sample of products from every category
(``--per-category``, distinct product types first), each kind and language, the model's text
and the template's text as a pair in random order (``A`` / ``B``) to ``blind.csv``, with the
product's facts so a copy editor can judge them. Which side is the model's goes to
``key.json`` beside it; the labeller never opens it. ``items.jsonl`` keeps everything (the
guard's findings, the raw model text) for scoring.

``python -m shop.generate review score LABELS`` reads the editor's labels (``pair``,
``a_publishable``, ``b_publishable``, ``better``: A, B or same) and reports, per language and
kind: the share of shown texts judged publishable (the model's when the guard passed it, else
the template's), and how often the model's text was preferred over the template's.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shop.catalog import Catalog, Product
from shop.generate.facts import KINDS, Facts, ProductFacts
from shop.generate.generator import Generator
from shop.generate.guard import Guard
from shop.generate.templates import template
from shop.promotions import Promotion, promotion_for

LANGS = ("zh", "en")


def review_sample(catalog: Catalog, per_category: int) -> list[Product]:
    """``per_category`` products of every category, one of each product type first."""
    by_category: dict[str, list[Product]] = {}
    for p in catalog.products:
        by_category.setdefault(p.category, []).append(p)
    out: list[Product] = []
    for products in by_category.values():
        firsts = list({p.type_zh: p for p in reversed(products)}.values())[::-1]
        rest = [p for p in products if p not in firsts]
        out += (firsts + rest)[:per_category]
    return out


def _facts_line(p: ProductFacts) -> str:
    attrs = "; ".join(f"{k}: {v}" for k, v in p.attributes)
    return f"{p.name} | {p.brand} | {p.type} | ¥{p.price} | {p.rating} | {p.stock} | {attrs}"


def make(
    generator: Generator | None, products: Iterable[Product], promotions: list[Promotion],
    out: Path, seed: int = 26, reuse: dict[str, dict[str, Any]] | None = None,
    langs: tuple[str, ...] = LANGS,
) -> int:  # fmt: skip
    """Write ``items.jsonl``, ``blind.csv`` and ``key.json`` to ``out``; the number of pairs.

    ``reuse``: an earlier round's items by pair, whose model texts are paired again (with the
    templates as they are now) instead of asking ``generator``: a new round on the templates
    without running the model again.
    """
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    items = []
    for p in tqdm(list(products), desc="reviewing", unit="product"):
        promo = promotion_for(p.category, promotions)
        for lang in langs:
            for kind in KINDS:
                words = promo.text(lang) if promo and kind == "marketing" else ""
                facts = Facts.of(p, kind, lang, words)
                pair = f"{p.id}-{lang}-{kind}"
                if reuse is not None:
                    old = reuse[pair]
                    model, passed, problems = old["model"], old["guard_passed"], old["problems"]
                else:
                    assert generator is not None
                    g = generator.write(facts)
                    model, passed = g.model_text.strip(), g.source == "model"
                    problems = list(g.problems)
                items.append({
                    "pair": pair, "product": p.id, "category": p.category,
                    "lang": lang, "kind": kind, "facts": _facts_line(facts.products[0]),
                    "promotion": words, "model": model, "template": template(facts),
                    "guard_passed": passed, "problems": problems,
                })  # fmt: skip
    with (out / "items.jsonl").open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    pairs = [(item["model"], item["template"]) for item in items]
    _write_blind(items, pairs, random.Random(seed), out / "blind.csv", out / "key.json", langs)
    return len(items)


def _write_blind(
    items: list[dict[str, Any]], pairs: list[tuple[str, str]], rng: random.Random,
    table: Path, key_file: Path, langs: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """Each item's pair (the text under review first), in random order, as A / B to ``table``.

    Which side is the text under review goes to ``key_file``, never to the labeller. For each
    of ``langs``, that language's rows also go to ``table``'s ``-LANG`` file, for an editor of
    that language.
    """
    key: dict[str, str] = {}
    rows = [["pair", "lang", "kind", "facts", "promotion", "A", "B"]]
    for item, (mine, other) in zip(items, pairs, strict=True):
        side = rng.choice("AB")
        key[item["pair"]] = side
        a, b = (mine, other) if side == "A" else (other, mine)
        rows.append([item["pair"], item["lang"], item["kind"], item["facts"], item["promotion"],
                     a, b])  # fmt: skip
    parts = {table: rows[1:]} | {
        table.with_name(f"{table.stem}-{lang}.csv"): [r for r in rows[1:] if r[1] == lang]
        for lang in langs
    }
    for path, body in parts.items():
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([rows[0], *body])
    key_file.write_text(json.dumps(key, indent=0) + "\n", encoding="utf-8")


def _facts_of(item: dict[str, Any], catalog: Catalog) -> Facts:
    """The facts a reviewed item was written from."""
    p = catalog.by_id[item["product"]]
    return Facts.of(p, item["kind"], item["lang"], item["promotion"])


def rejudge(items: list[dict[str, Any]], catalog: Catalog, guard: Guard) -> None:
    """Set each item's ``guard_passed`` (what the shopper is shown) by the guard as it is now.

    The pairs keep the model text written under the guard of the day they were made; a later
    check can only reject more of them (the model would then have had a retry, not counted).
    """
    for item in items:
        facts = _facts_of(item, catalog)
        problems = guard.problems(item["model"], facts) if item["model"] else ["empty"]
        item.setdefault("guard_passed_when_made", item["guard_passed"])
        item["guard_passed"] = item["guard_passed_when_made"] and not problems
        item["problems_now"] = problems


def score(
    items: list[dict[str, Any]], key: dict[str, str], labels: Path | list[Path],
    use: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, Any]:  # fmt: skip
    """Publishable rates and the model-vs-template preference, from the editor's ``labels``.

    ``use``: the (kind, language) pairs where kefu shows the model's text by default
    (``KEFU_GENERATOR_USE``); ``default_shown`` counts what a shopper sees with it.
    ``shown`` counts what a shopper would see with the model on everywhere.
    """
    judged = _labels(labels)
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for item in items:
        if item["pair"] not in judged:
            continue
        model_ok, template_ok, better = _verdict(judged[item["pair"]], key[item["pair"]])
        side, other = "mine", "theirs"
        passed = bool(item["guard_passed"])
        on = (item["kind"], item["lang"]) in use
        c = cells.setdefault((item["lang"], item["kind"]), dict.fromkeys(
            ("pairs", "model_publishable", "template_publishable", "shown_publishable",
             "default_shown_publishable", "guard_passed", "model_preferred",
             "template_preferred", "same", "shown_model_preferred"), 0))  # fmt: skip
        c["pairs"] += 1
        c["model_publishable"] += model_ok
        c["template_publishable"] += template_ok
        c["shown_publishable"] += model_ok if passed else template_ok
        c["default_shown_publishable"] += model_ok if passed and on else template_ok
        c["guard_passed"] += passed
        c["model_preferred"] += better == side
        c["template_preferred"] += better == other
        c["same"] += better == "same"
        c["shown_model_preferred"] += passed and better == side
    return _report(cells)


def agreement(
    items: list[dict[str, Any]], key: dict[str, str], first: list[Path], second: list[Path]
) -> dict[str, Any]:
    """How far two editors' labels agree, per language.

    On each text's publishable verdict (the share of the same verdicts, and Cohen's kappa),
    and on which of a pair is better.
    """
    one, two = _labels(first), _labels(second)
    out: dict[str, Any] = {}
    for lang in LANGS:
        verdicts: list[tuple[bool, bool]] = []
        same_better = pairs = 0
        for item in items:
            pair = item["pair"]
            if item["lang"] != lang or pair not in one or pair not in two:
                continue
            a = _verdict(one[pair], key[pair])
            b = _verdict(two[pair], key[pair])
            verdicts += [(a[0], b[0]), (a[1], b[1])]
            same_better += a[2] == b[2]
            pairs += 1
        if pairs:
            out[lang] = {
                "pairs": pairs,
                "publishable_agreement": round(sum(x == y for x, y in verdicts) / len(verdicts), 3),
                "publishable_kappa": _kappa(verdicts),
                "better_agreement": round(same_better / pairs, 3),
            }
    return out


def _kappa(verdicts: list[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of two raters' yes/no verdicts (None when chance agreement is total)."""
    n = len(verdicts)
    observed = sum(a == b for a, b in verdicts) / n
    yes_a = sum(a for a, _ in verdicts) / n
    yes_b = sum(b for _, b in verdicts) / n
    chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return None if chance == 1 else round((observed - chance) / (1 - chance), 3)


def _rates(c: dict[str, int]) -> dict[str, Any]:
    n = max(1, c["pairs"])
    return {
        **c,
        "shown_publishable_rate": round(c["shown_publishable"] / n, 3),
        "default_shown_publishable_rate": round(c.get("default_shown_publishable", 0) / n, 3),
        "model_publishable_rate": round(c["model_publishable"] / n, 3),
        "template_publishable_rate": round(c["template_publishable"] / n, 3),
        "model_preferred_rate": round(c["model_preferred"] / n, 3),
        "shown_model_preferred_rate": round(
            c["shown_model_preferred"] / max(1, c["guard_passed"]), 3
        ),
    }


def _sum(cells: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in cells:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    return total


def _report(cells: dict[tuple[str, str], dict[str, int]]) -> dict[str, Any]:
    by_language = {
        lang: _rates(_sum(c for (lg, _), c in cells.items() if lg == lang))
        for lang in LANGS
        if any(lg == lang for lg, _ in cells)
    }
    by_kind = {
        f"{kind}/{lang}": _rates(cells[(lang, kind)])
        for lang in LANGS
        for kind in KINDS
        if (lang, kind) in cells
    }
    return {"by_language": by_language, "by_kind_and_language": by_kind}


def template_pairs(items: list[dict[str, Any]], catalog: Catalog, out: Path, seed: int = 27) -> int:
    """Pairs of the templates as reviewed (``items``) and as they are now, blind, to ``out``.

    ``blind-templates.csv`` and ``key-templates.json`` (which side is the current template).
    """
    now = [template(_facts_of(item, catalog)) for item in items]
    for item, text in zip(items, now, strict=True):
        item["template_now"] = text
    pairs = [(text, item["template"]) for item, text in zip(items, now, strict=True)]
    _write_blind(items, pairs, random.Random(seed), out / "blind-templates.csv",
                 out / "key-templates.json")  # fmt: skip
    return len(items)


def score_templates(
    items: list[dict[str, Any]], key: dict[str, str], labels: Path
) -> dict[str, Any]:
    """Today's templates against the reviewed ones (``key``: which side is today's)."""
    judged = _labels(labels)
    cells: dict[str, dict[str, int]] = {}
    for item in items:
        if item["pair"] not in judged:
            continue
        now_ok, before_ok, better = _verdict(judged[item["pair"]], key[item["pair"]])
        now, before = "mine", "theirs"
        for name in (f"{item['kind']}/{item['lang']}", item["lang"]):
            c = cells.setdefault(name, dict.fromkeys(
                ("pairs", "now_publishable", "before_publishable", "now_preferred",
                 "before_preferred", "same"), 0))  # fmt: skip
            c["pairs"] += 1
            c["now_publishable"] += now_ok
            c["before_publishable"] += before_ok
            c["now_preferred"] += better == now
            c["before_preferred"] += better == before
            c["same"] += better == "same"
    for c in cells.values():
        c["now_publishable_rate"] = round(c["now_publishable"] / max(1, c["pairs"]), 3)  # type: ignore[assignment]
    return cells


def _labels(paths: Path | list[Path]) -> dict[str, dict[str, str]]:
    """The editor's labels by pair (one file, or one per language)."""
    out: dict[str, dict[str, str]] = {}
    for path in [paths] if isinstance(paths, Path) else paths:
        with path.open(encoding="utf-8") as f:
            out |= {row["pair"]: row for row in csv.DictReader(f)}
    return out


def _verdict(label: dict[str, str], side: str) -> tuple[bool, bool, str]:
    """What the editor said of the text on ``side`` (A or B).

    Whether it is publishable, whether the other is, and which was better: ``mine``,
    ``theirs`` or ``same``.
    """
    other = "B" if side == "A" else "A"
    mine = label[f"{side.lower()}_publishable"].strip().lower() == "yes"
    theirs = label[f"{other.lower()}_publishable"].strip().lower() == "yes"
    better = label["better"].strip().upper()
    return mine, theirs, "mine" if better == side else "theirs" if better == other else "same"
