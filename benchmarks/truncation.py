"""Encoding speed when only the first N tokens of each chunk are embedded (an indexing idea).

    python -m benchmarks.truncation --corpus ../shared/corpus/masakhanews-fra.jsonl

The chunks are built as the index builds them (title + up to 100 words; the 2026-12-06 results
had 20 words of overlap, the default then), sorted by length and encoded at each token limit in
turn, twice, by the build encoder. The table gives chunks/s per run and the mean cosine of each
limit's vectors to the full-length ones. The recall cost is measured separately with ``newsbot
eval`` (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.report import markdown_table
from index.chunking import ChunkingConfig, chunk_article
from index.corpus import read_corpus


def chunk_texts(corpus: Path, count: int) -> list[str]:
    """The first ``count`` chunks of ``corpus``, longest first, as the model sees them."""
    texts: list[str] = []
    for article in read_corpus([corpus]):
        texts.extend(c.embedding_text() for c in chunk_article(article, ChunkingConfig()))
        if len(texts) >= count:
            break
    return sorted(texts[:count], key=len, reverse=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--chunks", type=int, default=768)
    parser.add_argument("--limits", default="0,160,128", help="token limits; 0 = the model's")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args(argv)

    from index.embedding import SentenceTransformerEmbedder

    texts = chunk_texts(args.corpus, args.chunks)
    embedder = SentenceTransformerEmbedder("", threads=2)
    model = embedder._model  # the benchmark changes the window the build leaves as it is
    full_window = int(model.max_seq_length)
    tokens = embedder.count_tokens(texts)
    limits = [int(x) or full_window for x in args.limits.split(",")]
    speeds: dict[int, list[float]] = {limit: [] for limit in limits}
    vectors: dict[int, np.ndarray] = {}
    for _ in range(2):
        for limit in limits:
            model.max_seq_length = limit
            embedder.encode(texts[:32])  # warm-up at this shape
            start = time.perf_counter()
            vectors[limit] = embedder.encode(texts)
            speeds[limit].append(len(texts) / (time.perf_counter() - start))
    model.max_seq_length = full_window
    reference = vectors[full_window]
    print(f"{len(texts)} chunks, {np.mean(tokens):.0f} tokens on average, "
          f"{np.mean(np.array(tokens) > 128):.0%} over 128")  # fmt: skip
    rows, table = [], []
    for limit in limits:
        cosine = float(np.mean(np.sum(vectors[limit] * reference, axis=1)))
        runs = " / ".join(f"{s:.1f}" for s in speeds[limit])
        table.append((limit, runs, f"{cosine:.3f}"))
        rows.append({"tokens": limit, "chunks_per_s": speeds[limit], "cosine": cosine})
    header = ("tokens embedded", "chunks/s (two runs)", "mean cosine to the full vector")
    print(markdown_table(header, table))
    if args.out is not None:
        args.out.write_text(json.dumps({"chunks": len(texts), "rows": rows}, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
