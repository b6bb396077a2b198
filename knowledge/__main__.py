"""Command line: ``python -m knowledge COMMAND``.

Commands: models, index, prepare, ask, check, eval, kb-check, what-changes, gaps.

The shop's commands (recommendations, logistics, generation) are ``python -m shop``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.logs import setup_logging
from knowledge.service import KnowledgeService
from knowledge.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "models", help="build (train) every configured model, the index, the answer decision"
    )
    index = sub.add_parser("index", help="build the passage index if the documents changed")
    index.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ask = sub.add_parser("ask", help="answer questions from the command line")
    ask.add_argument("questions", nargs="+")
    sub.add_parser("check", help="exit 0 when models and index are ready to serve")
    sub.add_parser("prepare", help="the same as models: what 'make run' needs")
    ev = sub.add_parser("eval", help="dev-split figures -> reports/eval.json and reports/eval.png")
    ev.add_argument(
        "--store",
        help="evaluate this store folder on its own questions (eval/, or the dev split of qa/) "
        "-> reports/eval-<folder name>.json",
    )
    kb = sub.add_parser(
        "kb-check",
        help="contradictions, near-duplicates and one-language facts in the store's documents; "
        "exit 1 when any is found",
    )
    kb.add_argument("--store", help="check this store folder (default: KEFU_DATA_DIR)")
    kb.add_argument("--json", type=Path, help="also write the report here")
    wc = sub.add_parser(
        "what-changes",
        help="the recent shoppers' answers a document change would change (before it goes "
        "live); exit 1 when any",
    )
    wc.add_argument("old", type=Path, help="the store folder as it is (docs/, faq/)")
    wc.add_argument("new", type=Path, help="the store folder with the change")
    wc.add_argument("--tracker", type=Path, help="SQLite tracker store (default KEFU_TRACKER_DB)")
    wc.add_argument("--days", type=float, default=30.0, help="how far back to look (days)")
    wc.add_argument("--json", type=Path, help="also write the report here")
    gaps = sub.add_parser(
        "gaps",
        help="questions kefu declined, got a thumbs down on or handed off, grouped by meaning",
    )
    gaps.add_argument("--tracker", type=Path, help="SQLite tracker store (default KEFU_TRACKER_DB)")
    gaps.add_argument("--days", type=float, default=7.0, help="how far back to look (days)")
    gaps.add_argument("--json", type=Path, help="also write the groups here")
    args = parser.parse_args(argv)
    setup_logging()

    try:
        settings = Settings.from_env()
        service = KnowledgeService(settings)
        if args.command in ("models", "prepare"):  # the only commands that build models
            from knowledge.train.build import build_models

            for name, folder in build_models(settings).items():
                print(f"{name} -> {folder}")
        elif args.command == "index":
            built = service.build_index(force=args.force)
            print(f"index {built.manifest['key']}: {built.manifest['passages']} passages")
        elif args.command == "ask":
            service.warm_up()
            for answer in service.answer_batch(args.questions):
                print(json.dumps(answer.evidence() | {"answer": answer.text}, ensure_ascii=False))
        elif args.command == "eval":
            from knowledge.evaluate.run import evaluate, evaluate_store
            from knowledge.settings import REPO_ROOT

            if args.store:
                store = Path(args.store).resolve()
                out = REPO_ROOT / "reports" / f"eval-{store.name}.json"
                report = evaluate_store(replace(settings, data_dir=store), out)
                print(f"wrote {out}")
            else:
                report = evaluate(settings, REPO_ROOT / "reports")
            summary = {k: report[k] for k in ("dev", "abstention")}
            print(json.dumps(summary, indent=2, ensure_ascii=False))
        elif args.command == "check":
            service.warm_up()
            print("ready")
        elif args.command == "kb-check":
            from knowledge.kbcheck import check

            if args.store:
                service = KnowledgeService(replace(settings, data_dir=Path(args.store).resolve()))
            built = service.build_index()  # the store's sentences and their vectors
            found = check(built.sentences, built.sentence_vectors)
            print(found.text())
            if args.json:
                args.json.write_text(json.dumps(found.as_dict(), ensure_ascii=False, indent=1))
            return 0 if found.clean else 1
        elif args.command == "what-changes":
            from common.config import value
            from knowledge.whatchanges import what_changes

            tracker = args.tracker or value("KEFU_TRACKER_DB")
            impact = what_changes(settings, args.old, args.new, tracker, args.days)
            print(impact.text())
            if args.json:
                args.json.write_text(json.dumps(impact.as_dict(), ensure_ascii=False, indent=1))
            return 1 if impact.changes else 0
        elif args.command == "gaps":
            from common.config import value
            from knowledge import gaps as knowledge_gaps

            service.encoder.warm_up()
            groups = knowledge_gaps.knowledge_gaps(
                service.encoder.encode_queries, args.tracker or value("KEFU_TRACKER_DB"), args.days
            )
            print(knowledge_gaps.text(groups))
            if args.json:
                grouped = knowledge_gaps.report(groups)
                args.json.write_text(json.dumps(grouped, ensure_ascii=False, indent=1))
    except KnowledgeError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
