"""Span-annotated questions about the knowledge base, for training and evaluation.

Sources (``data/qa/``):

* ``seeds/*.yaml`` — hand-written question *families*: one thing a shopper wants to know,
  asked 5-6 ways in zh and en and 3-4 ways mixed, with the exact answer span in the zh and
  the en passage (document + section).
* ``out_of_scope.yaml`` — questions the documents cannot answer (kefu must abstain).
* ``train/*.yaml`` — training questions for every fact sentence of the documents, in the same
  family format plus ``also`` (other sentences that answer them too), and
  ``train/out_of_scope.yaml``; written in a separate pass from the documents alone (the
  writers never saw the seeds), always in the train split.

Generated on top (seeded, reproducible): each written question gets paraphrase variants from
templates (greetings and politeness around it, punctuation and casing changes, zh/en
code-switching of common terms). The dev split holds out whole families (and their variants),
so dev measures generalisation to new ways of asking, not memory.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.lang import detect_language
from knowledge.errors import KnowledgeError
from knowledge.types import Language, Passage

DEV_SHARE = 0.2
SEED = 13

ZH_PREFIXES = [
    "",
    "",
    "请问",
    "你好，",
    "您好，请问",
    "客服，",
    "想问一下，",
    "问下，",
    "麻烦问一下，",
]
ZH_SUFFIXES = ["", "", "？", "?", "呢？", "啊", "，谢谢", "。"]
EN_PREFIXES = ["", "", "Hi, ", "Hello, ", "Quick question: ", "Excuse me, ", "hey ", "Sorry, "]
EN_SUFFIXES = ["", "", "?", " thanks", " please", "??", "."]
# zh term -> en term, for code-switched variants ("请问 refund 多久到账")
SWITCH = {
    "退款": "refund", "退货": "return", "运费": "shipping fee", "包邮": "free shipping",
    "发票": "invoice", "保修": "warranty", "积分": "points", "优惠券": "coupon",
    "礼品卡": "gift card", "会员": "member", "快递": "express", "分期": "instalment",
    "订单": "order", "地址": "address", "发货": "ship", "客服": "customer service",
    "信用卡": "credit card", "价保": "price protection", "账号": "account",
}  # fmt: skip


@dataclass(frozen=True)
class AnswerRef:
    """Where a family's answer is: document, section and the exact span text."""

    doc: str
    section: str
    span: str


@dataclass(frozen=True)
class QAExample:
    """One question with its gold answer (or none, for out-of-scope questions)."""

    question: str
    lang: Language
    kind: str  # "zh", "en", "mixed" (how it was written) or "oos"
    family: str
    fact: str  # the fact it asks about; for an out-of-scope question its kind ("chitchat")
    answer: AnswerRef | None
    split: str  # "train" or "dev"
    generated: bool = False
    also: tuple[str, ...] = ()  # other whole sentences that answer it too
    # "seeds" (data/qa/seeds, out_of_scope.yaml), "train" (data/qa/train) or "eval" (a
    # store's evaluation questions)
    origin: str = "seeds"


def family_split(family: str) -> str:
    """Deterministic split by family name: about ``DEV_SHARE`` of families go to dev."""
    h = int(hashlib.sha256(family.encode()).hexdigest()[:8], 16)
    return "dev" if h % 100 < DEV_SHARE * 100 else "train"


def _variants(question: str, lang: Language, rng: random.Random, n: int) -> list[str]:
    core = question.strip().rstrip("?？。.!！")
    out: list[str] = []
    for _ in range(n * 4):
        if len(out) >= n:
            break
        if lang == "zh":
            text = core
            if rng.random() < 0.35:
                terms = [t for t in SWITCH if t in text]
                if terms:
                    t = rng.choice(terms)
                    text = text.replace(t, f" {SWITCH[t]} ", 1).strip()
            text = rng.choice(ZH_PREFIXES) + text + rng.choice(ZH_SUFFIXES)
        else:
            text = core[0].lower() + core[1:] if rng.random() < 0.3 else core
            text = rng.choice(EN_PREFIXES) + text + rng.choice(EN_SUFFIXES)
        text = " ".join(text.split())
        if text != question and text not in out and detect_language(text) == lang:
            out.append(text)
    return out


def load_families(seed_dir: Path) -> list[dict[str, object]]:
    """All families from ``seed_dir/*.yaml`` (sorted by file for a stable order)."""
    families: list[dict[str, object]] = []
    for path in sorted(seed_dir.glob("*.yaml")):
        if path.name == "out_of_scope.yaml":
            continue
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(loaded, list):
            raise KnowledgeError(f"{path}: expected a list of question families.")
        families.extend(loaded)
    return families


