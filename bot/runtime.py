"""The composition root: turns Settings into the services every front end shares.

Front ends (console, Discord, eval) call these factories once at start-up and pass the results
down; nothing below this module reads settings or the environment.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from index.embedding import Embedder, SentenceTransformerEmbedder
from index.errors import SettingsError
from index.store import IndexStore, Manifest

if TYPE_CHECKING:  # the builder's imports are not needed to answer: `ask` starts faster
    from bot.answer.service import AnswerService
    from index.builder import BuildConfig
    from index.milvus_backend import MilvusBackend

log = logging.getLogger(__name__)
#: Retrieved once when a service starts, so the first user's question is as fast as the tenth.
WARM_UP_QUESTION = "Qui a gagné ?"
#: Allocations between two young-generation garbage collections in an answering process.
#: The reader makes tens of thousands of short-lived sets and spans per question, all freed by
#: reference counting; at Python's default (700) the cycle collector still ran dozens of times
#: a question and took 2.7 ms of a 35 ms news answer (0.4 ms at this value; ad hoc, news-dev
#: over masakhanews, this AVX2 machine). Cycles are still collected, only less often.
YOUNG_COLLECTION_THRESHOLD = 20_000


def make_embedder(settings: Settings) -> Embedder:
    """Load the configured model for indexing (seconds). Raises EmbeddingModelError.

    Also exports the model to ONNX once (torch is loaded by now), so that questions can be
    encoded later without torch. Precision int8 runs the build itself on ONNX Runtime.
    """
    if settings.embedding_precision == "int8":
        from index.onnx_encoder import OnnxUnavailableError, load_onnx_embedder

        try:
            return load_onnx_embedder(
                settings.embedding_model,
                cache_dir=settings.model_cache_dir,
                threads=settings.torch_threads,
                precision="int8",
            )
        except OnnxUnavailableError as exc:
            log.warning("int8 needs the ONNX model; embedding with torch instead: %s", exc)
    precision = settings.embedding_precision
    embedder = SentenceTransformerEmbedder(
        settings.embedding_model,
        device=settings.device,
        precision="auto" if precision == "int8" else precision,
        threads=settings.torch_threads,
        graph=settings.embedding_graph,
    )
    from index.embedding import resolve_model
    from index.onnx_encoder import OnnxUnavailableError, ensure_onnx

    load_from, model_id = resolve_model(settings.embedding_model)
    try:
        ensure_onnx(Path(load_from), model_id, settings.model_cache_dir)
    except OnnxUnavailableError as exc:
        log.info("no ONNX copy of the model (questions will load torch): %s", exc)
    return embedder


def make_question_embedder(settings: Settings, *, index_precision: str = "") -> Embedder:
    """The encoder for questions: the model on ONNX Runtime (no torch import, ~0.2 s to load),
    or sentence-transformers with a log line when the model cannot run there.

    ``index_precision`` is the index's (its manifest): an int8 index gets int8 questions.
    """
    if settings.device != "cpu":
        return make_embedder(settings)
    from index.onnx_encoder import question_embedder

    fallback = settings
    if settings.embedding_precision == "int8":  # torch cannot run the int8 graph
        fallback = settings.model_copy(update={"embedding_precision": "auto"})
    return question_embedder(
        settings.embedding_model,
        cache_dir=settings.model_cache_dir,
        threads=settings.torch_threads,
        fallback=lambda: make_embedder(fallback),
        precision="int8" if index_precision == "int8" else "float32",
    )


def make_build_config(settings: Settings) -> BuildConfig:
    from index.builder import BuildConfig
    from index.chunking import ChunkingConfig

    return BuildConfig(
        chunking=ChunkingConfig(
            max_words=settings.chunk_size, overlap_words=settings.chunk_overlap
        ),
        batch_size=settings.batch_size,
        field_map=dict(settings.jsonl_field_map),
        max_article_chars=settings.max_article_chars,
        vector_index=settings.vector_index,
        embed_text=settings.embed_text,
        processes=settings.build_processes,
    )


def make_store(settings: Settings, index_dir: Path | None = None) -> IndexStore:
    root = index_dir or settings.index_dir
    return IndexStore(root, backend=make_backend(settings, root))


def make_backend(settings: Settings, root: Path) -> MilvusBackend | None:
    """None for FAISS (the default); the Milvus backend of NEWSBOT_BACKEND=milvus."""
    if settings.backend != "milvus":
        return None
    from index.milvus_backend import LITE_FILE, MilvusBackend, MilvusConfig, milvus_available

    if not milvus_available():
        raise SettingsError(
            "NEWSBOT_BACKEND=milvus needs the milvus extra: pip install 'newsbot[milvus]'"
        )
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else None
    uri = settings.milvus_uri or str(root.resolve() / LITE_FILE)
    return MilvusBackend(MilvusConfig(uri, token, settings.milvus_collection), root)


def make_answer_service(
    settings: Settings, embedder: Embedder | None = None, *, warm: bool = True
) -> AnswerService:
    """Open the index for answering (raises IndexNotFoundError / IndexMismatchError).

    ``warm`` runs one retrieval first: model, index and language data load lazily, and the
    first real question should not pay for that.
    """
    from bot.answer.service import AnswerOptions, AnswerService
    from index.language import use_model_cache

    use_model_cache(settings.model_cache_dir)

    options = AnswerOptions(
        top_k=settings.top_k,
        candidates=settings.candidates,
        abstain_threshold=settings.abstain_threshold,
    )
    store = make_store(settings)
    if embedder is None:
        current = store.current()
        precision = Manifest.read(current).precision if current is not None else ""
        embedder = make_question_embedder(settings, index_precision=precision)
    service = AnswerService(store, embedder, options)
    young, *older = gc.get_threshold()
    if young < YOUNG_COLLECTION_THRESHOLD:  # the process answers from now on
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *older)
    if warm:  # language model, encoder session, FAISS and BM25 pages: all loaded lazily
        retriever = service.retriever
        retriever.search(retriever.prepare(WARM_UP_QUESTION), k=options.top_k)
    return service
