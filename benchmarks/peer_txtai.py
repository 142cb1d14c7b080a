"""txtai, the peer: the same chunk texts, the same local model and precision, hybrid search.

txtai (sentence-transformers + FAISS + SQLite, BM25 hybrid) is the closest open-source equivalent
of newsbot's index. It is optional (``pip install -e '.[bench]'``); each function runs in its own
process, started by ``benchmarks.run``:

    python -m benchmarks.peer_txtai build --index-dir NEWSBOT_INDEX --out TXTAI_DIR
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

from benchmarks.phases import chunk_texts, live_generation, p50_p95, timed_each
from bot.evaluation.metrics import Outcome, dedupe, summaries_json, summarize_by_lang
from bot.evaluation.runner import read_questions
from index.store import directory_bytes

Result = dict[str, Any]
INSTALL_HINT = "pip install -e '.[bench]'  (txtai>=9.14,<10)"


def available() -> str | None:
    """None when txtai imports, else why not (for the report and ``--skip-txtai``)."""
    try:
        import txtai  # noqa: F401
    except ImportError as exc:
        return f"txtai is not installed ({exc}); {INSTALL_HINT}"
    return None


def make_embeddings(precision: str) -> Any:
    """The same local model as newsbot, bfloat16 when newsbot embeds in bfloat16."""
    from txtai import Embeddings

    from index.embedding import default_model_path

    config: dict[str, Any] = {
        "path": str(default_model_path()),
        "method": "sentence-transformers",
        "content": True,
        "hybrid": True,
    }
    if precision == "bfloat16":
        config["vectors"] = {"model_kwargs": {"dtype": "bfloat16"}}
    return Embeddings(**config)


def build(index_dir: Path, out: Path) -> Result:
    from index.store import Manifest

    precision = Manifest.read(live_generation(index_dir)).precision
    ids, _, texts = chunk_texts(index_dir)
    started = time.perf_counter()
    embeddings = make_embeddings(precision)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    embeddings.index((str(cid), text, None) for cid, text in zip(ids, texts, strict=True))
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    embeddings.save(str(out))
    return {
        "chunks": len(texts),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(len(texts) / seconds, 2),
        "model_load_seconds": round(load_seconds, 2),
        "index_bytes": directory_bytes(out),
        "precision": precision,
    }


def query(out: Path, index_dir: Path, questions: Path, ks: Sequence[int], latency_k: int) -> Result:
    """Article-level recall like `newsbot eval`'s, and warm search latency at ``latency_k``."""
    from txtai import Embeddings

    ids, article_ids, _ = chunk_texts(index_dir)
    article_of = dict(zip(map(str, ids), article_ids, strict=True))
    embeddings = Embeddings()
    embeddings.load(str(out))
    asked = read_questions(questions)
    depth = max(ks)
    for question in asked[:3]:
        embeddings.search(question.question, latency_k)
    texts = [question.question for question in asked]
    search_ms = timed_each(partial(embeddings.search, limit=latency_k), texts)
    outcomes = []
    for question in asked:
        found = embeddings.search(question.question, depth * 4)
        ranked = dedupe(article_of[str(row["id"])] for row in found)
        outcomes.append(Outcome(question.lang, question.article_id, ranked))
    return {
        "questions": len(asked),
        "by_lang": summaries_json(summarize_by_lang(outcomes, ks, depth), answers=False),
        "search_ms": p50_p95(search_ms),
        "search_k": latency_k,
    }


def first_answer(out: Path, question: str) -> Result:
    """Process start to first search result, txtai's cold start."""
    from txtai import Embeddings

    embeddings = Embeddings()
    embeddings.load(str(out))
    return {"hits": len(embeddings.search(question, 5))}


def main(argv: Sequence[str] | None = None) -> None:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.peer_txtai")
    sub = cli.add_subparsers(dest="phase", required=True)
    b = sub.add_parser("build")
    b.add_argument("--index-dir", type=Path, required=True)
    b.add_argument("--out", type=Path, required=True)
    q = sub.add_parser("query")
    q.add_argument("--index-dir", type=Path, required=True)
    q.add_argument("--out", type=Path, required=True)
    q.add_argument("--questions", type=Path, required=True)
    q.add_argument("--latency-k", type=int, default=5)
    f = sub.add_parser("first-answer")
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--question", required=True)
    args = cli.parse_args(argv)
    if args.phase == "build":
        result = build(args.index_dir, args.out)
    elif args.phase == "query":
        result = query(args.out, args.index_dir, args.questions, (1, 5, 20), args.latency_k)
    else:
        result = first_answer(args.out, args.question)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
