"""The vector store and the BM25 index on their own, against brute-force references.

Real FAISS and real bm25s files; the references are a numpy matrix product and BM25 written
out by hand, so a wrong id mapping, filter or removal shows up as a different ranking.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.lexical import BM25Index
from index.vectors import FaissVectorStore

DIM = 16


def unit_rows(n: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def filled() -> tuple[FaissVectorStore, np.ndarray, np.ndarray]:
    """200 random unit vectors under large, scattered ids (not row numbers)."""
    vectors = unit_rows(200, seed=1)
    ids = np.random.default_rng(2).choice(10**12, size=200, replace=False).astype(np.int64)
    store = FaissVectorStore.create(DIM)
    store.add(vectors, ids)
    return store, vectors, ids


def brute_top(
    vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int, keep: np.ndarray | None = None
) -> list[tuple[int, float]]:
    scores = vectors @ query
    rows = np.arange(len(ids)) if keep is None else np.flatnonzero(np.isin(ids, keep))
    best = rows[np.argsort(-scores[rows])[:k]]
    return [(int(ids[r]), float(scores[r])) for r in best]


def assert_same_ranking(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)


def test_top_k_matches_numpy_brute_force(
    filled: tuple[FaissVectorStore, np.ndarray, np.ndarray],
) -> None:
    store, vectors, ids = filled
    for query in unit_rows(5, seed=3):
        assert_same_ranking(store.search(query, 10), brute_top(vectors, ids, query, 10))


def test_top_k_with_id_filter_searches_only_allowed_ids(
    filled: tuple[FaissVectorStore, np.ndarray, np.ndarray],
) -> None:
    store, vectors, ids = filled
    allowed = np.sort(ids[::7])
    query = unit_rows(1, seed=4)[0]
    got = store.search(query, 10, allowed=allowed)
    assert_same_ranking(got, brute_top(vectors, ids, query, 10, keep=allowed))
    # k above the allowed count returns every allowed id, and nothing else
    everything = store.search(query, 1000, allowed=allowed)
    assert sorted(i for i, _ in everything) == sorted(allowed.tolist())
    assert store.search(query, 5, allowed=np.zeros(0, dtype=np.int64)) == []


def test_remove_drops_ids_from_search_and_storage(
    filled: tuple[FaissVectorStore, np.ndarray, np.ndarray],
) -> None:
    store, vectors, ids = filled
    query = unit_rows(1, seed=5)[0]
    gone = [i for i, _ in store.search(query, 3)]
    assert store.remove([*gone, 12345]) == 3  # an unknown id is ignored
    assert len(store) == 197
    keep = np.array([i for i in ids if i not in gone], dtype=np.int64)
    assert_same_ranking(store.search(query, 10), brute_top(vectors, ids, query, 10, keep=keep))
    with pytest.raises(KeyError):
        store.reconstruct(gone[0])
    assert set(store.ids().tolist()) == set(keep.tolist())


def test_reconstruct_returns_the_stored_vectors(
    filled: tuple[FaissVectorStore, np.ndarray, np.ndarray],
) -> None:
    store, vectors, ids = filled
    np.testing.assert_array_equal(store.reconstruct(int(ids[42])), vectors[42])
    picked = [int(ids[9]), int(ids[3]), int(ids[150])]
    np.testing.assert_array_equal(store.reconstruct_many(picked), vectors[[9, 3, 150]])
    assert store.reconstruct_many([]).shape == (0, DIM)
    with pytest.raises(KeyError):
        store.reconstruct(7)


def test_save_load_round_trip_keeps_ids_vectors_and_ranking(
    tmp_path: Path, filled: tuple[FaissVectorStore, np.ndarray, np.ndarray]
) -> None:
    store, vectors, ids = filled
    store.save(tmp_path)
    loaded = FaissVectorStore.load(tmp_path)
    assert (len(loaded), loaded.dimension) == (200, DIM)
    got_ids, got_vectors = loaded.matrix()
    np.testing.assert_array_equal(got_ids, ids)  # storage order is insertion order
    np.testing.assert_array_equal(got_vectors, vectors)
    query = unit_rows(1, seed=6)[0]
    assert_same_ranking(loaded.search(query, 10), brute_top(vectors, ids, query, 10))


def test_empty_store_searches_and_saves(tmp_path: Path) -> None:
    store = FaissVectorStore.create(DIM)
    store.add(np.zeros((0, DIM), dtype=np.float32), [])
    assert store.search(unit_rows(1, seed=7)[0], 5) == []
    store.save(tmp_path)
    ids, matrix = FaissVectorStore.load(tmp_path).matrix()
    assert ids.shape == (0,) and matrix.shape == (0, DIM)
    with pytest.raises(ValueError, match="2 vectors but 1 ids"):
        store.add(unit_rows(2, seed=8), [1])


# --- BM25 ---------------------------------------------------------------------------------------

TEXTS = [
    "Le ministre malien reçoit son homologue russe à Bamako.",
    "Bamako : le ministre annonce un budget, le budget est voté.",
    "La visite du ministre russe à Nouakchott est reportée.",
    "Un match de football à Dakar, le stade est plein.",
    "Le budget de la ville de Dakar pour le football.",
    "Nouakchott, Bamako et Dakar : trois capitales du Sahel.",
]
IDS = [101, 202, 303, 404, 505, 606]


def reference_bm25(corpus: list[list[str]], query: list[str]) -> list[float]:
    """BM25 as bm25s computes it by default (Lucene idf, k1=1.5, b=0.75), by hand."""
    k1, b = 1.5, 0.75
    average = sum(map(len, corpus)) / len(corpus)
    df = Counter(t for doc in corpus for t in set(doc))
    scores = []
    for doc in corpus:
        tf = Counter(doc)
        total = 0.0
        for term in query:
            if tf[term]:
                idf = math.log(1 + (len(corpus) - df[term] + 0.5) / (df[term] + 0.5))
                total += idf * tf[term] / (tf[term] + k1 * (1 - b + b * len(doc) / average))
        scores.append(total)
    return scores


def test_bm25_scores_once_and_answers_top_k_and_arbitrary_ids_alike(tmp_path: Path) -> None:
    BM25Index.build(TEXTS, IDS, "fr").save(tmp_path)
    index = BM25Index.load(tmp_path)
    question = index.tokenize("Le budget du ministre à Bamako")
    expected = reference_bm25([index.tokenize(t) for t in TEXTS], question)

    scores = index.score(question)
    assert scores.of(IDS) == pytest.approx(expected, rel=1e-5)
    # arbitrary ids, in any order, unknown ones scoring 0, read from the same scoring
    assert scores.of([505, 999, 101]) == pytest.approx([expected[4], 0.0, expected[0]], rel=1e-5)
    top = scores.top(3)
    by_score = sorted(zip(IDS, expected, strict=True), key=lambda p: -p[1])[:3]
    assert [i for i, _ in top] == [i for i, _ in by_score]
    assert [s for _, s in top] == scores.of([i for i, _ in top])
    # the filter keeps the same scores, only the allowed ids compete
    allowed = np.array([303, 505, 606], dtype=np.int64)
    assert [i for i, s in scores.top(5, allowed=allowed)] == [
        i for i, s in sorted(zip(IDS, expected, strict=True), key=lambda p: -p[1])
        if i in allowed and s > 0
    ]  # fmt: skip


def test_bm25_question_without_known_terms_scores_nothing() -> None:
    index = BM25Index.build(TEXTS, IDS, "fr")
    scores = index.score(index.tokenize("tartiflette savoyarde"))
    assert scores.top(5) == [] and scores.of([101, 202]) == [0.0, 0.0]
    weights = index.term_weights(index.tokenize("tartiflette Bamako"))
    assert weights[index.tokenize("tartiflette")[0]] > weights[index.tokenize("Bamako")[0]]
