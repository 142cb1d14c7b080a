"""Files → a new index generation: read, chunk, embed what is new, write, swap.

Full builds and incremental updates share one path: both produce a complete new generation.
Chunk ids derive from content, so any chunk whose vector already exists in the live generation
(same model) is copied instead of re-embedded: re-indexing unchanged articles costs no model time.
An unchanged article also keeps its stored chunks when the live generation cut them the way this
build would (``ChunkingConfig.record``), so an update does not chunk the whole index again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.chunking import ChunkingConfig, chunk_articles
from index.cleaning import CleaningReport, clean_articles
from index.corpus import DEFAULT_MAX_ARTICLE_CHARS, read_corpus
from index.embed_text import EmbedText, model_text
from index.embedding import Embedder
from index.embedding_pool import encoding_pool
from index.errors import IndexMismatchError
from index.language import detect_language
from index.lexical import BM25Index
from index.metadb import DB_FILE, MetaDB, StoredArticle
from index.milvus_backend import previous_vectors
from index.models import Article, Chunk, LoadReport, SkippedInput
from index.store import (
    LEXICAL_DIR,
    MANIFEST_FILE,
    IndexStore,
    Manifest,
    check_compatible,
    rebuild_hint,
)
from index.vectors_ivf import VectorIndexKind, create_vector_store

if TYPE_CHECKING:
    from numpy.typing import NDArray

Mode = Literal["build", "update"]
EMBED_BATCH_CHUNKS = 256  # progress granularity; the model batches inside it
#: Articles chunked together, their tokens counted in one tokenizer call (index.chunking). The
#: tokenizer's buffers for 200 articles left a build's memory 45 MB higher; 50 leaves it as counting
#: text by text did, and still chunks in 0.6x its time (2,000 OrangeSum articles; ad hoc).
CHUNK_GROUP_ARTICLES = 50


@dataclass(frozen=True)
class BuildConfig:
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    batch_size: int = 32
    field_map: dict[str, str] = field(default_factory=dict)
    max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS  # longer articles are skipped
    vector_index: VectorIndexKind = "auto"  # exact, or IVF from AUTO_IVF_CHUNKS chunks
    embed_text: EmbedText = "full"  # what the model reads of a French chunk (index.embed_text)
    processes: int = 1  # processes embedding at once (index.embedding_pool)


@dataclass(frozen=True)
class BuildProgress:
    """A snapshot for progress displays (terminal bar, Discord message)."""

    phase: str  # "reading", "chunking", "embedding", "writing"
    done: int
    total: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None


ProgressCallback = Callable[[BuildProgress], None]


@dataclass
class BuildReport:
    mode: Mode
    index_dir: Path
    articles: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0
    duplicates: int = 0
    skipped: list[SkippedInput] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    embed_processes: int = 1  # processes that embedded batches (1 when workers were not needed)
    worker_peak_rss_mb: float = 0.0  # summed over the embedding workers (their own processes)
    cleaning: CleaningReport = field(default_factory=CleaningReport)

    @property
    def articles_per_second(self) -> float:
        return (self.added + self.updated) / self.seconds if self.seconds else 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.embedded_chunks / self.seconds if self.seconds else 0.0


@dataclass
class _Previous:
    """The live generation, as far as a new build can reuse it."""

    articles: dict[str, StoredArticle]
    vectors: dict[int, int]  # chunk id → row in ``matrix``
    matrix: NDArray[np.float32]
    same_cuts: bool  # its chunks were cut as this build cuts them (the same chunking record)

    def kept_chunks(self, articles: Sequence[Article]) -> dict[str, tuple[str, list[Chunk]]]:
        """Language and chunks of each of ``articles`` that is stored unchanged: chunking it
        again would give the same (on a 140k-chunk index, re-chunking took 53 s of an 83 s update
        that added 5 articles)."""
        if not self.same_cuts:
            return {}
        kept: dict[str, tuple[str, list[Chunk]]] = {}
        for article in articles:
            stored = self.articles.get(article.id)
            if (
                stored is None
                or not stored.language
                or not stored.chunk_ids
                or stored.content_hash != article.content_hash
            ):
                continue
            kept[article.id] = (stored.language, _chunks_at(article, stored))
        return kept


def _chunks_at(article: Article, stored: StoredArticle) -> list[Chunk]:
    """``stored``'s chunks, their text read from ``article`` (the same text: equal hashes)."""
    text, title = article.text, article.title
    return [
        Chunk(
            id=cid, article_id=article.id, text=text[start:end], start=start, end=end, title=title
        )
        for cid, (start, end) in zip(stored.chunk_ids, stored.spans, strict=True)
    ]


