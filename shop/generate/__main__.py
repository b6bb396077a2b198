"""``python -m shop.generate {describe,evaluate,try}``: generation for merchants and tests.

- ``describe``: zh and en descriptions for catalog products in batch, with a progress bar,
  into a reviewable CSV (each row: product, language, the text, model or template, what the
  guard found, the model's raw text).
- ``evaluate``: guardrail pass rate, tokens/s and latency per reply on a fixed sample ->
  ``reports/generate.json``.
- ``try``: one product, one kind, one language, printed.
- ``review make`` / ``review score``: a blind review of the model's texts against the
  templates' (``shop/generate/review.py``).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.logs import setup_logging
from knowledge.models import ModelResolver
from knowledge.settings import REPO_ROOT, Settings
from shop.catalog import Catalog, Product
from shop.generate import review
from shop.generate.facts import KINDS, Facts
from shop.generate.generator import Generated, Generator, build_generator, model_use
from shop.generate.guard import Guard, invented
from shop.promotions import Promotion, load_promotions, promotion_for
from shop.settings import ShopSettings


def sample(catalog: Catalog, per_category: int) -> list[Product]:
    """The first ``per_category`` products of each category (a fixed, varied sample)."""
    seen: dict[str, int] = {}
    out = []
    for p in catalog.products:
        if seen.get(p.category, 0) < per_category:
            seen[p.category] = seen.get(p.category, 0) + 1
            out.append(p)
    return out


def describe(generator: Generator, products: list[Product], langs: list[str], out: Path) -> int:
    """Write descriptions to ``out``; returns how many came from the model."""
    from tqdm import tqdm

    from_model = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["product", "lang", "name", "text", "source", "problems", "model_text"])
        for p in tqdm(products, desc="describing", unit="product"):
            for lang in langs:
                g = generator.write(Facts.of(p, "description", lang))
                from_model += g.source == "model"
                writer.writerow([p.id, lang, p.name(lang), g.text, g.source, " ".join(g.problems),
                                 g.model_text])  # fmt: skip
    return from_model


def _share(rows: list[tuple[str, str, Generated]], lang: str = "", kind: str = "") -> float:
    """Share of the rows (of one language or kind) whose text came from the model."""
    kept = [g for lg, k, g in rows if lang in ("", lg) and kind in ("", k)]
    return round(sum(g.source == "model" for g in kept) / max(1, len(kept)), 3)


def _row(lang: str, kind: str, g: Generated) -> dict[str, Any]:
    return {"lang": lang, "kind": kind, "source": g.source, "text": g.text,
            "problems": list(g.problems), "model_text": g.model_text}  # fmt: skip


def evaluate(
    generator: Generator, products: list[Product], promotions: list[Promotion]
) -> dict[str, Any]:
    """Pass rate of the guard, speed and latency over every kind and language.

    Marketing texts get the promotion of the product's category (else a store-wide one).
    """
    from tqdm import tqdm

    rows: list[tuple[str, str, Generated]] = []
    wrong = 0  # shown texts (the model's or the template's) that state what the facts do not
    for p in tqdm(products, desc="evaluating", unit="product"):
        promo = promotion_for(p.category, promotions)
        for lang in ("zh", "en"):
            for kind in KINDS:
                words = promo.text(lang) if promo and kind == "marketing" else ""
                facts = Facts.of(p, kind, lang, words)
                shown = generator.write(facts)
                wrong += bool(invented(generator.guard.problems(shown.text, facts)))
                rows.append((lang, kind, shown))
    called = [g for _, _, g in rows if g.problems != ("no_model",)]  # backend errors count
    problems: dict[str, int] = {}
    for g in called:
        for prob in g.problems:
            key = prob.split(":")[0]
            problems[key] = problems.get(key, 0) + 1
    seconds = [g.seconds for g in called]
    report: dict[str, Any] = {
        "model": generator.model_name,
        "generations": len(rows),
        "model_calls": len(called),
        "passed_guard": round(sum(g.source == "model" for g in called) / max(1, len(called)), 3),
        "passed_first_attempt": round(
            sum(g.source == "model" and g.attempts == 1 for g in called) / max(1, len(called)), 3
        ),
        "retries": {"allowed": generator.retries, "made": sum(g.attempts - 1 for g in called)},
        "by_language": {lang: _share(rows, lang=lang) for lang in ("zh", "en")},
        "by_kind": {kind: _share(rows, kind=kind) for kind in KINDS},
        "rejections": problems,
        "invented_facts_shown": wrong,  # every shown text checked by the guard again
        "tokens_per_second": round(sum(g.tokens for g in called) / max(1e-9, sum(seconds)), 2),
        "latency_s": {
            "median": round(statistics.median(seconds), 2) if seconds else None,
            "p90": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 2) if seconds else None,
        },
        "token_budget": generator.max_tokens,
        "time_budget_s": generator.timeout,
        "examples": [_row(lg, k, g) for lg, k, g in rows[:12]],
        "rejected": [_row(lg, k, g) for lg, k, g in rows if g.source != "model"],
    }
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m shop.generate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe", help="descriptions for catalog products -> a CSV to review")
    d.add_argument("--ids", nargs="*", help="product ids (default: the whole catalog)")
    d.add_argument("--limit", type=int, default=0, help="only the first N products")
    d.add_argument("--lang", nargs="+", default=["zh", "en"])
    d.add_argument("--out", type=Path, default=Path("descriptions.csv"))
    e = sub.add_parser("evaluate", help="guard pass rate, speed -> reports/generate.json")
    e.add_argument("--per-category", type=int, default=2)
    t = sub.add_parser("try", help="one generation, printed")
    t.add_argument("product")
    t.add_argument("--kind", choices=KINDS, default="description")
    t.add_argument("--lang", choices=("zh", "en"), default="zh")
    tn = sub.add_parser("tune", help="tune the local model on approved copy -> a model folder")
    tn.add_argument("copy", type=Path, help="JSON Lines: product, lang, kind, text")
    tn.add_argument("--out", type=Path, required=True, help="the tuned model's folder")
    tn.add_argument("--epochs", type=int, default=2)
    tn.add_argument("--lr", type=float, default=1e-4)
    r = sub.add_parser("review", help="blind review of the model's texts against the templates")
    rsub = r.add_subparsers(dest="step", required=True)
    rm = rsub.add_parser("make", help="pairs to label -> DIR/blind.csv (and key.json, items.jsonl)")
    rm.add_argument("--per-category", type=int, default=10)
    rm.add_argument("--out", type=Path, default=REPO_ROOT / "eval" / "generate")
    rm.add_argument("--lang", nargs="+", choices=("zh", "en"), default=["zh", "en"])
    rm.add_argument("--reuse", type=Path, help="an earlier round's items.jsonl: its model texts "
                    "against today's templates, without running the model")  # fmt: skip
    rm.add_argument(
        "--exclude", type=Path, nargs="*", default=[],
        help="JSON Lines files (earlier rounds' items, the tuning copy) whose products the "
        "sample leaves out: a round on products nothing was tuned or fixed on",
    )  # fmt: skip
    rt = rsub.add_parser("templates", help="the reviewed templates against today's, as pairs")
    rt.add_argument("--dir", type=Path, default=REPO_ROOT / "eval" / "generate")
    rs = rsub.add_parser("score", help="the editor's labels -> reports/generate_review.json")
    rs.add_argument("labels", type=Path, nargs="+", help="an editor's labels (a file per language)")
    rs.add_argument(
        "--second",
        type=Path,
        nargs="*",
        default=[],
        help="a second editor's labels of the same pairs: their figures and agreement",
    )
    rs.add_argument("--templates", type=Path, help="the labels of `review templates`' pairs")
    rs.add_argument("--report", type=Path, default=REPO_ROOT / "reports" / "generate_review.json")
    rs.add_argument("--dir", type=Path, default=REPO_ROOT / "eval" / "generate")
    args = parser.parse_args(argv)
    setup_logging()
    if args.command == "review" and args.step == "templates":
        catalog = Catalog.load(ShopSettings.from_env().catalog_file)
        items = jsonl(args.dir / "items.jsonl")
        n = review.template_pairs(items, catalog, args.dir)
        print(f"wrote {n} pairs to {args.dir / 'blind-templates.csv'}")
        return 0
    if args.command == "tune":
        return tune_model(args.copy, args.out, args.epochs, args.lr)
    if args.command == "review" and args.step == "score":
        catalog = Catalog.load(ShopSettings.from_env().catalog_file)
        return review_score(args.dir, args.labels, catalog, args.templates, args.second,
                            args.report)  # fmt: skip
    if args.command == "review" and args.step == "make" and args.reuse:
        settings = ShopSettings.from_env()
        catalog = Catalog.load(settings.catalog_file)
        promos = load_promotions(settings.data_dir / "promotions.yaml")
        earlier = jsonl(args.reuse)
        products = list(dict.fromkeys(catalog.by_id[i["product"]] for i in earlier))
        reuse = {i["pair"]: i for i in earlier}
        pairs = review.make(None, products, promos, args.out, seed=len(earlier), reuse=reuse,
                            langs=tuple(args.lang))  # fmt: skip
        print(f"wrote {pairs} pairs to {args.out / 'blind.csv'} (and blind-zh/en.csv; which side "
              f"is the model's: {args.out / 'key.json'}, not for the labeller)")  # fmt: skip
        return 0
    try:
        settings, engine = ShopSettings.from_env(), Settings.from_env()
        # these commands measure or use the model itself, wherever the store shows it
        settings = replace(settings, generator_use=("all",))
        catalog = Catalog.load(settings.catalog_file)
        generator = build_generator(settings, ModelResolver(engine), catalog, engine.device)
        if generator.backend is not None:
            generator.backend.warm_up()
        if args.command == "review":
            promos = load_promotions(settings.data_dir / "promotions.yaml")
            seen = {row["product"] for path in args.exclude for row in jsonl(path)}
            fresh = Catalog([p for p in catalog.products if p.id not in seen])
            pairs = review.make(generator, review.review_sample(fresh, args.per_category),
                                promos, args.out, langs=tuple(args.lang))  # fmt: skip
            print(f"wrote {pairs} pairs to {args.out / 'blind.csv'} (which side is the model's: "
                  f"{args.out / 'key.json'}, not for the labeller)")  # fmt: skip
        elif args.command == "describe":
            products = [catalog.by_id[i] for i in args.ids] if args.ids else catalog.products
            products = products[: args.limit] if args.limit else products
            n = describe(generator, products, args.lang, args.out)
            total = len(products) * len(args.lang)
            source = generator.model_name if generator.backend else "no model configured"
            print(f"wrote {args.out}: {total} descriptions, {n} from the model ({source}), "
                  f"{total - n} from templates (see the problems column)")  # fmt: skip
        elif args.command == "evaluate":
            promos = load_promotions(settings.data_dir / "promotions.yaml")
            report = evaluate(generator, sample(catalog, args.per_category), promos)
            target = REPO_ROOT / "reports" / "generate.json"
            target.write_text(
                json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            print(json.dumps({k: v for k, v in report.items() if k != "examples"}, indent=2))
        else:
            g = generator.write(Facts.of(catalog.by_id[args.product], args.kind, args.lang))
            shown = {"text": g.text, "source": g.source, "problems": g.problems,
                     "model_text": g.model_text, "tokens": g.tokens,
                     "seconds": round(g.seconds, 2)}  # fmt: skip
            print(json.dumps(shown, ensure_ascii=False, indent=1))
    except (KnowledgeError, KeyError) as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    return 0


def jsonl(path: Path) -> list[Any]:
    """The JSON objects of a JSON Lines file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def tune_model(copy: Path, out: Path, epochs: int, lr: float) -> int:
    """``tune``: the guard-passed texts of ``copy`` -> a tuned model in ``out``."""
    from shop.generate.tune import examples, tune

    settings, engine = ShopSettings.from_env(), Settings.from_env()
    catalog = Catalog.load(settings.catalog_file)
    promos = load_promotions(settings.data_dir / "promotions.yaml")
    rows = jsonl(copy)
    train, dropped = examples(rows, catalog, promos, Guard(catalog))
    for row in dropped:
        print(f"left out {row['product']} {row['lang']} {row['kind']}: {row['problems']}")
    base = ModelResolver(engine).resolve(settings.generator_model)
    done = tune(base, train, out, epochs, lr, threads=settings.generator_threads or None)
    print(json.dumps(done, indent=1))
    return 0


