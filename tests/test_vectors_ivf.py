"""The large-index vector store finds what exact search finds, with exact scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.embedding import SentenceTransformerEmbedder
from index.store import IndexStore
from index.vectors import FaissVectorStore
from index.vectors_ivf import IvfVectorStore

from .support import RANKING_DIR

CHUNKS = 20_000
K = 10
#: The recall the option is stated to keep against exact search (README, benchmarks).
STATED_RECALL_AT_10 = 0.95


@pytest.fixture(scope="module")
def real_vectors(
    ranking_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, vectors, questions): the ranking index's real chunk vectors, padded to CHUNKS with
    mixtures of two real vectors plus noise, and the real vectors of its 107 questions."""
    loaded = IndexStore(ranking_index_dir).open()
    _, real = loaded.vectors.matrix()
    loaded.close()
    rng = np.random.default_rng(7)
    a = real[rng.integers(len(real), size=CHUNKS - len(real))]
    b = real[rng.integers(len(real), size=CHUNKS - len(real))]
    w = rng.uniform(0.5, 1.0, size=(len(a), 1)).astype(np.float32)
    mixed = w * a + (1 - w) * b + rng.normal(0, 0.03, size=a.shape).astype(np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    vectors = np.concatenate([real, mixed]).astype(np.float32)
    ids = rng.permutation(CHUNKS).astype(np.int64) * 13 + 5
    lines = (RANKING_DIR / "questions.jsonl").read_text("utf-8").splitlines()
    questions = real_embedder.encode([json.loads(line)["question"] for line in lines if line])
    return ids, vectors, questions


def _stores(ids: np.ndarray, vectors: np.ndarray) -> tuple[FaissVectorStore, IvfVectorStore]:
    exact = FaissVectorStore.create(vectors.shape[1])
    exact.add(vectors, ids)
    approximate = IvfVectorStore.create(vectors.shape[1])
    approximate.add(vectors, ids)
    return exact, approximate


def test_ivf_finds_the_exact_top_results_with_exact_scores(
    real_vectors: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    ids, vectors, questions = real_vectors
    exact, built = _stores(ids, vectors)
    built.save(tmp_path)
    store = IvfVectorStore.load(tmp_path)
    recalls, first_same = [], 0
    by_id = dict(zip(ids.tolist(), vectors, strict=True))
    for q in questions:
        truth = exact.search(q, K)
        found = store.search(q, K)
        recalls.append(len({i for i, _ in truth} & {i for i, _ in found}) / K)
        first_same += found[0][0] == truth[0][0]
        for cid, score in found:  # re-scored exactly: the true cosine, not the 8-bit estimate
            assert score == pytest.approx(float(by_id[cid] @ q), abs=1e-5)
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert np.mean(recalls) >= STATED_RECALL_AT_10
    assert first_same / len(questions) >= 0.98


def test_ivf_filters_and_lookups_match_exact_search(
    real_vectors: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    ids, vectors, questions = real_vectors
    exact, store = _stores(ids, vectors)
    few = np.sort(ids[::400])  # a narrow filter is scored exactly
    for q in questions[:10]:
        found, truth = store.search(q, K, allowed=few), exact.search(q, K, allowed=few)
        assert [i for i, _ in found] == [i for i, _ in truth]
        assert [s for _, s in found] == pytest.approx([s for _, s in truth], abs=1e-5)
    wide = np.sort(ids[: CHUNKS // 2 + 5000])  # a wide one goes through the IVF, restricted
    hits = store.search(questions[0], 50, allowed=wide)
    assert len(hits) == 50 and set(np.isin([i for i, _ in hits], wide)) == {True}
    assert np.array_equal(store.reconstruct(int(ids[3])), vectors[3])
    assert np.array_equal(store.reconstruct_many([int(ids[9]), int(ids[2])]), vectors[[9, 2]])
    with pytest.raises(KeyError):
        store.reconstruct(-1)
    assert store.remove([int(ids[0]), -1]) == 1 and len(store) == CHUNKS - 1
    assert int(ids[0]) not in {i for i, _ in store.search(vectors[0], K)}


def test_the_vector_index_setting_picks_the_store_and_builds_answer_alike(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    from index.builder import BuildConfig, build_index
    from index.retrieval import Retriever
    from index.vectors_ivf import AUTO_IVF_CHUNKS, create_vector_store

    assert isinstance(create_vector_store(8, AUTO_IVF_CHUNKS - 1), FaissVectorStore)
    assert isinstance(create_vector_store(8, AUTO_IVF_CHUNKS), IvfVectorStore)
    assert isinstance(create_vector_store(8, 10**7, "exact"), FaissVectorStore)
    corpus = [RANKING_DIR / "articles.jsonl"]
    exact_store, ivf_store = IndexStore(tmp_path / "exact"), IndexStore(tmp_path / "ivf")
    build_index(exact_store, corpus, real_embedder, BuildConfig(vector_index="exact"))
    build_index(ivf_store, corpus, real_embedder, BuildConfig(vector_index="ivf"))
    # An update reuses the stored vectors of unchanged chunks, whichever store holds them.
    report = build_index(ivf_store, corpus, real_embedder, BuildConfig(vector_index="ivf"))
    assert report.embedded_chunks == 0
    exact, ivf = exact_store.open(), ivf_store.open()
    assert isinstance(ivf.vectors, IvfVectorStore) and isinstance(exact.vectors, FaissVectorStore)
    lines = (RANKING_DIR / "questions.jsonl").read_text("utf-8").splitlines()
    for line in lines[:20]:
        question = json.loads(line)["question"]
        ranked = [
            [hit.chunk.id for hit in r.search(r.prepare(question), k=5)]
            for r in (Retriever(exact, real_embedder), Retriever(ivf, real_embedder))
        ]
        assert ranked[0] == ranked[1]
