"""The composition root: turns Settings into the services every front end shares.

Front ends (console, Discord, eval) call these factories once at start-up and pass the results
down; nothing below this module reads settings or the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from index.builder import BuildConfig
from index.chunking import ChunkingConfig
from index.embedding import Embedder, SentenceTransformerEmbedder
from index.store import IndexStore

if TYPE_CHECKING:
    from bot.answer.service import AnswerService


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """Load the configured model (seconds: imports torch). Raises EmbeddingModelError."""
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        device=settings.device,
        precision=settings.embedding_precision,
        threads=settings.torch_threads,
    )


def make_question_embedder(settings: Settings) -> Embedder:
    """The encoder for questions: the model on ONNX Runtime (no torch import, ~0.2 s to load),
    or sentence-transformers with a log line when the model cannot run there."""
    if settings.device != "cpu":
        return make_embedder(settings)
    from index.onnx_encoder import question_embedder

    return question_embedder(
        settings.embedding_model,
        cache_dir=settings.model_cache_dir,
        threads=settings.torch_threads,
        fallback=lambda: make_embedder(settings),
    )


def make_build_config(settings: Settings) -> BuildConfig:
    return BuildConfig(
        chunking=ChunkingConfig(
            max_words=settings.chunk_size, overlap_words=settings.chunk_overlap
        ),
        batch_size=settings.batch_size,
        field_map=dict(settings.jsonl_field_map),
        max_article_chars=settings.max_article_chars,
    )


def make_store(settings: Settings, index_dir: Path | None = None) -> IndexStore:
    return IndexStore(index_dir or settings.index_dir)


def make_answer_service(settings: Settings, embedder: Embedder | None = None) -> AnswerService:
    """Open the index for answering (raises IndexNotFoundError / IndexMismatchError)."""
    from bot.answer.service import AnswerOptions, AnswerService

    options = AnswerOptions(
        top_k=settings.top_k,
        candidates=settings.candidates,
        abstain_threshold=settings.abstain_threshold,
    )
    return AnswerService(
        make_store(settings), embedder or make_question_embedder(settings), options
    )