def build_examples(qa_dir: Path, variants_per_question: int = 1) -> list[QAExample]:
    """Every written question plus its generated variants, and the out-of-scope questions.

    The seeds split by family (dev holds whole families out); ``train/`` is train only.
    """
    rng = random.Random(SEED)
    examples: list[QAExample] = []
    for fam in load_families(qa_dir / "seeds"):
        examples.extend(_family(fam, family_split(str(fam["family"])), rng, variants_per_question))
    for fam in load_families(qa_dir / "train"):
        examples.extend(_family(fam, "train", rng, 0, "train"))
    examples.extend(_out_of_scope(qa_dir / "out_of_scope.yaml", "oos", None, "seeds"))
    examples.extend(
        _out_of_scope(qa_dir / "train" / "out_of_scope.yaml", "oos-train", "train", "train")
    )
    return examples


def written_examples(qa_dir: Path) -> tuple[QAExample, ...]:
    """:func:`build_examples` without variants, parsed once per content of ``qa_dir``.

    Starting the engine reads kefu's questions for several things (the store's known
    questions, the general unanswerable ones, how shoppers phrase questions): the files are
    parsed once, and again only when one of them changed.
    """
    files = sorted(qa_dir.rglob("*.yaml")) if qa_dir.is_dir() else []
    signature = tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _parsed(qa_dir, signature)


@functools.lru_cache(maxsize=16)
def _parsed(qa_dir: Path, signature: tuple[tuple[str, int, int], ...]) -> tuple[QAExample, ...]:
    return tuple(build_examples(qa_dir, 0))


def held_out_examples(folder: Path) -> list[QAExample]:
    """A store's evaluation questions: every family and unanswerable question is dev.

    ``folder`` holds family files (``*.yaml``) and ``out_of_scope.yaml``, in the formats of
    ``data/qa/seeds``; nothing here is ever trained or calibrated on.
    """
    if not folder.is_dir():
        raise KnowledgeError(f"The question folder {folder} does not exist.")
    rng = random.Random(SEED)
    examples: list[QAExample] = []
    for fam in load_families(folder):
        examples.extend(_family(fam, "dev", rng, 0, "eval"))
    return examples + _out_of_scope(folder / "out_of_scope.yaml", "oos", "dev", "eval")


def _family(
    fam: dict[str, object], split: str, rng: random.Random, variants: int, origin: str = "seeds"
) -> list[QAExample]:
    name, fact = str(fam["family"]), str(fam["fact"])
    answers = {
        lang: AnswerRef(**ref)  # type: ignore[arg-type]
        for lang, ref in fam["answer"].items()  # type: ignore[attr-defined]
    }
    also = {lang: tuple(v) for lang, v in (fam.get("also") or {}).items()}  # type: ignore[attr-defined]
    out = []
    for kind, questions in fam["questions"].items():  # type: ignore[attr-defined]
        for q in questions:
            lang = detect_language(q)
            if lang not in answers:
                continue
            extra = also.get(lang, ())
            ref = answers[lang]
            out.append(QAExample(q, lang, kind, name, fact, ref, split, False, extra, origin))
            for v in _variants(q, lang, rng, variants):
                out.append(QAExample(v, lang, kind, name, fact, ref, split, True, extra, origin))
    return out


def _out_of_scope(path: Path, prefix: str, split: str | None, origin: str) -> list[QAExample]:
    """Questions the documents cannot answer (``split`` None: by hash, like the seeds)."""
    if not path.exists():
        return []
    out = []
    for i, item in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
        q = str(item["question"])
        where = split or family_split(f"oos-{i}")
        family = f"{prefix}-{item['kind']}-{i}"
        kind = str(item["kind"])  # what it asks about: its "fact"
        out.append(
            QAExample(q, detect_language(q), "oos", family, kind, None, where, origin=origin)
        )
    return out


def gold_passage(example: QAExample, passages: Iterable[Passage]) -> tuple[Passage, int] | None:
    """The passage holding ``example``'s answer and the span's start offset in it."""
    if example.answer is None:
        return None
    for p in passages:
        if p.source.doc == example.answer.doc and p.source.section == example.answer.section:
            start = p.text.find(example.answer.span)
            if start >= 0:
                return p, start
    return None


def span_in(passage: Passage, example: QAExample) -> int:
    """Offset of ``example``'s answer span in ``passage`` (-1 when absent)."""
    if example.answer is None:
        return -1
    return passage.text.find(example.answer.span)
