"""`newsbot eval` end to end with the real model on a six-article fixture, in both input formats.

The fixture's articles are on unrelated topics, so every retriever must rank each gold article
first: recall@k and MRR are exactly 1.0 for newsbot and both baselines.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.evaluation.runner import cache_key, read_questions
from bot.settings import load_settings
from index.embedding import HashingEmbedder, SentenceTransformerEmbedder

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "eval"
QUESTIONS = FIXTURE / "questions.jsonl"
ANSWER_KEYS = [
    "n", "recall@1", "recall@5", "recall@20", "mrr",
    "answer_hit", "false_abstain", "abstain_unanswerable",
]  # fmt: skip
RETRIEVAL_KEYS = ["n", "recall@1", "recall@5", "recall@20", "mrr"]


@pytest.fixture
def use_real_model(
    monkeypatch: pytest.MonkeyPatch, real_embedder: SentenceTransformerEmbedder
) -> None:
    """The command loads the model itself; reuse the session's copy to keep the test quick."""
    monkeypatch.setattr("bot.runtime.make_embedder", lambda settings: real_embedder)


def run_eval_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("use_real_model")
def test_jsonl_corpus_exact_keys_and_known_recall(tmp_path: Path) -> None:
    out, details = tmp_path / "report.json", tmp_path / "details.jsonl"
    code, stdout, stderr = run_eval_cli(
        "--corpus", str(FIXTURE / "corpus.jsonl"), "--questions", str(QUESTIONS),
        "--json", str(out), "--details", str(details),
    )  # fmt: skip
    assert code == 0, stderr
    report: dict[str, Any] = json.loads(out.read_text("utf-8"))

    assert list(report) == [
        "by_lang", "overall", "latency_ms", "baselines", "leads", "settings", "corpus",
    ]  # fmt: skip
    assert list(report["by_lang"]) == ["en", "fr"]
    for summary in [*report["by_lang"].values(), report["overall"]]:
        assert list(summary) == ANSWER_KEYS
    assert list(report["latency_ms"]) == ["p50", "p95"]
    assert list(report["baselines"]) == ["bm25", "dense"]
    for baseline in report["baselines"].values():
        assert list(baseline) == ["by_lang"]
        assert list(baseline["by_lang"]) == ["en", "fr"]
        for summary in baseline["by_lang"].values():
            assert list(summary) == RETRIEVAL_KEYS
            assert [summary[k] for k in RETRIEVAL_KEYS[1:]] == [1.0, 1.0, 1.0, 1.0]
    assert report["corpus"] == {"articles": 6, "chunks": report["corpus"]["chunks"]}
    assert report["corpus"]["chunks"] >= 6

    overall = report["overall"]
    assert overall["n"] == 6  # five answerable questions and one the corpus does not answer
    assert [overall[k] for k in ["recall@1", "recall@5", "recall@20", "mrr"]] == [1.0] * 4
    assert report["by_lang"]["en"]["n"] == 3 and report["by_lang"]["fr"]["n"] == 3
    assert report["by_lang"]["fr"]["abstain_unanswerable"] is None  # no such French question
    assert 0.0 <= report["by_lang"]["en"]["abstain_unanswerable"] <= 1.0
    assert 0.0 <= overall["answer_hit"] + overall["false_abstain"] <= 1.0
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p95"]
    assert report["settings"]["k"] == [1, 5, 20] and report["settings"]["index_reused"] is False

    assert "overall" in stdout and "bm25" in stdout and "dense" in stdout
    leads = report["leads"]  # a lead reads as the answer: the report says how often it is one
    assert 0 <= leads["right"] <= leads["led"] <= leads["answered"] <= 5
    assert f"leads: {leads['led']} of {leads['answered']} answers" in stdout
    assert "questions" in stderr  # the progress bar

    # --details: one line per question, with the estimate the refusal was decided on.
    lines = [json.loads(line) for line in details.read_text("utf-8").splitlines()]
    assert len(lines) == 6
    threshold = load_settings().abstain_threshold
    for line in lines:
        assert line["lead"] is None or line["answer"].startswith(line["lead"]), line
        if line["answerable"] is None:  # no sentence was left to read: nothing to quote
            assert line["abstained"], line
            continue
        assert 0.0 <= line["answerable"] <= 1.0
        assert line["abstained"] == (line["answerable"] < threshold), line
    assert any(line["answerable"] is not None for line in lines)


@pytest.mark.usefixtures("use_real_model")
def test_text_corpus_custom_k_and_cache_reuse(tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    shutil.copytree(FIXTURE / "text", corpus)
    args = ["--corpus", str(corpus), "--questions", str(QUESTIONS), "--k", "3,1", "--limit", "2"]

    code, first, stderr = run_eval_cli(*args, "--json", "-")
    assert code == 0, stderr
    report = json.loads(first)
    assert list(report["overall"]) == [
        "n", "recall@1", "recall@3", "mrr", "answer_hit", "false_abstain", "abstain_unanswerable",
    ]  # fmt: skip
    assert report["overall"]["n"] == 2
    assert report["overall"]["recall@1"] == 1.0 and report["overall"]["mrr"] == 1.0
    assert report["settings"]["mrr_depth"] == 3
    assert report["settings"]["index_reused"] is False

    code, second, stderr = run_eval_cli(*args, "--json", "-")
    assert code == 0, stderr
    assert json.loads(second)["settings"]["index_reused"] is True
    assert "embedding" not in stderr  # nothing rebuilt

    (corpus / "tgv-sud-ouest.txt").unlink()
    code, third, stderr = run_eval_cli(*args, "--json", "-")
    assert code == 0, stderr
    rebuilt = json.loads(third)
    assert rebuilt["settings"]["index_reused"] is False
    assert rebuilt["corpus"]["articles"] == 5
    assert rebuilt["overall"]["recall@3"] == 0.5  # q2's article is gone


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?"}\n{not json\n', "utf-8")
    code, _, stderr = run_eval_cli(
        "--corpus", str(FIXTURE / "corpus.jsonl"), "--questions", str(bad)
    )
    assert code == 1
    assert stderr.strip().startswith("error: ") and "bad.jsonl:2" in stderr

    code, _, stderr = run_eval_cli(
        "--corpus", str(FIXTURE / "corpus.jsonl"), "--questions", str(QUESTIONS), "--k", "0,5"
    )
    assert code == 2 and "--k" in stderr


def test_questions_without_article_id_are_unanswerable() -> None:
    questions = read_questions(QUESTIONS)
    assert [q.article_id is None for q in questions] == [False] * 5 + [True]
    assert questions[4].answers == ("GaindeSAT-1A", "GaindeSAT")


def test_cache_key_follows_content_and_settings(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE / "text", corpus)
    embedder = HashingEmbedder()
    base = cache_key([corpus], load_settings(), embedder)
    (corpus / ".hidden.txt").write_text("not read by the indexer", "utf-8")
    assert cache_key([corpus], load_settings(), embedder) == base
    assert cache_key([corpus], load_settings(chunk_size=50), embedder) != base
    assert cache_key([corpus], load_settings(), HashingEmbedder(model_id="other")) != base
    with (corpus / "comte-fromage.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nUne phrase de plus.\n")
    assert cache_key([corpus], load_settings(), embedder) != base
