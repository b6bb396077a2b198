"""``python -m shop.logistics {plan,options,report}``: the merchants' logistics commands."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from knowledge.errors import KnowledgeError
from knowledge.settings import REPO_ROOT
from shop.logistics.network import Network
from shop.logistics.planner import day_orders, load_stock, naive_plan, optimal_plan
from shop.logistics.promise import shipping_options
from shop.settings import ShopSettings


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m shop.logistics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser(
        "plan", help="plan a seeded day of orders; print it and its cost vs naive"
    )
    plan.add_argument("--orders", type=int, default=600)
    plan.add_argument("--seed", type=int, default=7)
    plan.add_argument("--show", type=int, default=15, help="parcels to print (0: none, -1: all)")
    options = sub.add_parser("options", help="shipping options for a city and basket value")
    options.add_argument("city")
    options.add_argument("--basket", type=float)
    options.add_argument("--membership", default="regular")
    report = sub.add_parser("report", help="planner and ETA figures -> reports/logistics.json")
    report.add_argument("--orders", type=int, default=600)
    report.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        settings = ShopSettings.from_env()
        network = Network.load(settings.logistics_dir, settings.data_dir / "store.yaml")
        stock_file = settings.logistics_dir / "stock.csv"
        if args.command == "plan":
            stock = load_stock(stock_file)
            day = day_orders(network, stock, args.orders, args.seed)
            naive, best = naive_plan(network, day, stock), optimal_plan(network, day, stock)
            rows = best.rows()
            for order, warehouse, carrier, items, cost in (
                rows if args.show < 0 else rows[: args.show]
            ):
                city = network.cities[next(o.city for o in day if o.id == order)]
                print(
                    f"{order}  {city.name_en:<12} {warehouse}  {carrier:<3}  ¥{cost:>6.2f}  {items}"
                )
            for p in (naive, best):
                s = p.summary()
                print(
                    f"{p.name:<28} ¥{s['total_cost']:>10,.2f}  parcels {s['parcels']}  "
                    f"split {s['split_orders']}  unshipped {s['unshipped']}  {s['seconds']} s"
                )
            print(
                f"saving: ¥{naive.total_cost - best.total_cost:,.2f} "
                f"({(naive.total_cost - best.total_cost) / naive.total_cost:.1%})"
            )
        elif args.command == "options":
            wanted = network.city(args.city)
            if wanted is None:
                print(f"kefu: unknown city {args.city!r}", file=sys.stderr)
                return 2
            now = datetime.now(UTC).replace(tzinfo=None)
            for o in shipping_options(network, wanted, args.basket, args.membership, now):
                marks = " ".join(
                    m for m, on in (("fastest", o.fastest), ("cheapest", o.cheapest)) if on
                )
                fee = "depends on basket" if o.fee is None else f"¥{o.fee:g}"
                print(f"{o.service:<9} {fee:<18} {o.earliest} .. {o.latest}  {marks}")
        else:
            from shop.logistics.report import logistics_report

            out = logistics_report(
                network,
                stock_file,
                settings.demo_orders,
                args.orders,
                args.seed,
            )
            target = REPO_ROOT / "reports" / "logistics.json"
            target.write_text(
                json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            print(json.dumps(out, indent=2, ensure_ascii=False))
    except KnowledgeError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