def review_score(
    folder: Path, labels: list[Path], catalog: Catalog, templates: Path | None = None,
    second: list[Path] | None = None, target: Path | None = None,
) -> int:  # fmt: skip
    """Score the editors' labels against ``folder``'s pairs -> reports/generate_review.json.

    What the shopper is shown is judged by the guard as it is now (``review.rejudge``), and
    by kefu's default ``KEFU_GENERATOR_USE`` (``default_shown``). With ``second``: the second
    editor's figures and how far the two agree.
    """
    items = jsonl(folder / "items.jsonl")
    key = json.loads((folder / "key.json").read_text())
    review.rejudge(items, catalog, Guard(catalog))
    use = model_use(ShopSettings.from_env().generator_use)
    report = review.score(items, key, labels, use)
    report["labels"] = [str(p.relative_to(REPO_ROOT) if p.is_relative_to(REPO_ROOT) else p)
                        for p in labels]  # fmt: skip
    report["model_by_default"] = sorted(f"{k}/{lg}" for k, lg in use)
    if second:
        report["second_editor"] = review.score(items, key, second, use)
        report["agreement"] = review.agreement(items, key, labels, second)
    if templates is not None:
        key_now = json.loads((folder / "key-templates.json").read_text())
        report["templates_now"] = review.score_templates(items, key_now, templates)
    target = target or REPO_ROOT / "reports" / "generate_review.json"
    target.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report["by_language"], indent=1))
    if second:
        print(json.dumps({"second": report["second_editor"]["by_language"],
                          "agreement": report["agreement"]}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
