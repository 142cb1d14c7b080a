"""Benchmark phase: the FAISS and Milvus backends on the same corpus, in the same run.

    python -m benchmarks.milvus_phase --source-index DIR --corpus PATH --questions FILE

Both backends rebuild ``--corpus`` starting from a copy of ``--source-index`` (an index of the
same corpus), so every vector is reused and the build time is what differs between backends:
reading, chunking, writing vectors and BM25 (the model's share is in the indexing section).
Then each answers the same questions warm: retrieval alone and ``ask`` (retrieve + answer),
p50/p95. Milvus here is milvus-lite, the embedded engine of the test suite; a Milvus server
answers differently (docs/scale.md). Prints one JSON object, as ``benchmarks.phases`` does.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

Result = dict[str, Any]
BACKENDS = ("faiss", "milvus")


def section(xling_index: Path, count: int) -> Result:
    """The suite's "backends" section (``benchmarks.run``): this phase in its own process,
    on xling-dev, rebuilt from the suite's FAISS index of it."""
    from benchmarks.run import CACHE, EVAL_SETS, LATENCY_QUESTIONS, run_child

    child = run_child(
        [sys.executable, "-m", "benchmarks.milvus_phase", "--source-index", str(xling_index),
         "--corpus", str(EVAL_SETS["xling-dev"] / "corpus.jsonl"),
         "--questions", str(LATENCY_QUESTIONS), "--work", str(CACHE), "--count", str(count)]
    )  # fmt: skip
    return child.result | {"wall_seconds": child.seconds, "peak_rss_mb": child.peak_rss_mb}


def seeded(source_index: Path, target: Path) -> Path:
    """A fresh index directory holding a copy of the source's live generation (FAISS)."""
    from index.store import CURRENT_FILE, IndexStore

    live = IndexStore(source_index).require_current()
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copytree(live, target / live.name)
    (target / CURRENT_FILE).write_text(live.name + "\n", "utf-8")
    return target


def measure(
    backend: str, source_index: Path, corpus: Path, asked: Sequence[str], work: Path
) -> Result:
    from benchmarks.phases import p50_p95, timed_each
    from bot.runtime import make_answer_service, make_build_config, make_embedder, make_store
    from bot.settings import load_settings
    from index.builder import build_index
    from index.milvus_backend import release

    index_dir = seeded(source_index, work / f"backend-{backend}")
    settings = load_settings(backend=backend, index_dir=index_dir)
    embedder = make_embedder(settings)
    store = make_store(settings)
    started = time.perf_counter()
    report = build_index(store, [corpus], embedder, make_build_config(settings))
    build_seconds = time.perf_counter() - started

    service = make_answer_service(settings, embedder)
    for question in asked[:5]:
        service.answer(question)
    timed = asked[5:]
    ask_ms = timed_each(service.answer, timed)
    retriever = service.retriever
    prepared = [retriever.prepare(q) for q in timed]
    search = partial(retriever.search, k=settings.top_k, candidates=settings.candidates)
    by_text = dict(zip(timed, prepared, strict=True))
    retrieve_ms = timed_each(lambda q: search(by_text[q]), timed)
    if store.backend is not None:
        release(store.backend.config)
    return {
        "chunks": report.chunks,
        "embedded_chunks": report.embedded_chunks,
        "build_seconds": round(build_seconds, 2),
        "build_chunks_per_second": round(report.chunks / build_seconds, 1),
        "questions": len(timed),
        "retrieve_ms": p50_p95(retrieve_ms),
        "ask_ms": p50_p95(ask_ms),
    }


def run(args: argparse.Namespace) -> Result:
    from benchmarks.phases import read_questions

    asked = read_questions(args.questions, args.count + 5)
    result: Result = {"corpus": args.corpus.name, "engine": "milvus-lite (embedded)"}
    for backend in BACKENDS:
        result[backend] = measure(backend, args.source_index, args.corpus, asked, args.work)
    return result


def render(result: Result) -> str:
    """The markdown table ``benchmarks/results/latest.md`` shows for this section."""
    if "faiss" not in result:
        return f"Backends: {result.get('error') or result.get('skipped') or 'not measured'}\n"
    rows = [
        "| backend | build (vectors reused) | retrieve p50 / p95 | ask p50 / p95 |",
        "| --- | --- | --- | --- |",
    ]
    for backend in BACKENDS:
        r = result[backend]
        rows.append(
            f"| {backend} | {r['build_chunks_per_second']} chunks/s ({r['build_seconds']} s) "
            f"| {r['retrieve_ms']['p50']} / {r['retrieve_ms']['p95']} ms "
            f"| {r['ask_ms']['p50']} / {r['ask_ms']['p95']} ms |"
        )
    head = (
        f"Backends on {result['corpus']} ({result['faiss']['chunks']} chunks, "
        f"{result['faiss']['questions']} questions; Milvus = {result['engine']})"
    )
    return head + "\n\n" + "\n".join(rows) + "\n"


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.milvus_phase")
    cli.add_argument("--source-index", type=Path, required=True)
    cli.add_argument("--corpus", type=Path, required=True)
    cli.add_argument("--questions", type=Path, required=True)
    cli.add_argument("--work", type=Path, required=True)
    cli.add_argument("--count", type=int, default=60)
    return cli


def main(argv: Sequence[str] | None = None) -> None:
    result = run(parser().parse_args(argv))
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
