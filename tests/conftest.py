"""Shared fixtures: the real model once per session, indexes in per-test directories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer.service import AnswerOptions, AnswerService
from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder, SentenceTransformerEmbedder
from index.store import IndexStore

from .support import RANKING_DIR, SAMPLE_DIR

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """NEWSBOT_MODEL_CACHE_DIR for every test: the model is exported to ONNX once per session."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_cache_dir: Path
) -> Iterator[None]:
    """Each test runs with no NEWSBOT_ variables and no .env from the developer's checkout."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSBOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSBOT_MODEL_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("NEWSBOT_FEEDBACK_DB", str(tmp_path / "feedback.sqlite3"))
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The real all-MiniLM-L6-v2, loaded once (about 5 s)."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def sample_index_dir(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Path:
    """A real index over the bundled sample article. Tests must not modify it."""
    root = tmp_path_factory.mktemp("sample-index")
    build_index(IndexStore(root), [SAMPLE_DIR], real_embedder, BuildConfig())
    return root


@pytest.fixture(scope="session")
def answer_service(
    sample_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> AnswerService:
    """The answering service over the sample index, with default options. Read-only use."""
    return AnswerService(IndexStore(sample_index_dir), real_embedder, AnswerOptions())


@pytest.fixture(scope="session")
def ranking_index_dir(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Path:
    """A real index over the ranking fixture corpus (38 short articles). Read-only use."""
    root = tmp_path_factory.mktemp("ranking-index")
    build_index(IndexStore(root), [RANKING_DIR / "articles.jsonl"], real_embedder, BuildConfig())
    return root


@pytest.fixture(scope="session")
def ranking_service(
    ranking_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> AnswerService:
    """The answering service over the ranking fixture index, default options. Read-only use."""
    return AnswerService(IndexStore(ranking_index_dir), real_embedder, AnswerOptions())
