"""Benchmark phases, each run in its own process by ``benchmarks.run``.

A phase in its own process has its own peak RSS (read by the parent with ``os.wait4``) and starts
from a cold interpreter, so one phase's caches never flatter the next. Each phase prints one JSON
object as the last line of its stdout.

    python -m benchmarks.phases index --corpus PATH --index-dir DIR
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.evaluation.metrics import percentile
from bot.settings import Settings, load_settings
from index.store import directory_bytes

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.embedding import Embedder

Result = dict[str, Any]


def timed_each(func: Callable[[str], object], inputs: Sequence[str]) -> list[float]:
    """Milliseconds of ``func`` on each input, one call at a time."""
    times = []
    for value in inputs:
        started = time.perf_counter()
        func(value)
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def p50_p95(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1)}


def live_generation(index_dir: Path) -> Path:
    from index.store import IndexStore

    return IndexStore(index_dir).require_current()


def chunk_texts(index_dir: Path) -> tuple[list[int], list[str], list[str]]:
    """(chunk ids, article ids, texts) of an index: each chunk's title and text, every word, as
    a plain pipeline (the encode baseline, txtai) embeds them."""
    from index.metadb import DB_FILE, MetaDB

    db = MetaDB(live_generation(index_dir) / DB_FILE, readonly=True)
    try:
        chunks = list(db.all_chunks())
    finally:
        db.close()
    return (
        [c.id for c in chunks],
        [c.article_id for c in chunks],
        [c.embedding_text() for c in chunks],
    )


def settings_for(index_dir: Path) -> Settings:
    return load_settings(index_dir=index_dir)


def read_questions(path: Path, limit: int) -> list[str]:
    """Questions alternating between languages, so latency covers English and French alike."""
    by_lang: dict[str, list[str]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            by_lang.setdefault(str(record.get("lang", "")), []).append(str(record["question"]))
    mixed = [q for group in zip(*by_lang.values(), strict=False) for q in group]
    return mixed[:limit]


# --- indexing -------------------------------------------------------------------------------


def phase_index(corpus: Path, index_dir: Path, eval_cache: Path | None) -> Result:
    """A fresh newsbot build; with ``eval_cache``, into the directory `newsbot eval` will reuse."""
    from bot.evaluation.runner import cache_key
    from bot.runtime import make_build_config, make_embedder
    from index.builder import build_index
    from index.store import IndexStore

    settings = settings_for(index_dir)
    started = time.perf_counter()
    embedder = make_embedder(settings)
    load_seconds = time.perf_counter() - started
    if eval_cache is not None:
        index_dir = eval_cache / cache_key([corpus], settings, embedder)
    shutil.rmtree(index_dir, ignore_errors=True)
    report = build_index(IndexStore(index_dir), [corpus], embedder, make_build_config(settings))
    return {
        "index_dir": str(index_dir),
        "articles": report.articles,
        "chunks": report.chunks,
        "embedded_chunks": report.embedded_chunks,
        "seconds": round(report.seconds, 2),
        "embed_seconds": round(report.embed_seconds, 2),
        "articles_per_s": round(report.articles / report.seconds, 2),
        "chunks_per_s": round(report.embedded_chunks / report.seconds, 2),
        "index_bytes": directory_bytes(live_generation(index_dir)),
        "model_load_seconds": round(load_seconds, 2),
        "precision": str(getattr(embedder, "precision", "float32")),
        "embed_text": settings.embed_text,
        "embed_processes": report.embed_processes,
        "worker_peak_rss_mb": round(report.worker_peak_rss_mb, 1),
    }


def phase_encode(index_dir: Path, sample: int = 0) -> Result:
    """The baseline: one plain ``SentenceTransformer.encode`` over the same chunk texts, or over
    ``sample`` of them taken evenly through the index (an archive's full encode takes an hour)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from index.embedding import default_model_path
    from index.store import Manifest

    manifest = Manifest.read(live_generation(index_dir))
    _, _, texts = chunk_texts(index_dir)
    total = len(texts)
    if 0 < sample < total:
        texts = texts[:: total // sample][:sample]
    batch_size = settings_for(index_dir).batch_size
    started = time.perf_counter()
    model = SentenceTransformer(str(default_model_path()), device="cpu")
    if manifest.precision == "bfloat16":
        model.to(torch.bfloat16)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    seconds = time.perf_counter() - started
    return {
        "articles": manifest.articles,
        "chunks": len(texts),
        "seconds": round(seconds, 2),
        "articles_per_s": round(manifest.articles / seconds, 2) if len(texts) == total else None,
        "chunks_per_s": round(len(texts) / seconds, 2),
        "sampled_from": total,
        "model_load_seconds": round(load_seconds, 2),
        "precision": manifest.precision,
    }


# --- a 100k-chunk index without 100k embeddings ----------------------------------------------


class BorrowedEmbedder:
    """The real model's identity and tokenizer; vectors from an already embedded index.

    A chunk whose text the source index embedded gets its real vector; any other chunk gets a
    real vector of another chunk plus small noise (renormalised). FAISS then holds as many
    vectors as there are chunks, and BM25 and SQLite hold real text; only those dense vectors
    are not the text's own.
    """

    def __init__(
        self, real: Embedder, known: dict[str, NDArray[np.float32]], seed: int = 0
    ) -> None:
        self.real = real
        self.model_id = real.model_id
        self.dimension = real.dimension
        self.max_tokens = real.max_tokens
        self.known = known
        self.pool = np.stack(list(known.values()))
        self.rng = np.random.default_rng(seed)
        self.precision = getattr(real, "precision", "float32")
        self.borrowed = 0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.real.count_tokens(texts)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = self.known.get(text)
            if vector is None:
                self.borrowed += 1
                picked = self.pool[self.rng.integers(len(self.pool))]
                vector = picked + self.rng.normal(0.0, 0.02, self.dimension).astype(np.float32)
                vector /= np.linalg.norm(vector)
            out[row] = vector
        return out


def first_lines(source: Path, target: Path, count: int) -> Path:
    """The first ``count`` records of a (gzipped) JSON Lines file, as a plain file."""
    opener = gzip.open if source.name.endswith(".gz") else open
    target.parent.mkdir(parents=True, exist_ok=True)
    with opener(source, "rt", encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for number, line in enumerate(lines):
            if number >= count:
                break
            out.write(line)
    return target


def known_vectors(index_dir: Path) -> dict[str, NDArray[np.float32]]:
    """An index's vectors by the text its model read (what a later build will ask for)."""
    from index.embed_text import model_text
    from index.metadb import DB_FILE, MetaDB
    from index.store import Manifest
    from index.vectors import FaissVectorStore

    generation = live_generation(index_dir)
    ids, article_ids, texts = chunk_texts(index_dir)
    db = MetaDB(generation / DB_FILE, readonly=True)
    try:
        metas = db.articles(sorted(set(article_ids)))
    finally:
        db.close()
    embed_text = Manifest.read(generation).embed_text
    vectors = FaissVectorStore.load(generation)
    return {
        model_text(text, metas[article].language or "fr", embed_text): vectors.reconstruct(cid)
        for cid, article, text in zip(ids, article_ids, texts, strict=True)
    }


def phase_scale(
    source_index: Path, corpus: Path, target_chunks: int, index_dir: Path, work: Path
) -> Result:
    """Index enough real OrangeSum articles for ``target_chunks``, borrowing missing vectors."""
    from bot.runtime import make_build_config, make_embedder
    from index.builder import build_index
    from index.store import IndexStore, Manifest

    source = Manifest.read(live_generation(source_index))
    # OrangeSum's later articles are shorter and some are duplicates: aim 40% above the target.
    articles = math.ceil(target_chunks / (source.chunks / source.articles) * 1.4)
    subset = first_lines(corpus, work / f"orangesum-first-{articles}.jsonl", articles)
    settings = settings_for(index_dir)
    embedder = BorrowedEmbedder(make_embedder(settings), known_vectors(source_index))
    shutil.rmtree(index_dir, ignore_errors=True)
    report = build_index(IndexStore(index_dir), [subset], embedder, make_build_config(settings))
    return {
        "index_dir": str(index_dir),
        "articles": report.articles,
        "chunks": report.chunks,
        "real_vectors": report.chunks - embedder.borrowed,
        "borrowed_vectors": embedder.borrowed,
        "build_seconds_without_model": round(report.seconds, 2),
        "index_bytes": directory_bytes(live_generation(index_dir)),
    }


# --- queries --------------------------------------------------------------------------------


def phase_latency(index_dir: Path, questions: Path, count: int, warmup: int) -> Result:
    """Warm p50/p95 of ``ask`` (retrieve + answer) and of retrieval alone, as users get them
    (questions on the light encoder); and the first question of the process against the rest."""
    from bot.runtime import make_answer_service

    settings = settings_for(index_dir)
    started = time.perf_counter()
    service = make_answer_service(settings)
    startup = time.perf_counter() - started
    asked = read_questions(questions, count + warmup + 1)
    first_ms = timed_each(service.answer, asked[:1])[0]
    for question in asked[1 : warmup + 1]:
        service.answer(question)
    timed = asked[warmup + 1 :]
    ask_ms = timed_each(service.answer, timed)
    k, candidates = settings.top_k, settings.candidates
    retriever = service.retriever

    def retrieve(question: str) -> object:
        return retriever.search(retriever.prepare(question), k=k, candidates=candidates)

    retrieve_ms = timed_each(retrieve, timed)
    manifest = service.loaded.manifest
    return {
        "articles": manifest.articles,
        "chunks": manifest.chunks,
        "questions": len(timed),
        "ask_ms": p50_p95(ask_ms),
        "retrieve_ms": p50_p95(retrieve_ms),
        "first_ask_ms": round(first_ms, 1),
        "tenth_ask_ms": round(ask_ms[min(8, len(ask_ms) - 1)], 1) if ask_ms else None,
        "encoder": type(service.embedder).__name__,
        "in_process_startup_seconds": round(startup, 2),
    }


def phase_encoder(index_dir: Path, questions: Path) -> Result:
    """The light question encoder against the build's: cosines, and hybrid recall both ways."""
    from bot.evaluation.runner import read_questions as read_eval_questions
    from bot.runtime import make_embedder, make_question_embedder
    from index.retrieval import Retriever
    from index.store import IndexStore

    settings = settings_for(index_dir)
    asked = read_eval_questions(questions)
    light = make_question_embedder(settings)
    build = make_embedder(settings)
    loaded = IndexStore(index_dir).open()
    reads = Retriever(loaded, light).model_input
    texts = [reads(question.question) for question in asked]  # as the index's model reads them
    light_vectors, build_vectors = light.encode(texts), build.encode(texts)
    cosines = (light_vectors * build_vectors).sum(axis=1) / (
        np.linalg.norm(light_vectors, axis=1) * np.linalg.norm(build_vectors, axis=1)
    )
    recall = {}
    for name, vectors in (("light", light_vectors), ("build", build_vectors)):
        retriever = Retriever(loaded, _FixedVectors(texts, vectors, light))
        found = 0
        for question in asked:
            hits = retriever.search(retriever.prepare(question.question), k=80)
            ranked = list(dict.fromkeys(hit.chunk.article_id for hit in hits))
            found += question.article_id in ranked[:5]
        recall[name] = round(found / len(asked), 4)
    return {
        "questions": len(texts),
        "light_encoder": type(light).__name__,
        "build_precision": build.precision,
        "cosine_min": round(float(cosines.min()), 6),
        "cosine_mean": round(float(cosines.mean()), 6),
        "recall@5_light": recall["light"],
        "recall@5_build": recall["build"],
    }


class _FixedVectors:
    """Looks up precomputed question vectors: both encoders are compared on one retriever."""

    def __init__(self, texts: Sequence[str], vectors: NDArray[np.float32], like: Any) -> None:
        self._of = dict(zip(texts, vectors, strict=True))
        self.model_id, self.dimension = like.model_id, like.dimension
        self.max_tokens, self.precision = like.max_tokens, like.precision

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        return np.stack([self._of[text] for text in texts])


# --- entry point ----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.phases")
    sub = cli.add_subparsers(dest="phase", required=True)
    index = sub.add_parser("index")
    index.add_argument("--corpus", type=Path, required=True)
    index.add_argument("--index-dir", type=Path, required=True)
    index.add_argument("--eval-cache", type=Path, default=None)
    encode = sub.add_parser("encode")
    encode.add_argument("--index-dir", type=Path, required=True)
    encode.add_argument("--sample", type=int, default=0, help="encode only this many chunks")
    scale = sub.add_parser("scale")
    scale.add_argument("--source-index", type=Path, required=True)
    scale.add_argument("--corpus", type=Path, required=True)
    scale.add_argument("--target-chunks", type=int, required=True)
    scale.add_argument("--index-dir", type=Path, required=True)
    scale.add_argument("--work", type=Path, required=True)
    latency = sub.add_parser("latency")
    latency.add_argument("--index-dir", type=Path, required=True)
    latency.add_argument("--questions", type=Path, required=True)
    latency.add_argument("--count", type=int, default=60)
    latency.add_argument("--warmup", type=int, default=5)
    encoder = sub.add_parser("encoder")
    encoder.add_argument("--index-dir", type=Path, required=True)
    encoder.add_argument("--questions", type=Path, required=True)
    return cli


def run(args: argparse.Namespace) -> Result:
    if args.phase == "index":
        return phase_index(args.corpus, args.index_dir, args.eval_cache)
    if args.phase == "encode":
        return phase_encode(args.index_dir, args.sample)
    if args.phase == "scale":
        return phase_scale(
            args.source_index, args.corpus, args.target_chunks, args.index_dir, args.work
        )
    if args.phase == "encoder":
        return phase_encoder(args.index_dir, args.questions)
    return phase_latency(args.index_dir, args.questions, args.count, args.warmup)


def main(argv: Sequence[str] | None = None) -> None:
    result = run(parser().parse_args(argv))
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
