"""Models of the configured shapes with random (seeded) weights, for speed runs elsewhere.

The GPU machine gets only the working tree (64 MiB) and no hub: ``bench/gpu.sh prepare``
copies each model's configs and tokenizer (no weights) into ``.gpu/models/<role>/``; there,
:func:`random_service` builds the weights from the configs, so every matrix has the shape of
the real model and the timings are the real model's. Answers are meaningless, so quality is
never measured from these; ``bench/devices.py`` compares CPU and GPU outputs of the same
random weights instead. Without faiss (not installed on the GPU machine) the passages are
searched by a NumPy inner product, which is what a flat FAISS index computes.
"""

from __future__ import annotations

import lzma
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.service import KnowledgeService
from knowledge.settings import Settings

ROLES = {
    "retriever": "AutoModel",
    "reader": "AutoModelForQuestionAnswering",
    "reranker": "AutoModelForSequenceClassification",
}


class NumpyFlatIP:
    """Exact inner-product search, the part of ``faiss.IndexFlatIP`` the retriever uses."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = queries @ self.vectors.T
        ids = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, ids, axis=1), ids


def materialise(src: Path, dst: Path, seed: int = 0) -> dict[str, Path]:
    """Model folders in ``dst`` with seeded random weights, from the configs in ``src``."""
    import torch
    import transformers

    folders = {}
    for role, cls_name in ROLES.items():
        if not (src / role / "config.json").exists():
            continue
        folder = dst / role
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(src / role, folder)
        packed = folder / "tokenizer.json.xz"
        if packed.exists():
            (folder / "tokenizer.json").write_bytes(lzma.decompress(packed.read_bytes()))
            packed.unlink()
        config = transformers.AutoConfig.from_pretrained(str(folder))
        torch.manual_seed(seed)
        model = getattr(transformers, cls_name).from_config(config)
        model.save_pretrained(str(folder))
        folders[role] = folder
    return folders


def random_service(settings: Settings, src: Path, seed: int = 0) -> tuple[KnowledgeService, str]:
    """A warmed-up service over random models built from ``src`` (see the module doc)."""
    folders = materialise(src, settings.cache_dir / "random-models", seed)
    settings = replace(
        settings,
        retriever_model=str(folders["retriever"]),
        reader_model=str(folders.get("reader", "")),
        reranker_model=str(folders["reranker"]) if settings.reranker_model else "",
        answer_threshold=0.0,
    )
    service = KnowledgeService(settings)
    try:
        import faiss  # noqa: F401
    except ImportError:
        _warm_without_faiss(service)
        search = "NumPy flat inner product (no faiss there)"
    else:
        service.build_index()
        service.warm_up()
        search = "FAISS flat"
    how = f"random weights (seed {seed}) in the shapes of {sorted(folders)} from {src}; {search}"
    return service, how


def _warm_without_faiss(service: KnowledgeService) -> None:
    from knowledge.index import PassageIndex, embedding_text
    from knowledge.units import split_sentences

    passages = service.load_passages()
    sentences = split_sentences(passages)
    service.encoder.warm_up()
    vectors = service.encoder.encode_passages([embedding_text(p) for p in passages])
    sentence_vectors = service.encoder.encode_passages([s.embedding_text for s in sentences])
    manifest: dict[str, Any] = {"type": "numpy-flat", "passages": len(passages)}
    index = PassageIndex(
        passages, NumpyFlatIP(vectors), manifest, sentences, sentence_vectors, vectors
    )
    service.retriever.warm_up(index)
    service.graph.index = index
    for component in (service.reranker, service.reader):
        if component is not None:
            component.warm_up()
    service.ready = True
