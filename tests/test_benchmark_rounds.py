"""`benchmarks.run --index-rounds`: alternated builds are compared by their total times."""

from __future__ import annotations

from benchmarks.report import _goals
from benchmarks.run import _over_rounds


def _build(seconds: float, rss: float) -> dict[str, object]:
    return {
        "articles": 100,
        "chunks": 400,
        "embedded_chunks": 400,
        "seconds": seconds,
        "articles_per_s": round(100 / seconds, 2),
        "chunks_per_s": round(400 / seconds, 2),
        "cpu_seconds": 2 * seconds,
        "peak_rss_mb": rss,
        "index_bytes": 1_000,
    }


def test_rounds_are_merged_into_mean_times_and_the_highest_memory() -> None:
    merged = _over_rounds([_build(10.0, 900.0), _build(30.0, 800.0)])
    assert merged["seconds"] == 20.0
    assert merged["articles_per_s"] == 5.0  # 200 articles in 40 s, not the mean of 10 and 3.33
    assert merged["chunks_per_cpu_s"] == 10.0
    assert merged["peak_rss_mb"] == 900.0
    assert [r["seconds"] for r in merged["rounds"]] == [10.0, 30.0]


def test_one_round_is_reported_as_it_was_measured() -> None:
    only = _build(12.5, 700.0)
    assert _over_rounds([only]) == only


def test_the_report_says_when_a_ratio_comes_from_alternated_builds() -> None:
    newsbot = _over_rounds([_build(10.0, 900.0), _build(12.0, 950.0)])
    baseline = _over_rounds([_build(16.0, 1_000.0), _build(17.0, 1_000.0)])
    results = {
        "indexing": {
            "xling-dev": {
                "corpus": "corpus.jsonl",
                "newsbot": newsbot,
                "baseline": baseline,
                "encode": _build(15.0, 800.0),
            }
        }
    }
    report = _goals(results)
    row = next(line for line in report.splitlines() if "articles/s (wall" in line)
    assert "mean of 2 alternated builds" in row
    assert "1.50×" in row  # 33 s against 22 s over both rounds
