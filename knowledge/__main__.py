"""Command line: ``python -m knowledge {models,index,prepare,ask,check,eval,recommend}``."""

from __future__ import annotations

import argparse
import json
import sys

from knowledge.errors import KnowledgeError
from knowledge.logs import setup_logging
from knowledge.pipeline import KnowledgeService
from knowledge.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="resolve (and build offline) every configured model")
    index = sub.add_parser("index", help="build the passage index if the documents changed")
    index.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ask = sub.add_parser("ask", help="answer questions from the command line")
    ask.add_argument("questions", nargs="+")
    sub.add_parser("check", help="exit 0 when models and index are ready to serve")
    sub.add_parser("prepare", help="models, then the index: what 'make run' needs")
    sub.add_parser("eval", help="dev-split figures -> reports/eval.json and reports/eval.png")
    rec = sub.add_parser("recommend", help="recommendations for a wish (and a demo shopper)")
    rec.add_argument("wish", nargs="?", default=None)
    rec.add_argument("--shopper", help="a shopper id of the order store, e.g. u1001")
    rec.add_argument("--budget", type=float)
    rec.add_argument("--evaluate", action="store_true", help="-> reports/recommend.json")
    args = parser.parse_args(argv)
    setup_logging()

    try:
        settings = Settings.from_env()
        service = KnowledgeService(settings)
        if args.command in ("index", "prepare", "models"):
            built = service.build_index(force=getattr(args, "force", False))
            print(f"index {built.manifest['key']}: {built.manifest['passages']} passages")
        if args.command in ("models", "prepare"):
            generator = "" if settings.generator_url else settings.generator_model
            for name in (settings.reader_model, settings.reranker_model, generator):
                if name:
                    print(f"{name} -> {service.resolver.resolve(name)}")
            if settings.reader_model:
                from knowledge.train.build import ensure_calibration

                print(f"calibration -> {ensure_calibration(settings)}")
        elif args.command == "ask":
            service.warm_up()
            for answer in service.answer_batch(args.questions):
                print(json.dumps(answer.evidence() | {"answer": answer.text}, ensure_ascii=False))
        elif args.command == "eval":
            from knowledge.evaluate.run import evaluate
            from knowledge.settings import REPO_ROOT

            report = evaluate(settings, REPO_ROOT / "reports")
            print(json.dumps({"dev": report["dev"], "abstention": report["abstention"]}, indent=2))
        elif args.command == "recommend":
            _recommend(settings, service, args)
        elif args.command == "check":
            service.warm_up()
            print("ready")
    except KnowledgeError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    return 0


def _recommend(settings: Settings, service: KnowledgeService, args: argparse.Namespace) -> None:
    from decimal import Decimal

    from knowledge.catalog import Catalog
    from knowledge.recommend import History, Recommender
    from knowledge.settings import REPO_ROOT

    service.warm_up(with_reader=False)
    recommender = Recommender(
        Catalog.load(settings.catalog_file), service.encoder, settings.cache_dir / "recommend"
    )
    recommender.warm_up()
    if args.evaluate:
        from knowledge.evaluate.recommend import evaluate_recommender

        report = evaluate_recommender(recommender)
        path = REPO_ROOT / "reports" / "recommend.json"
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(json.dumps(report["next_purchase"]), report["wishes"]["kefu_tag_match@3"])
        return
    history = History()
    if args.shopper:
        from knowledge.orders import OrderStore

        store = OrderStore(settings.orders_db_url, settings.data_dir / "orders" / "demo.yaml")
        store.open()
        bought, viewed = store.history(args.shopper)
        history = History(tuple(bought), tuple(viewed))
    budget = Decimal(str(args.budget)) if args.budget is not None else None
    for r in recommender.recommend(history, wish=args.wish, budget=budget):
        print(f"{r.product.id}  ¥{r.product.price}  {r.product.name_zh}  —  {r.reason_zh}")


if __name__ == "__main__":
    sys.exit(main())
