"""NEWSBOT_BUILD_PROCESSES: a build shared with worker processes gives the vectors one process
gives, and a worker that fails costs speed, never vectors."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from bot.progress import describe_report
from bot.runtime import make_build_config
from bot.settings import load_settings
from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder, ModelRecipe, SentenceTransformerEmbedder
from index.embedding_pool import encoding_pool
from index.errors import SettingsError
from index.store import IndexStore

from .support import RANKING_DIR

TEXTS = [
    "Le président a expulsé l'ambassadeur de France après des mois de tension.",
    "Bamako accuse Paris d'ingérence dans les affaires intérieures du Mali.",
    "La CEDEAO a levé les sanctions économiques imposées au Mali.",
    "Sergueï Lavrov est arrivé à Bamako pour une visite de deux jours.",
    "Les élections sont reportées à février 2024, selon le gouvernement de transition.",
]


def _stored_vectors(index_dir: Path) -> dict[int, np.ndarray]:
    loaded = IndexStore(index_dir).open()
    try:
        return {c.id: loaded.vectors.reconstruct(c.id) for c in loaded.db.all_chunks()}
    finally:
        loaded.close()


def test_two_processes_build_the_vectors_one_process_builds(
    tmp_path: Path, ranking_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    store = IndexStore(tmp_path / "index")
    config = BuildConfig(batch_size=8, processes=2)  # several model batches for the worker
    report = build_index(store, [RANKING_DIR / "articles.jsonl"], real_embedder, config)

    assert report.embed_processes == 2
    assert "chunks/s (2 processes)" in describe_report(report)
    assert report.worker_peak_rss_mb > 100  # a second copy of the model did the work
    assert not multiprocessing.active_children()  # the worker left with the build
    alone, shared = _stored_vectors(ranking_index_dir), _stored_vectors(store.root)
    assert alone.keys() == shared.keys()
    cosines = np.array([float(alone[chunk] @ shared[chunk]) for chunk in alone])
    assert cosines.min() >= 0.995  # bfloat16 batches of other sizes differ in their last bits


def test_a_worker_that_cannot_start_loses_no_vectors(
    real_embedder: SentenceTransformerEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    broken = ModelRecipe("/nonexistent/model", "cpu", "float32")
    with caplog.at_level(logging.WARNING), encoding_pool(real_embedder, 2, broken) as pool:
        vectors = pool.encode(TEXTS, batch_size=2)
        again = pool.encode(TEXTS, batch_size=2)  # the broken pool is not retried
    assert pool.worker_batches == 0
    assert "build worker failed" in caplog.text
    expected = real_embedder.encode(TEXTS, batch_size=2)
    assert vectors.shape == again.shape == (len(TEXTS), real_embedder.dimension)
    assert np.min(np.sum(vectors * expected, axis=1)) >= 0.995


def test_a_single_batch_or_a_model_without_torch_stays_in_this_process(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    with encoding_pool(real_embedder, 2) as pool:  # one batch: not worth starting PyTorch twice
        pool.encode(TEXTS, batch_size=8)
        assert pool.workers == 1 and not multiprocessing.active_children()
    with encoding_pool(HashingEmbedder(), 2) as pool:  # no recipe: nothing to load elsewhere
        vectors = pool.encode(TEXTS, batch_size=1)
        assert pool.workers == 0 and not multiprocessing.active_children()
    assert np.array_equal(vectors, HashingEmbedder().encode(TEXTS))


def test_the_setting_reaches_the_build_and_rejects_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_BUILD_PROCESSES", "2")
    assert make_build_config(load_settings()).processes == 2
    monkeypatch.setenv("NEWSBOT_BUILD_PROCESSES", "0")
    with pytest.raises(SettingsError, match="NEWSBOT_BUILD_PROCESSES"):
        load_settings()
