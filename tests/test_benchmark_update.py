"""`benchmarks.update`: an index is copied, updated twice in a worker, and left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import update
from index.builder import BuildConfig, build_index
from index.embedding import SentenceTransformerEmbedder
from index.store import IndexStore

from .support import RANKING_DIR, REPO


def test_two_updates_are_timed_on_a_copy_of_the_index(
    real_embedder: SentenceTransformerEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    build_index(IndexStore(index), [RANKING_DIR / "articles.jsonl"], real_embedder, BuildConfig())
    before = sorted(p.name for p in index.rglob("*"))
    out = tmp_path / "update.json"
    corpus = REPO / "tests" / "fixtures" / "eval" / "corpus.jsonl"  # not the index's articles
    args = ["--index", str(index), "--corpus", str(corpus), "--articles", "2", "--rounds", "1"]
    assert update.main([*args, "--out", str(out)]) == 0

    (run,) = json.loads(out.read_text("utf-8"))["runs"]["newsbot"]
    assert [step["added"] for step in run] == [2, 2]
    assert run[1]["chunks"] > run[0]["chunks"] > 0
    assert all(step["seconds"] > 0 for step in run)
    assert "| newsbot |" in capsys.readouterr().out
    assert sorted(p.name for p in index.rglob("*")) == before  # the measured index is untouched
