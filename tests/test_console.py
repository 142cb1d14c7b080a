"""`newsbot ask` and `newsbot chat` end to end: real model, real sample index, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import runtime
from bot.cli import main
from index.embedding import SentenceTransformerEmbedder

from .invariants import markers


@pytest.fixture(autouse=True)
def _model_loaded_once(
    monkeypatch: pytest.MonkeyPatch, real_embedder: SentenceTransformerEmbedder
) -> None:
    """The commands load the model through runtime.make_embedder: reuse the session's copy."""
    monkeypatch.setattr(runtime, "make_embedder", lambda _settings: real_embedder)


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_ask_json_has_exactly_the_documented_shape(sample_index_dir: Path) -> None:
    code, out, _ = _run(
        "ask", "Who invited Lavrov to Mali?", "--json", "--index-dir", str(sample_index_dir)
    )
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["question", "answer", "abstained", "language", "citations", "timings_ms"]
    assert data["abstained"] is False and data["language"] == "en"
    assert "Abdoulaye Diop" in data["answer"]
    assert [c["n"] for c in data["citations"]] == sorted(set(markers(data["answer"])))
    assert list(data["timings_ms"]) == ["retrieve", "answer", "total"]


def test_ask_prints_answer_then_sources(sample_index_dir: Path) -> None:
    code, out, _ = _run(
        "ask", "Où Lavrov se rendra-t-il après Bamako ?", "--index-dir", str(sample_index_dir)
    )
    assert code == 0
    answer, sources = out.split("\nSources\n")
    assert "Nouakchott" in answer and "[1]" in answer
    assert sources.startswith("[1] Mali : Sergueï Lavrov attendu à Bamako")
    assert "— 2023-02 — journaldebangui" in sources


def test_ask_with_filters_that_exclude_the_article(sample_index_dir: Path) -> None:
    code, out, _ = _run(
        "ask", "Who invited Lavrov?", "--since", "2024-01", "--json",
        "--index-dir", str(sample_index_dir),
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["abstained"] is True and data["citations"] == []


def test_unrelated_question_shows_closest_matches(sample_index_dir: Path) -> None:
    code, out, _ = _run(
        "ask", "Quelle est la recette de la tartiflette ?", "--index-dir", str(sample_index_dir)
    )
    assert code == 0
    assert out.startswith("Les actualités indexées ne répondent pas à cette question.")
    assert "Résultats les plus proches" in out


def test_bad_date_is_a_usage_error_naming_the_option(sample_index_dir: Path) -> None:
    code, _, err = _run("ask", "Lavrov ?", "--since", "soon", "--index-dir", str(sample_index_dir))
    assert code == 2 and "--since" in err


def test_missing_index_is_one_line_and_exit_1(tmp_path: Path) -> None:
    code, out, err = _run("ask", "Lavrov ?", "--index-dir", str(tmp_path / "nothing"))
    assert code == 1 and out == ""
    assert err.startswith("error: no index in") and err.count("\n") == 1


def test_chat_answers_until_quit(sample_index_dir: Path) -> None:
    code, out, _ = _run(
        "chat", "--index-dir", str(sample_index_dir),
        stdin="Who invited Lavrov?\n\nOù Lavrov se rendra-t-il après Bamako ?\n:quit\nignored\n",
    )  # fmt: skip
    assert code == 0
    assert "Abdoulaye Diop" in out and "Nouakchott" in out
    assert "ignored" not in out


def test_chat_ends_on_ctrl_d(sample_index_dir: Path) -> None:
    code, out, _ = _run("chat", "--index-dir", str(sample_index_dir), stdin="Who invited Lavrov?\n")
    assert code == 0 and "Abdoulaye Diop" in out
