"""The large-index option at a million chunks: recall@10 against exact search, and latency.

    python -m benchmarks.ann --source-index DIR --questions QUESTIONS.jsonl --chunks 1000000

Embedding a million chunks would take hours here, so the vectors are *borrowed*: every real
chunk vector of ``--source-index`` is kept, and the rest are mixtures of two real vectors plus
noise, renormalised (so they spread over the same region of the sphere as real text rather than
piling onto copies). Questions are real dev questions encoded by the light (ONNX) encoder.
Exact search (the default store) is the reference for recall and the baseline for latency; both
stores answer one question at a time on one thread, as ``newsbot`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.phases import known_vectors, p50_p95, read_questions

if TYPE_CHECKING:
    from numpy.typing import NDArray

Result = dict[str, Any]


def borrowed_vectors(real: NDArray[np.float32], total: int, seed: int = 0) -> NDArray[np.float32]:
    """``real`` followed by mixtures of two real vectors plus noise, all unit length."""
    rng = np.random.default_rng(seed)
    out = np.empty((total, real.shape[1]), dtype=np.float32)
    keep = min(total, len(real))
    out[:keep] = real[:keep]
    block = 65_536
    for first in range(keep, total, block):
        n = min(block, total - first)
        a = real[rng.integers(len(real), size=n)]
        b = real[rng.integers(len(real), size=n)]
        w = rng.uniform(0.5, 1.0, size=(n, 1)).astype(np.float32)
        mixed = w * a + (1 - w) * b + rng.normal(0, 0.03, size=a.shape).astype(np.float32)
        out[first : first + n] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def question_vectors(questions: Path, count: int) -> NDArray[np.float32]:
    from bot.settings import load_settings
    from index.onnx_encoder import load_onnx_embedder

    settings = load_settings()
    encoder = load_onnx_embedder(settings.embedding_model, cache_dir=settings.model_cache_dir)
    return encoder.encode(read_questions(questions, count))


def timed_searches(store: Any, queries: NDArray[np.float32], k: int) -> tuple[list[float], list]:
    times, results = [], []
    for q in queries:
        started = time.perf_counter()
        results.append([cid for cid, _ in store.search(q, k)])
        times.append((time.perf_counter() - started) * 1000.0)
    return times, results


def run(
    source_index: Path, questions: Path, chunks: int, count: int, nprobes: Sequence[int]
) -> Result:
    import faiss

    from index.vectors import FaissVectorStore
    from index.vectors_ivf import IvfVectorStore, cells_for

    real = np.stack(list(known_vectors(source_index).values()))
    vectors = borrowed_vectors(real, chunks)
    ids = np.arange(chunks, dtype=np.int64) * 7 + 3  # ids are not row numbers in newsbot either
    queries = question_vectors(questions, count)
    k = 10

    exact = FaissVectorStore.create(vectors.shape[1])
    exact.add(vectors, ids)
    faiss.omp_set_num_threads(1)
    exact.search(queries[0], k)
    exact_ms, truth = timed_searches(exact, queries, k)
    del exact

    started = time.perf_counter()
    ivf = IvfVectorStore.create(vectors.shape[1])
    ivf.add(vectors, ids)
    del vectors
    with tempfile.TemporaryDirectory(dir=source_index.parent) as folder:
        faiss.omp_set_num_threads(0)  # training uses every core, like an index build
        ivf.save(Path(folder))
        build_seconds = time.perf_counter() - started
        started = time.perf_counter()
        loaded = IvfVectorStore.load(Path(folder))
        load_seconds = time.perf_counter() - started
        rows = []
        for nprobe in nprobes:
            loaded.nprobe = nprobe
            loaded.search(queries[0], k)
            ms, found = timed_searches(loaded, queries, k)
            recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(found, truth, strict=True)])
            rows.append({"nprobe": nprobe, "recall@10": round(float(recall), 4), "ms": p50_p95(ms)})
    return {
        "chunks": chunks,
        "real_vectors": min(len(real), chunks),
        "questions": len(queries),
        "cells": cells_for(chunks),
        "exact_ms": p50_p95(exact_ms),
        "ivf": rows,
        "ivf_build_seconds": round(build_seconds, 1),
        "ivf_load_seconds": round(load_seconds, 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.ann")
    cli.add_argument("--source-index", type=Path, required=True)
    cli.add_argument("--questions", type=Path, required=True)
    cli.add_argument("--chunks", type=int, default=1_000_000)
    cli.add_argument("--count", type=int, default=200)
    cli.add_argument("--nprobe", type=int, nargs="+", default=[32, 64, 128, 256])
    args = cli.parse_args(argv)
    result = run(args.source_index, args.questions, args.chunks, args.count, args.nprobe)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
