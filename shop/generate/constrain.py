"""Fact-constrained decoding: a local model can only write the numbers its facts contain.

Small models invent numbers (¥39 for a ¥399 product, "2 年保修"): the guard catches them, but
then the shopper gets the template. ``FactNumbers`` is a logits processor for transformers'
``generate()`` that removes, at each step, every token that would start or extend a digit run
into something that is not (a prefix of) a number in the facts, and every non-digit token while
the run so far is an unfinished number; right after ``¥`` only the facts' money amounts may
follow. Prices, ratings and attributes stay sayable; nothing else with digits is. Units are
checked on the best few candidates of each step: a token that would turn a number into a
measure the facts do not state (``5 小时`` when 5 is the weight in grams) is vetoed, and the
next best is taken. The guard still checks every text (Chinese numerals, names, promises).

``Vocabulary`` lists, once per tokenizer, the tokens that can write or go on a number and
those that end a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from shop.generate.quantities import measures

DIGIT = re.compile(r"\d")
RUN = re.compile(r"\d[\d.,]*")
TAIL = re.compile(r"\d[\d.,]*$")
SPECIAL = re.compile(r"^<[^>]*>$")
NUMBER_END = re.compile(r"\d[\d.,]*\s*\S{0,3}$")  # a unit may be being written
VETO_CANDIDATES = 16


def _piece_text(piece: str) -> str:
    """The text a sentencepiece (``▁``) or byte-level BPE (``Ġ``) piece stands for."""
    return piece.replace("▁", " ").replace("Ġ", " ")


class Vocabulary:
    """What the processors need of one tokenizer.

    ``tokens``: the ids (with their text) whose text contains a digit or starts with a decimal
    point or comma (it can go on a number); ``line_breaks``: the ids that end the line or text.
    """

    def __init__(self, tokenizer: Any) -> None:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        self.size = len(pieces)
        self.tokens: list[tuple[int, str]] = [
            (i, _piece_text(p))
            for i, p in enumerate(pieces)
            if p and (DIGIT.search(p) or p[0] in ".,") and not SPECIAL.match(p)
        ]
        self.number_ids = [i for i, _ in self.tokens]
        self.line_breaks = [i for i, p in enumerate(pieces) if p and ("\n" in p or "Ċ" in p)]
        eos = getattr(tokenizer, "eos_token_id", None)
        if eos is not None:
            self.line_breaks.append(int(eos))


def _forms(numbers: Iterable[str]) -> frozenset[str]:
    """Each number as it may be written: ``2000`` and ``2,000``, ``1299`` and ``1,299``."""
    out = set()
    for n in numbers:
        bare = n.replace(",", "")
        whole, dot, fraction = bare.partition(".")
        out |= {n, bare}
        if whole.isdigit():
            out.add(f"{int(whole):,}{dot}{fraction}")
    return frozenset(out)


#: words that put the number after them in a deal's role (满 300 减 40; over ¥300, take ¥40)
ROLE_WORDS = {"threshold": ("满", "over"), "reduction": ("减", "take", "save")}


def deal_role(before: str) -> str:
    """The deal role of a number written right after ``before`` (``""``: none)."""
    tail = before.rstrip().rstrip("¥￥").rstrip().lower()
    for role, words in ROLE_WORDS.items():
        if any(_ends_with_word(tail, w) for w in words):
            return role
    return ""


def _ends_with_word(text: str, word: str) -> bool:
    """``text`` ends with ``word`` (a whole word when it is English: not "makeover")."""
    if not text.endswith(word):
        return False
    return not word.isascii() or not text[: -len(word)][-1:].isalpha()


class FactNumbers:
    """A ``LogitsProcessor``: only numbers in ``allowed``; after ``¥`` only those in ``money``.

    A number may be written plainly or with thousands separators (``399``, ``2,000``; not
    ``39,9``).
    """

    def __init__(
        self,
        vocab: Vocabulary,
        allowed: Iterable[str],
        tokenizer: Any,
        prompt_length: int,
        lead: str = "",
        money: Iterable[str] = (),
        measures: Iterable[tuple[str, str]] = (),
        roles: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.vocab = vocab
        self.allowed = _forms(allowed)
        self.money = _forms(money)
        self.measures = frozenset(measures)
        self.roles = {role: _forms(amounts) for role, amounts in (roles or {}).items()}
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.lead = lead
        self._masks: dict[tuple[str, bool, str], Any] = {}

    @staticmethod
    def _complete(run: str, pool: frozenset[str]) -> bool:
        """``run`` is a number of ``pool``, perhaps followed by a full stop or comma."""
        return run in pool or (run[-1:] in (".", ",") and run[:-1] in pool)

    def _prefix(self, run: str, pool: frozenset[str]) -> bool:
        return self._complete(run, pool) or any(a.startswith(run) for a in pool)

    def _valid(self, text: str, first: frozenset[str] | None = None) -> bool:
        """Every digit run in ``text`` is an allowed number, the last one possibly unfinished.

        A run at the very start must be one of ``first`` when given (money, a deal's role).
        """
        runs = list(RUN.finditer(text))
        for k, m in enumerate(runs):
            pool = first if first is not None and k == 0 and m.start() == 0 else self.allowed
            still_open = k == len(runs) - 1 and m.end() == len(text)
            ok = self._prefix(m.group(), pool) if still_open else self._complete(m.group(), pool)
            if not ok:
                return False
        return True

    def pool(self, after_yuan: bool = False, role: str = "") -> frozenset[str]:
        """The numbers allowed here: a deal role's amounts, money after ``¥``, else any."""
        if role:
            return self.roles.get(role, frozenset())
        return self.money if after_yuan else self.allowed

    def banned(self, run: str, after_yuan: bool = False, role: str = "") -> Any:
        """Boolean mask over the vocabulary of the tokens not allowed after ``run``.

        ``after_yuan``: the run follows a ``¥``; ``role``: it follows a deal's word for
        ``threshold`` (满, over) or ``reduction`` (减, take, save).
        """
        key = (run, after_yuan, role)
        if key in self._masks:
            return self._masks[key]
        import torch

        pool = self.pool(after_yuan, role)
        first = pool if (after_yuan or role) else None
        finished = not run or self._complete(run, pool)
        mask = (
            torch.zeros(self.vocab.size, dtype=torch.bool)
            if finished
            else torch.ones(self.vocab.size, dtype=torch.bool)
        )
        for i, text in self.vocab.tokens:
            if run and (text[:1].isdigit() or text[:1] in ".,"):
                ok = self._valid(run + text, first)
            else:
                ok = finished and self._valid(text, None if run else first)
            mask[i] = not ok
        self._masks[key] = mask
        return mask

    def _veto_units(self, new: list[int], text: str, row: Any) -> None:
        """Minus infinity for the best candidates that would write a measure not in the facts.

        Candidates are checked best first, until the best remaining one is fine.
        """
        import torch

        before = measures(text)
        for _ in range(VETO_CANDIDATES):
            best = int(torch.argmax(row))
            if not torch.isfinite(row[best]):
                return
            after = self.lead + self.tokenizer.decode([*new, best], skip_special_tokens=True)
            if not (measures(after) - before - self.measures):
                return
            if int(torch.isfinite(row).sum()) == 1:
                return  # never leave a row without any token
            row[best] = float("-inf")

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Scores with the banned tokens of each row set to minus infinity."""
        import torch

        for row in range(input_ids.shape[0]):
            new = input_ids[row, self.prompt_length :].tolist()
            text = self.lead + self.tokenizer.decode(new, skip_special_tokens=True)
            tail = TAIL.search(text)
            run = tail.group() if tail else ""
            before = text[: len(text) - len(run)].rstrip()
            mask = self.banned(run, before.endswith(("¥", "￥")), deal_role(before)).to(
                scores.device
            )
            original = scores[row].clone()
            scores[row, : mask.shape[0]] = original[: mask.shape[0]].masked_fill(
                mask, float("-inf")
            )
            if not torch.isfinite(scores[row]).any():  # a dead end (another processor banned the
                scores[row] = original  # number's only way on): end the number there, unfinished
                scores[row, self.vocab.number_ids] = float("-inf")
                if not torch.isfinite(scores[row]).any():
                    scores[row] = original  # nothing else is left: the guard will judge it
                continue
            if NUMBER_END.search(text):
                self._veto_units(new, text, scores[row])
        return scores


class NoRepeat:
    """A ``LogitsProcessor``: no n-gram twice, a mild penalty on repeats, no early end.

    Repeats are counted in the generated text only; no line break or end before ``min_tokens``
    (a base model given the product's name as the copy's start otherwise often ends the line
    right there). ``free`` tokens (the digits) are never banned or penalised as repeats: a
    deal's 200 after its 2000 is fine, and ``FactNumbers`` already decides which numbers may go.

    transformers' own ``no_repeat_ngram_size`` and ``repetition_penalty`` count the prompt too,
    which, for copy written from facts, forbids or discourages exactly the tokens to copy (a
    price's digits, the product's name).
    """

    def __init__(
        self,
        prompt_length: int,
        size: int = 4,
        penalty: float = 1.1,
        endings: list[int] | None = None,
        min_tokens: int = 0,
        free: Iterable[int] = (),
    ) -> None:
        self.prompt_length = prompt_length
        self.size = size
        self.penalty = penalty
        self.endings = endings or []
        self.min_tokens = min_tokens
        self.free = frozenset(free)  # never banned as a repeat: FactNumbers governs numbers

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Scores with repeats of the generated text banned or penalised."""
        import torch

        for row in range(input_ids.shape[0]):
            new = input_ids[row, self.prompt_length :].tolist()
            if len(new) < self.min_tokens and self.endings:
                scores[row, self.endings] = float("-inf")
            if not new:
                continue
            seen_ids = sorted(set(new) - self.free)
            if not seen_ids:
                continue
            seen = torch.tensor(seen_ids, device=scores.device)
            picked = scores[row, seen]
            scores[row, seen] = torch.where(
                picked > 0, picked / self.penalty, picked * self.penalty
            )
            n = self.size
            if len(new) >= n:
                start = tuple(new[-(n - 1) :])
                for i in range(len(new) - n + 1):
                    if tuple(new[i : i + n - 1]) == start and new[i + n - 1] not in self.free:
                        scores[row, new[i + n - 1]] = float("-inf")
        return scores