def build_index(
    store: IndexStore,
    paths: Sequence[Path],
    embedder: Embedder,
    config: BuildConfig,
    *,
    mode: Mode = "build",
    prune: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build (exactly ``paths``) or update (the live index plus ``paths``) a new generation."""
    started = time.perf_counter()
    report = BuildReport(mode=mode, index_dir=store.root)
    notify = _Notifier(progress, started)
    chunking = _chunking_for(config.chunking, embedder)
    with store.lock():
        previous = _load_previous(store, embedder, mode, config.embed_text, chunking)
        load = LoadReport()
        notify("reading", 0, 0)
        read = list(
            read_corpus(
                paths,
                field_map=config.field_map,
                report=load,
                max_article_chars=config.max_article_chars,
            )
        )
        report.skipped, report.duplicates = load.skipped, load.duplicates
        read = clean_articles(read, report.cleaning)  # navigation/credits never quotable
        final = _final_articles(read, previous, mode, prune, report)
        kept = previous.kept_chunks(final) if previous else {}
        chunked = _chunk_all(final, kept, embedder, chunking, notify)
        vectors = _vectors_for(chunked, previous, embedder, config, report, notify)
        notify("writing", 0, 1)
        _write_generation(
            store, chunked, vectors, embedder, config, chunking, started, mode, report.cleaning
        )
    report.articles = len(chunked)
    report.chunks = sum(len(chunks) for _, _, chunks in chunked)
    report.seconds = time.perf_counter() - started
    return report


class _Notifier:
    def __init__(self, callback: ProgressCallback | None, started: float) -> None:
        self.callback = callback
        self.started = started
        self.phase_started = started

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.callback is None:
            return
        now = time.perf_counter()
        if done == 0:
            self.phase_started = now
        self.callback(BuildProgress(phase, done, total, now - self.phase_started))


def _chunking_for(config: ChunkingConfig, embedder: Embedder) -> ChunkingConfig:
    """``config`` within the model's window: no chunk longer than the model reads."""
    if embedder.max_tokens and (
        config.max_tokens is None or config.max_tokens > embedder.max_tokens
    ):
        return ChunkingConfig(config.max_words, config.overlap_words, embedder.max_tokens)
    return config


def _load_previous(
    store: IndexStore,
    embedder: Embedder,
    mode: Mode,
    embed_text: EmbedText,
    chunking: ChunkingConfig,
) -> _Previous | None:
    directory = store.current()
    if directory is None:
        return None
    manifest = Manifest.read(directory)
    if manifest.embed_text != embed_text:  # its vectors read other text: none can be reused
        if mode == "update":
            raise IndexMismatchError(
                f"cannot update {store.root}: its vectors were embedded with "
                f"NEWSBOT_EMBED_TEXT={manifest.embed_text}, the setting is {embed_text}; "
                f"{rebuild_hint(store.root)}, or set NEWSBOT_EMBED_TEXT={manifest.embed_text}"
            )
        return None
    try:
        check_compatible(manifest, embedder.model_id, embedder.dimension, store.root)
    except IndexMismatchError:
        if mode == "update":
            raise IndexMismatchError(
                f"cannot update {store.root}: it was built with {manifest.model_id}, the "
                f"configured model is {embedder.model_id}; {rebuild_hint(store.root)}"
            ) from None
        return None  # a full build with another model starts from nothing
    db = MetaDB(directory / DB_FILE, readonly=True)
    try:
        articles = {stored.article.id: stored for stored in db.stored_articles()}
    finally:
        db.close()
    ids, matrix = previous_vectors(store.backend, directory, mode, embedder.dimension)
    rows = {int(chunk): row for row, chunk in enumerate(ids)}
    return _Previous(articles, rows, matrix, manifest.chunking == chunking.record())


def _final_articles(
    read: list[Article], previous: _Previous | None, mode: Mode, prune: bool, report: BuildReport
) -> list[Article]:
    old = previous.articles if previous else {}
    final: dict[str, Article] = {}
    if mode == "update":
        final = {aid: stored.article for aid, stored in old.items()}
    for article in read:
        before = old.get(article.id)
        if before is None:
            report.added += 1
        elif before.content_hash != article.content_hash:
            report.updated += 1
        else:
            report.unchanged += 1
        final[article.id] = article
    if mode == "build":
        report.removed = len(set(old) - set(final))
    elif prune:
        read_ids = {a.id for a in read}
        read_files = {a.origin for a in read}
        for aid, article in list(final.items()):
            gone = article.origin and not Path(article.origin).exists()
            dropped = article.origin in read_files and aid not in read_ids
            if gone or dropped:
                del final[aid]
                report.removed += 1
    return list(final.values())


def _chunk_all(
    articles: list[Article],
    kept: dict[str, tuple[str, list[Chunk]]],
    embedder: Embedder,
    config: ChunkingConfig,
    notify: _Notifier,
) -> list[tuple[Article, str, list[Chunk]]]:
    """Each article with its language and chunks, in order; those in ``kept`` (stored unchanged)
    keep theirs, the rest are chunked a group at a time. Articles without chunks are left out."""
    out: list[tuple[Article, str, list[Chunk]]] = []
    notify("chunking", 0, len(articles))
    for first in range(0, len(articles), CHUNK_GROUP_ARTICLES):
        batch = articles[first : first + CHUNK_GROUP_ARTICLES]
        group = [
            (article, detect_language(f"{article.title}\n{article.text[:600]}", default="fr"))
            for article in batch
            if article.id not in kept
        ]
        cut = chunk_articles(group, config, count_tokens=embedder.count_tokens)
        chunked = {
            article.id: (language, chunks)
            for (article, language), chunks in zip(group, cut, strict=True)
        }
        for article in batch:
            language, chunks = kept.get(article.id) or chunked[article.id]
            if chunks:
                out.append((article, language, chunks))
        notify("chunking", first + len(batch), len(articles))
    return out


def _vectors_for(
    chunked: list[tuple[Article, str, list[Chunk]]],
    previous: _Previous | None,
    embedder: Embedder,
    config: BuildConfig,
    report: BuildReport,
    notify: _Notifier,
) -> NDArray[np.float32]:
    all_chunks = [chunk for _, _, chunks in chunked for chunk in chunks]
    languages = [language for _, language, chunks in chunked for _ in chunks]
    matrix = np.zeros((len(all_chunks), embedder.dimension), dtype=np.float32)
    todo: list[int] = []
    for row, chunk in enumerate(all_chunks):
        old_row = previous.vectors.get(chunk.id) if previous else None
        if previous is not None and old_row is not None:
            matrix[row] = previous.matrix[old_row]
        else:
            todo.append(row)
    report.reused_chunks = len(all_chunks) - len(todo)
    report.embedded_chunks = len(todo)
    started = time.perf_counter()
    # Identical texts (wire copies) are embedded once; the rest longest first, so each model
    # batch holds texts of nearly equal length and little padding (8% of tokens otherwise).
    rows_of: dict[str, list[int]] = {}
    for row in todo:
        text = model_text(all_chunks[row].embedding_text(), languages[row], config.embed_text)
        rows_of.setdefault(text, []).append(row)
    unique = sorted(rows_of, key=len, reverse=True)
    notify("embedding", 0, len(todo))
    done = 0
    step = EMBED_BATCH_CHUNKS * config.processes  # every process gets several model batches
    with encoding_pool(embedder, config.processes) as pool:
        for first in range(0, len(unique), step):
            texts = unique[first : first + step]
            vectors = pool.encode(texts, batch_size=config.batch_size)
            for text, vector in zip(texts, vectors, strict=True):
                matrix[rows_of[text]] = vector
                done += len(rows_of[text])
            notify("embedding", done, len(todo))
    report.embed_processes = 1 + pool.workers if pool.worker_batches else 1
    report.worker_peak_rss_mb = sum(pool.worker_peak_rss_kib.values()) / 1024
    report.embed_seconds = time.perf_counter() - started
    return matrix


def _write_generation(
    store: IndexStore,
    chunked: list[tuple[Article, str, list[Chunk]]],
    vectors: NDArray[np.float32],
    embedder: Embedder,
    config: BuildConfig,
    chunking: ChunkingConfig,
    started: float,
    mode: Mode,
    cleaning: CleaningReport | None = None,
) -> Path:
    temp = store.new_generation()
    db = MetaDB(temp / DB_FILE)
    languages: dict[str, int] = {}
    ids: list[int] = []
    texts: list[str] = []
    for article, language, chunks in chunked:
        db.add_article(article, language, chunks)
        languages[language] = languages.get(language, 0) + 1
        ids.extend(chunk.id for chunk in chunks)
        texts.extend(chunk.embedding_text() for chunk in chunks)
    db.commit()
    db.close()

    corpus_language = max(languages, key=lambda k: languages[k]) if languages else "fr"
    if store.backend is not None:  # issue 12: vectors and BM25 terms go to Milvus
        store.backend.write(
            temp, chunked, vectors, mode=mode, previous=store.current(),
            dimension=embedder.dimension, language=corpus_language,
        )  # fmt: skip
    else:
        vector_store = create_vector_store(embedder.dimension, len(ids), config.vector_index)
        vector_store.add(vectors, ids)
        vector_store.save(temp)
        BM25Index.build(texts, ids, corpus_language).save(temp / LEXICAL_DIR)

    manifest = Manifest(
        model_id=embedder.model_id,
        dimension=embedder.dimension,
        precision=embedder.precision,
        chunking=chunking.record(),
        articles=len(chunked),
        chunks=len(ids),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(time.perf_counter() - started, 2),
        language=corpus_language,
        languages=dict(sorted(languages.items(), key=lambda kv: -kv[1])),
        embed_text=config.embed_text,
        cleaning=cleaning.to_json() if cleaning is not None else {},
    )
    (temp / MANIFEST_FILE).write_text(manifest.to_json(), "utf-8")
    return store.publish(temp)
