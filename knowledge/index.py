"""The store's index: passages (FAISS), their sentences and the known questions, as vectors.

An index lives in ``<index_dir>/<key>/`` where the key hashes the encoder's name, every
passage (text and source) and every known question. Changing a document, a question or the
model changes the key, so a stale index is never used: :func:`open_index` says what to run
instead.

Beside the passage vectors (FAISS, for retrieval figures and stores with very many passages)
it keeps one vector per sentence under its headings (:mod:`knowledge.units`) and per known
question (:mod:`knowledge.known`): the answer decision scores every sentence of the store in
the question's language against them, a matrix product.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.decide import Scores, novelty, words
from knowledge.encode import Encoder
from knowledge.errors import IndexMissingError, IndexStaleError
from knowledge.known import KnownBank, KnownQuestion, question_scores
from knowledge.settings import INDEX_TYPES
from knowledge.types import Language, Passage
from knowledge.units import Sentence, is_faq, split_sentences

FORMAT_VERSION = 3


def embedding_text(passage: Passage) -> str:
    """What the encoder sees for a passage: its headings give the text its topic."""
    src = passage.source
    heading = " › ".join(h for h in (src.title, src.section) if h)
    return f"{heading}\n{passage.text}" if heading else passage.text


def index_key(model_name: str, passages: list[Passage], known: Sequence[KnownQuestion] = ()) -> str:
    """Content hash of what an index is built from."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}\n{model_name}\n".encode())
    for p in passages:
        digest.update(json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    for k in known:
        digest.update(json.dumps([k.question, *k.answers], ensure_ascii=False).encode())
    slug = model_name.replace("/", "--")[-80:]
    return f"{slug}-{digest.hexdigest()[:16]}"


def model_slug(key: str) -> str:
    """The model part of an index key (what its vectors depend on)."""
    return key.rsplit("-", 1)[0]


@dataclass
class PassageIndex:
    """Vectors and passages, searchable by inner product (cosine on unit vectors).

    ``sentences`` with ``sentence_vectors`` and the ``known`` questions' bank are what the
    answer decision reads (:meth:`scores`).
    """

    passages: list[Passage]
    faiss_index: Any
    manifest: dict[str, Any]
    sentences: list[Sentence] = field(default_factory=list)
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    passage_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    known: KnownBank | None = None

    def __post_init__(self) -> None:
        position = {p.id: i for i, p in enumerate(self.passages)}
        self.sentence_passage = np.array([position[s.passage.id] for s in self.sentences], np.int64)
        self.sentence_langs = np.array([s.lang for s in self.sentences])
        self.sentence_texts = [s.text for s in self.sentences]
        self.sentence_faq = np.array([is_faq(s.passage) for s in self.sentences], np.float32)
        if self.known is None:
            self.known = KnownBank([], np.zeros((0, 0), np.float32), self.sentences)
        #: every word (en) and character pair (zh) of the documents, headings included: a
        #: question's words outside it are :attr:`~knowledge.decide.Scores.novel`
        self.vocabulary: frozenset[str] = frozenset().union(
            *(words(f"{p.source.title} {p.source.section} {p.text}") for p in self.passages)
        )

    def scores(
        self,
        vector: np.ndarray,
        lang: Language,
        bank: KnownBank | None = None,
        question: str = "",
    ) -> Scores:
        """What the answer decision needs for one encoded question (``question``: its text).

        ``bank``: another bank of known questions than the index's (fitting the decision).
        """
        passage_cosine = (self.passage_vectors @ vector)[self.sentence_passage]
        assert self.known is not None
        scores = question_scores(
            vector, lang, self.sentence_vectors, self.sentence_langs,
            passage_cosine.astype(np.float32), bank if bank is not None else self.known,
        )  # fmt: skip
        return replace(scores, novel=novelty(question, self.vocabulary)) if question else scores

    def add_words(self, extra: frozenset[str]) -> None:
        """Count ``extra`` as words the documents use (how shoppers phrase any question)."""
        self.vocabulary = self.vocabulary | extra

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-``k`` (passage position, score) per query row, best first."""
        k = min(k, len(self.passages))
        scores, ids = self.faiss_index.search(np.ascontiguousarray(queries, np.float32), k)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]


class EmbeddingCache:
    """Passage vectors already computed by one model, keyed by the hash of the text.

    Lets a rebuild encode only the passages that changed (``vectors.npz`` in the cache).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        """Hash of a passage's embedding text."""
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def encode(
        self, encoder: Encoder, texts: list[str], prompt: str = "passage"
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``, encoding only unseen ones; returns (vectors, newly encoded)."""
        if not texts:
            return np.zeros((0, 0), np.float32), 0
        keys = [self.key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items()
        )
        if missing:
            fresh = encoder.encode([t for _, t in missing], prompt, progress=True)
            self.vectors.update({k: v for (k, _), v in zip(missing, fresh, strict=True)})
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(
                tmp,
                keys=np.array(list(self.vectors)),
                vectors=np.stack(list(self.vectors.values())),
            )
            tmp.rename(self.path)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32), len(missing)


def make_faiss(kind: str, vectors: np.ndarray) -> Any:
    """A FAISS inner-product index of ``kind`` holding ``vectors``.

    ``flat`` is exact; ``ivf`` (4·√n lists, n/8 probed) and ``hnsw`` (32 links, efSearch 64)
    are approximate, for stores with very many passages (``make eval`` reports their
    recall@10 against exact search).
    """
    import faiss

    n, dim = vectors.shape
    index: Any
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 64
    elif kind == "ivf":
        nlist = max(1, min(n // 8, int(4 * np.sqrt(n))))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = max(1, nlist // 8)
    else:
        raise ValueError(f"Invalid index type {kind!r}. Valid index types are {INDEX_TYPES}.")
    index.add(vectors)
    return index


def build_index(
    encoder: Encoder,
    passages: list[Passage],
    folder: Path,
    kind: str = "flat",
    known: Sequence[KnownQuestion] = (),
) -> PassageIndex:
    """Encode ``passages``, their sentences and the ``known`` questions; write the index.

    Only texts the model has not encoded before are encoded.
    """
    import faiss

    encoder.warm_up()
    start = time.perf_counter()
    cache = EmbeddingCache(folder.parent / "embeddings" / f"{model_slug(folder.name)}.npz")
    sentences = split_sentences(passages)
    texts = [embedding_text(p) for p in passages] + [s.embedding_text for s in sentences]
    vectors, encoded = cache.encode(encoder, texts)
    questions = EmbeddingCache(folder.parent / "embeddings" / f"{model_slug(folder.name)}-q.npz")
    known_vectors, asked = questions.encode(encoder, [k.question for k in known], "query")
    encoded += asked
    sentence_vectors = vectors[len(passages) :]
    vectors = vectors[: len(passages)]
    if not known:
        known_vectors = np.zeros((0, vectors.shape[1]), np.float32)
    index = make_faiss(kind, vectors)
    manifest = {
        "type": kind,
        "format": FORMAT_VERSION,
        "model": encoder.model_name,
        "key": folder.name,
        "passages": len(passages),
        "sentences": len(sentences),
        "known_questions": len(known),
        "encoded": encoded,
        "dim": int(vectors.shape[1]),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.perf_counter() - start, 2),
    }
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    faiss.write_index(index, str(tmp / "index.faiss"))
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    np.save(tmp / "passages.npy", vectors)
    np.save(tmp / "sentences.npy", sentence_vectors)
    np.save(tmp / "known.npy", known_vectors)
    with open(tmp / "known.jsonl", "w", encoding="utf-8") as f:
        for k in known:
            f.write(json.dumps({"question": k.question, "answers": k.answers}, ensure_ascii=False))
            f.write("\n")
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    bank = KnownBank(known, known_vectors, sentences)
    return PassageIndex(passages, index, manifest, sentences, sentence_vectors, vectors, bank)


def open_index(index_dir: Path, key: str) -> PassageIndex:
    """Load the index built for ``key``.

    Raises:
        IndexStaleError: indexes exist for this model but for other documents.
        IndexMissingError: no index exists for this model.
    """
    import faiss

    folder = index_dir / key
    if not (folder / "manifest.json").exists():
        others = [p.name for p in index_dir.glob(f"{model_slug(key)}-*") if p.is_dir()]
        if others:
            raise IndexStaleError(
                f"The passage index in {index_dir} was built from other documents than those "
                f"in the data folder now. Run 'make index' to rebuild it."
            )
        raise IndexMissingError(
            f"No passage index for these documents in {index_dir}. Run 'make index' to build it."
        )
    manifest = json.loads((folder / "manifest.json").read_text())
    with open(folder / "passages.jsonl", encoding="utf-8") as f:
        passages = [Passage.from_dict(json.loads(line)) for line in f]
    with open(folder / "known.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    known = [KnownQuestion(r["question"], tuple(r["answers"])) for r in rows]
    sentences = split_sentences(passages)
    bank = KnownBank(known, np.load(folder / "known.npy"), sentences)
    return PassageIndex(
        passages, faiss.read_index(str(folder / "index.faiss")), manifest, sentences,
        np.load(folder / "sentences.npy"), np.load(folder / "passages.npy"), bank,
    )  # fmt: skip
