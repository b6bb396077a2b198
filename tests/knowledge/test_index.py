from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge.errors import IndexMissingError, IndexStaleError
from knowledge.index import build_index, index_key, make_faiss, open_index
from knowledge.ingest import load_documents
from tests.conftest import FakeEncoder


def test_build_then_open_round_trip(store: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    passages = load_documents(store / "docs").passages
    key = index_key(fake_encoder.model_name, passages)
    built = build_index(fake_encoder, passages, tmp_path / "idx" / key)  # type: ignore[arg-type]
    opened = open_index(tmp_path / "idx", key)
    assert opened.passages == passages
    assert opened.manifest["passages"] == len(passages) == built.manifest["passages"]
    query = fake_encoder.encode_queries(["Standard delivery takes 2-4 days"])
    (best, score), *_ = opened.search(query, k=2)[0]
    assert passages[best].source.section == "Delivery times" and score > 0.5


def test_key_changes_with_documents_and_model(store: Path) -> None:
    passages = load_documents(store / "docs").passages
    key = index_key("m/one", passages)
    assert key == index_key("m/one", list(passages))
    assert key != index_key("m/two", passages)
    assert key != index_key("m/one", passages[:-1])


def test_missing_and_stale_indexes_say_what_to_run(
    store: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    passages = load_documents(store / "docs").passages
    with pytest.raises(IndexMissingError, match="make index"):
        open_index(tmp_path / "idx", index_key("m/one", passages))
    build_index(fake_encoder, passages, tmp_path / "idx" / index_key("m/one", passages))  # type: ignore[arg-type]
    with pytest.raises(IndexStaleError, match="make index"):
        open_index(tmp_path / "idx", index_key("m/one", passages[:1]))


def test_search_never_asks_for_more_than_it_has(
    store: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    passages = load_documents(store / "docs").passages
    index = build_index(fake_encoder, passages, tmp_path / "k")  # type: ignore[arg-type]
    rows = index.search(np.ones((1, fake_encoder.dim), np.float32), k=100)
    assert len(rows[0]) == len(passages)


def test_rebuild_encodes_only_changed_passages(
    store: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    passages = load_documents(store / "docs").passages
    first = build_index(fake_encoder, passages, tmp_path / "idx" / index_key("m/one", passages))  # type: ignore[arg-type]
    assert first.manifest["encoded"] == len(passages)
    changed = [*passages[:-1], replace(passages[-1], text="Shipping is free from 199.")]
    second = build_index(fake_encoder, changed, tmp_path / "idx" / index_key("m/one", changed))  # type: ignore[arg-type]
    assert second.manifest["encoded"] == 1
    assert np.allclose(second.faiss_index.reconstruct(0), first.faiss_index.reconstruct(0)), (
        "unchanged passages keep their vectors"
    )


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_index_types_find_the_nearest_vectors(kind: str) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = make_faiss(kind, vectors)
    _, ids = index.search(vectors[:50], 10)
    recall = np.mean([i in row for i, row in enumerate(ids)])
    assert recall >= (1.0 if kind == "flat" else 0.9)


def test_unknown_index_type_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="Valid index types are"):
        make_faiss("annoy", np.zeros((4, 8), np.float32))
