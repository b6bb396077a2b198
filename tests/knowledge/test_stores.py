"""kefu's other stores: the second store (measured, never trained on) and the calibration store.

``stores/pets`` is measured by ``make eval`` (``second_store``) and ``make eval-bot
STORE=stores/pets``; nothing of it is trained or calibrated on, so none of its questions may
appear in anything kefu learns from. ``stores/books`` calibrates the general decision.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from knowledge.ingest import load_documents
from knowledge.train.build import CALIBRATION_STORES, own_calibration
from knowledge.train.data import QAExample, build_examples, held_out_examples
from tests.scripts.test_eval_bot import corpus, squeeze

ROOT = Path(__file__).resolve().parents[2]
PETS = ROOT / "stores" / "pets"
LEARNED_FROM = [ROOT / "data", ROOT / "bot" / "data", *CALIBRATION_STORES]


def spans_found(store: Path, examples: list[QAExample]) -> list[str]:
    """The questions whose gold span is not in its document section (empty when all are)."""
    passages = load_documents(*[store / f for f in ("docs", "faq") if (store / f).is_dir()])
    sections: dict[tuple[str, str], str] = {}
    for p in passages.passages:
        key = (p.source.doc, p.source.section)
        sections[key] = sections.get(key, "") + "\n" + p.text
    return [
        e.question
        for e in examples
        if e.answer and e.answer.span not in sections.get((e.answer.doc, e.answer.section), "")
    ]


def test_the_second_store_is_documents_and_held_out_questions_only() -> None:
    assert not (PETS / "qa").exists(), "a documents-only store: no written questions to learn"
    examples = held_out_examples(PETS / "eval")
    assert len(examples) >= 300 and all(e.split == "dev" for e in examples)
    kinds = Counter(e.kind for e in examples)
    assert min(kinds[k] for k in ("zh", "en", "mixed")) >= 50 and kinds["oos"] >= 50, kinds
    assert spans_found(PETS, examples) == []


def test_no_second_store_question_is_in_anything_kefu_learns_from() -> None:
    learnt = corpus(LEARNED_FROM)
    questions = [e.question for e in held_out_examples(PETS / "eval")]
    same = [q for q in questions if len(squeeze(q)) >= 6 and squeeze(q) in learnt]
    # 39 of 474 are short, generic questions ("how much is shipping", "可以货到付款吗？")
    # written word for word by the second store's writers and kefu's stores' writers,
    # independently; kefu's are about its own stores' facts. Anything more is a copy.
    assert len(same) <= 39, same


@pytest.mark.parametrize("store", CALIBRATION_STORES, ids=lambda p: p.name)
def test_a_calibration_store_has_questions_of_both_kinds_in_both_splits(store: Path) -> None:
    examples = build_examples(store / "qa", 0)
    for split in ("train", "dev"):
        part = [e for e in examples if e.split == split]
        assert (
            sum(e.answer is None for e in part) >= 10
            and sum(e.answer is not None for e in part) >= 50
        )
    assert spans_found(store, examples) == []


def test_only_a_store_with_enough_written_questions_fits_a_decision_of_its_own() -> None:
    assert own_calibration(ROOT / "data" / "qa")
    assert not own_calibration(PETS / "qa")  # none: the general decision
