"""Answering reads the saved BM25 arrays without bm25s: the scores are bm25s's own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder
from index.lexical import BM25Index
from index.store import LEXICAL_DIR, IndexStore

from .support import RANKING_DIR


def test_saved_bm25_scores_equal_bm25s_scores(tmp_path: Path) -> None:
    import bm25s

    store = IndexStore(tmp_path / "index")
    build_index(store, [RANKING_DIR / "articles.jsonl"], HashingEmbedder(), BuildConfig())
    directory = store.open().directory / LEXICAL_DIR
    light = BM25Index.load(directory)
    reference = bm25s.BM25.load(str(directory))
    lines = (RANKING_DIR / "questions.jsonl").read_text("utf-8").splitlines()
    for line in lines:
        tokens = light.tokenize(json.loads(line)["question"])
        tokens += tokens[:1]  # a repeated word counts twice, as in bm25s
        known = [t for t in tokens if t in reference.vocab_dict]
        expected = reference.get_scores(known) if known else np.zeros(len(light))
        got = light.score(tokens)
        assert np.array_equal(np.asarray(got.of(list(light.ids)), dtype=np.float32), expected)
        assert got.top(5) == sorted(got.top(5), key=lambda pair: -pair[1])
