"""`benchmarks.attention`: every way of running attention is timed on the rows asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import attention
from index.embedding import SentenceTransformerEmbedder

from .support import RANKING_DIR


def test_each_variant_is_timed_at_the_asked_rows_and_lengths(
    real_embedder: SentenceTransformerEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if real_embedder.precision != "bfloat16":
        pytest.skip("the benchmark times the bfloat16 graph; this CPU runs the model in float32")
    out = tmp_path / "attention.json"
    corpus = RANKING_DIR / "articles.jsonl"
    args = ["--corpus", str(corpus), "--lengths", "32,64", "--rows", "2", "--rounds", "1"]
    assert attention.main([*args, "--variants", "decomposed,none", "--out", str(out)]) == 0

    result = json.loads(out.read_text("utf-8"))
    assert result["rows"] == 2
    assert set(result["mean"]) == {"decomposed", "none"}  # "none" is the floor it is compared to
    for timings in result["mean"].values():
        assert set(timings) == {"32", "64"}
        assert all(0 < microseconds < 10_000 for microseconds in timings.values())
    table = capsys.readouterr().out
    assert "attention's share of decomposed" in table
    assert "whole-tensor" not in table  # only the variants asked for
