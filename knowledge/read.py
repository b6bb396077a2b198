"""Extractive reader: the exact answer span in each passage, or "no answer".

A BERT-style ``AutoModelForQuestionAnswering`` scores every token as a span start and end.
This module decodes those logits itself (transformers 5 removed the QA pipeline): long
passages are cut into overlapping windows (``doc_stride``), spans are limited to
``max_answer_tokens``, and the [CLS] position gives the no-answer score. Batched: lists of
(question, passage) pairs in, one best span per pair out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.component import ModelComponent
from knowledge.errors import NotReadyError
from knowledge.ingest.split import sentence_spans
from knowledge.models import ModelResolver
from knowledge.types import Passage

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Span:
    """The reader's best span in one passage.

    ``score`` is start logit + end logit of the span; ``null_score`` the same at [CLS];
    ``margin = score - null_score`` is how much the reader prefers the span to "no answer".
    """

    passage: Passage
    start: int
    end: int
    score: float
    null_score: float

    @property
    def text(self) -> str:
        """The answer text (empty when the reader found none)."""
        return self.passage.text[self.start : self.end]

    @property
    def margin(self) -> float:
        """Span score minus no-answer score."""
        return self.score - self.null_score


def best_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context_mask: np.ndarray,
    max_answer_tokens: int,
) -> tuple[int, int, float]:
    """Best (start token, end token, score) with start <= end < start + max_answer_tokens.

    Only tokens where ``context_mask`` is true may be part of the span.
    """
    neg = np.float32(-1e9)
    s = np.where(context_mask, start_logits, neg)
    e = np.where(context_mask, end_logits, neg)
    scores = s[:, None] + e[None, :]
    n = len(s)
    i, j = np.indices((n, n))
    scores = np.where((j >= i) & (j - i < max_answer_tokens), scores, neg)
    flat = int(np.argmax(scores))
    start, end = divmod(flat, n)
    return start, end, float(scores[start, end])


class Reader(ModelComponent):
    """Extractive QA over passages.

    Args:
        model: Hugging Face id or folder of an ``AutoModelForQuestionAnswering`` checkpoint.
        resolver: maps ``model`` to a local folder.
        device: ``cpu`` or ``cuda``.
        max_seq_len: tokens per window (question + passage).
        doc_stride: tokens of overlap between windows of a long passage.
        max_answer_tokens: longest span considered.
        batch_size: windows per forward pass.
        dtype: ``float32``, or ``bfloat16`` / ``float16`` on CUDA.
    """

    def __init__(
        self,
        model: str,
        resolver: ModelResolver,
        device: str = "cpu",
        max_seq_len: int = 256,
        doc_stride: int = 96,
        max_answer_tokens: int = 48,
        batch_size: int = 16,
        dtype: str = "float32",
    ) -> None:
        if doc_stride >= max_seq_len:
            raise ValueError(f"doc_stride ({doc_stride}) must be below max_seq_len ({max_seq_len})")
        super().__init__(model, resolver, device, dtype)
        self.max_seq_len = max_seq_len
        self.doc_stride = doc_stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self._tokenizer: Any = None

    kind = "reader"

    def _load(self, folder: Path) -> Any:
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(folder))
        return AutoModelForQuestionAnswering.from_pretrained(str(folder)).to(self.device).eval()

    def encode(self, questions: list[str], contexts: list[str]) -> Any:
        """Tokenise pairs into windows (``overflow_to_sample_mapping`` maps them back)."""
        if self._tokenizer is None:
            raise NotReadyError("Reader used before warm_up().")
        return self._tokenizer(
            questions,
            contexts,
            truncation="only_second",
            max_length=self.max_seq_len,
            stride=self.doc_stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding="longest",
            return_tensors="np",
        )

    def forward(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of every window: the model call alone.

        Windows go through in chunks of ``batch_size`` by decreasing length, each chunk cut
        to its longest window, so a batch of many pairs does not pay for padding every
        window to the longest one (the logits past a window's end are never read).
        """
        import torch

        names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]
        mask = np.asarray(features["attention_mask"])
        lengths = mask.sum(axis=1)
        if getattr(self._tokenizer, "padding_side", "right") != "right":
            lengths[:] = mask.shape[1]  # left padding: keep every column
        order = np.argsort(-lengths, kind="stable")
        starts = np.full(mask.shape, -1e4, np.float32)
        ends = np.full(mask.shape, -1e4, np.float32)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                rows = order[b : b + self.batch_size]
                width = int(lengths[rows].max())
                batch: dict[str, torch.Tensor] = {
                    k: torch.as_tensor(features[k][rows, :width], device=self.device) for k in names
                }
                out = self.model(**batch)
                starts[rows, :width] = out.start_logits.float().cpu().numpy()
                ends[rows, :width] = out.end_logits.float().cpu().numpy()
        return starts, ends

    def run(self, questions: list[str], passages: list[Passage]) -> list[Span]:
        """The best span of each (question, passage) pair, pairs given as parallel lists."""
        return [max(row, key=lambda s: s.margin) for row in self.run_sentences(questions, passages)]

    def run_sentences(self, questions: list[str], passages: list[Passage]) -> list[list[Span]]:
        """The best span inside each sentence of each pair's passage (n-best by sentence).

        One forward pass per window, as :meth:`run`; the span search is repeated per
        sentence so the answer decision can weigh a sentence the reader ranks second.
        A pair whose passage has no readable token gets one empty span.
        """
        if len(questions) != len(passages):
            raise ValueError("questions and passages must have the same length")
        if not questions:
            return []
        features = self.encode(questions, [p.text for p in passages])
        return self.spans(features, self.forward(features), passages)

    def spans(
        self, features: Any, logits: tuple[np.ndarray, np.ndarray], passages: list[Passage]
    ) -> list[list[Span]]:
        """Decode the logits of :meth:`encode`'s windows: the best span per sentence per pair."""
        start_logits, end_logits = logits
        best: dict[tuple[int, int], Span] = {}
        for w, pair in enumerate(features["overflow_to_sample_mapping"]):
            passage = passages[int(pair)]
            offsets = features["offset_mapping"][w]
            in_context = np.array([sid == 1 for sid in features.sequence_ids(w)])
            null = float(start_logits[w][0] + end_logits[w][0])
            for n, (a, b) in enumerate(sentence_spans(passage.text)):
                mask = in_context & (offsets[:, 0] >= a) & (offsets[:, 1] <= b)
                mask &= offsets[:, 1] > offsets[:, 0]
                if not mask.any():
                    continue
                s, e, score = best_span(
                    start_logits[w], end_logits[w], mask, self.max_answer_tokens
                )
                span = self._span(passage, int(offsets[s][0]), int(offsets[e][1]), score, null)
                kept = best.get((int(pair), n))
                if kept is None or span.margin > kept.margin:
                    best[(int(pair), n)] = span
        out: list[list[Span]] = [[] for _ in passages]
        for (pair, _), span in sorted(best.items()):
            out[pair].append(span)
        return [row or [Span(p, 0, 0, 0.0, 0.0)] for row, p in zip(out, passages, strict=True)]

    @staticmethod
    def _span(passage: Passage, a: int, b: int, score: float, null: float) -> Span:
        while a < b and passage.text[a].isspace():  # offsets include the word's leading space
            a += 1
        return Span(passage, a, b, score, null)
