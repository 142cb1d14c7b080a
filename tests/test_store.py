"""Index storage: generations, atomic swap, incremental reuse, refusal of mismatched models.

These use the deterministic hashing embedder (storage logic, not model quality); the same paths
run with the real model in test_build.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder
from index.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError
from index.models import SearchFilters
from index.store import CURRENT_FILE, IndexStore

from .invariants import article_text
from .support import article, write_articles


def test_build_then_open_reads_back_articles_and_vectors(tmp_path: Path) -> None:
    corpus = write_articles(tmp_path / "c.jsonl", [article(i) for i in range(5)])
    store = IndexStore(tmp_path / "idx")
    embedder = HashingEmbedder()
    report = build_index(store, [corpus], embedder, BuildConfig())
    assert (report.articles, report.added, report.embedded_chunks) == (5, 5, report.chunks)

    loaded = store.open(model_id=embedder.model_id, dimension=embedder.dimension)
    assert loaded.manifest.articles == 5
    assert len(loaded.vectors) == report.chunks
    # FAISS top-1 for a chunk's own vector is that chunk (ids round-trip through SQLite).
    chunk = next(iter(loaded.db.all_chunks()))
    query = embedder.encode([chunk.embedding_text()])[0]
    best_id, best_score = loaded.vectors.search(query, 1)[0]
    assert best_id == chunk.id and best_score == pytest.approx(1.0, abs=1e-5)
    # Chunk text is the exact slice of the stored article text.
    text = article_text(loaded.db, chunk.article_id)
    assert text[chunk.start : chunk.end] == chunk.text


def test_dense_search_matches_numpy_brute_force(tmp_path: Path) -> None:
    corpus = write_articles(
        tmp_path / "c.jsonl",
        [article(i, f"Texte {i} sur le sujet {i % 3} et la région {i % 4}.") for i in range(30)],
    )
    store = IndexStore(tmp_path / "idx")
    embedder = HashingEmbedder()
    build_index(store, [corpus], embedder, BuildConfig())
    loaded = store.open()
    chunks = list(loaded.db.all_chunks())
    matrix = embedder.encode([c.embedding_text() for c in chunks])
    query = embedder.encode(["sujet 2 région 1"])[0]
    brute = np.argsort(-(matrix @ query), kind="stable")[:5]
    got = [cid for cid, _ in loaded.vectors.search(query, 5)]
    expected_scores = sorted((matrix @ query)[brute], reverse=True)
    got_scores = [s for _, s in loaded.vectors.search(query, 5)]
    assert got_scores == pytest.approx(expected_scores, abs=1e-5)
    assert set(got) <= {c.id for c in chunks}


def test_update_embeds_only_new_or_changed_articles(tmp_path: Path) -> None:
    corpus = write_articles(tmp_path / "c.jsonl", [article(i) for i in range(4)])
    store = IndexStore(tmp_path / "idx")
    embedder = HashingEmbedder()
    first = build_index(store, [corpus], embedder, BuildConfig())

    more = write_articles(tmp_path / "more.jsonl", [article(10), article(2, "Texte réécrit.")])
    second = build_index(store, [more], embedder, BuildConfig(), mode="update")
    assert (second.added, second.updated, second.removed) == (1, 1, 0)
    assert second.articles == 5
    changed_chunks = second.chunks - first.chunks + 1  # article 2 shrank to one chunk
    assert second.embedded_chunks == second.chunks - second.reused_chunks
    assert second.embedded_chunks <= changed_chunks + 1
    assert second.reused_chunks == first.chunks - 1  # all of 0,1,3 reused; a2's old chunk dropped

    again = build_index(store, [corpus], embedder, BuildConfig())
    assert again.embedded_chunks == 1  # only article 2's original text comes back


def test_update_prune_removes_articles_whose_file_disappeared(tmp_path: Path) -> None:
    keep = write_articles(tmp_path / "keep.jsonl", [article(1)])
    gone = write_articles(tmp_path / "gone.jsonl", [article(2)])
    store = IndexStore(tmp_path / "idx")
    embedder = HashingEmbedder()
    build_index(store, [keep, gone], embedder, BuildConfig())
    gone.unlink()
    report = build_index(store, [keep], embedder, BuildConfig(), mode="update", prune=True)
    assert report.removed == 1 and report.articles == 1
    without_prune = build_index(store, [keep], embedder, BuildConfig(), mode="update")
    assert without_prune.removed == 0


def test_open_refuses_index_built_with_another_model(tmp_path: Path) -> None:
    corpus = write_articles(tmp_path / "c.jsonl", [article(1)])
    store = IndexStore(tmp_path / "idx")
    build_index(store, [corpus], HashingEmbedder(64, "test/a"), BuildConfig())
    with pytest.raises(IndexMismatchError, match=r"built with test/a .*newsbot index build"):
        store.open(model_id="test/b", dimension=64)
    with pytest.raises(IndexMismatchError, match="128 dims"):
        store.open(model_id="test/a", dimension=128)
    with pytest.raises(IndexMismatchError, match="cannot update"):
        build_index(store, [corpus], HashingEmbedder(64, "test/b"), BuildConfig(), mode="update")
    # A full build with the new model is the documented way out.
    report = build_index(store, [corpus], HashingEmbedder(64, "test/b"), BuildConfig())
    assert report.reused_chunks == 0
    assert store.open(model_id="test/b", dimension=64).manifest.model_id == "test/b"


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="newsbot index build"):
        IndexStore(tmp_path / "nothing").open()


def test_second_build_while_one_holds_the_lock_is_refused(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    corpus = write_articles(tmp_path / "c.jsonl", [article(1)])
    with store.lock(), pytest.raises(IndexBusyError, match="another build"):
        build_index(store, [corpus], HashingEmbedder(), BuildConfig())


def test_failed_build_leaves_previous_generation_live(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    corpus = write_articles(tmp_path / "c.jsonl", [article(1), article(2)])
    build_index(store, [corpus], HashingEmbedder(), BuildConfig())
    before = (store.root / CURRENT_FILE).read_text()

    class Exploding(HashingEmbedder):
        def encode(self, texts, *, batch_size=32):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full")

    changed = write_articles(tmp_path / "c2.jsonl", [article(3)])
    with pytest.raises(RuntimeError):
        build_index(store, [changed], Exploding(), BuildConfig())
    assert (store.root / CURRENT_FILE).read_text() == before
    assert store.open().manifest.articles == 2
    # The next build cleans the crashed build's temporary directory.
    build_index(store, [corpus], HashingEmbedder(), BuildConfig())
    assert not list(store.root.glob(".tmp-gen-*"))


def test_filters_select_by_partial_dates_and_outlet(tmp_path: Path) -> None:
    corpus = write_articles(
        tmp_path / "c.jsonl",
        [
            article(1, date="2022-12-30", source="APA"),
            article(2, date="2023-02-06", source="AFP"),
            article(3, date="2023-03", source="apa"),
            article(4),  # undated
        ],
    )
    store = IndexStore(tmp_path / "idx")
    build_index(store, [corpus], HashingEmbedder(), BuildConfig())
    db = store.open().db

    def articles_for(filters: SearchFilters) -> set[str]:
        return {c.article_id for c in db.chunks(db.chunk_ids_matching(filters)).values()}

    assert articles_for(SearchFilters(since="2023-02")) == {"a2", "a3"}
    assert articles_for(SearchFilters(until="2023-02")) == {"a1", "a2"}
    assert articles_for(SearchFilters(since="2023", until="2023-02-28")) == {"a2"}
    assert articles_for(SearchFilters(sources=("APA",))) == {"a1", "a3"}
    assert articles_for(SearchFilters()) == {"a1", "a2", "a3", "a4"}
