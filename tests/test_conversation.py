"""Follow-up questions: what a follow-up carries, memory limits, and `newsbot chat` using it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import runtime
from bot.answer.conversation import Conversations, Turn, contextualise, names_in
from bot.cli import main
from index.embedding import SentenceTransformerEmbedder
from index.models import SearchFilters

SINCE_2023 = SearchFilters(since="2023", sources=("journaldebangui",))


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Who invited Sergueï Lavrov to Mali?", ("Sergueï Lavrov", "Mali")),
        ("Quand l'ambassadeur de France a-t-il été expulsé du Mali ?", ("France", "Mali")),
        ("What about Jean-Yves Le Drian?", ("Jean-Yves Le Drian",)),
        ("L'Élysée a-t-il réagi ?", ("Élysée",)),
        ("Macron, Biden and Xi met", ("Macron", "Biden", "Xi")),
        ("and when did he leave?", ()),
    ],
)
def test_names_are_runs_of_capitalised_words(question: str, names: tuple[str, ...]) -> None:
    assert names_in(question) == names


def history(question: str, filters: SearchFilters | None = None) -> list[Turn]:
    return [Turn(question, names_in(question), filters, 0.0)]


@pytest.mark.parametrize(
    "follow_up",
    [
        "and when did he leave?",
        "Where does he go after Bamako?",
        "Et quand est-il reparti ?",
        "What about Nouakchott?",
    ],
)
def test_a_follow_up_carries_the_names_and_filters(follow_up: str) -> None:
    turn = contextualise(follow_up, None, history("Who invited Sergueï Lavrov?", SINCE_2023))
    assert turn.carried == ("Sergueï Lavrov",)
    assert turn.question == f"{follow_up} (Sergueï Lavrov)"
    assert turn.filters == SINCE_2023


def test_a_new_question_stands_alone() -> None:
    asked = "Où Lavrov se rendra-t-il après Bamako ?"  # "-t-il" is inversion, not "he"
    turn = contextualise(asked, None, history("Who invited Macron?", SINCE_2023))
    assert turn.carried == () and turn.question == asked and turn.filters is None


def test_own_filters_replace_the_carried_ones() -> None:
    own = SearchFilters(until="2022")
    turn = contextualise("and then?", own, history("Who invited Lavrov?", SINCE_2023))
    assert turn.filters == own and turn.carried == ("Lavrov",)


def test_conversations_are_capped_expire_and_are_bounded() -> None:
    now = [0.0]
    memory = Conversations(turns=2, ttl=60, max_conversations=3, clock=lambda: now[0])
    for question in ("Who is Alice?", "Who is Bob?", "Who is Carol?"):
        memory.record("t", memory.ask("t", question, None))
    assert [t.question for t in memory.history("t")] == ["Who is Bob?", "Who is Carol?"]
    assert memory.ask("t", "and where does she live?", None).carried == ("Carol",)
    now[0] = 61
    assert memory.history("t") == []  # expired
    for key in ("a", "b", "c", "d"):
        memory.record(key, memory.ask(key, "Who is Dan?", None))
    assert len(memory) == 3 and memory.history("a") == []  # the oldest conversation went
    assert memory.copy("d", "thread") and memory.history("thread")[0].names == ("Dan",)


def test_chat_answers_a_follow_up_in_context(
    sample_index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    monkeypatch.setattr(runtime, "make_embedder", lambda _settings: real_embedder)
    result = CliRunner().invoke(
        main,
        ["chat", "--index-dir", str(sample_index_dir)],
        input="Who invited Sergueï Lavrov to Mali?\nWhere does he go after Bamako?\n:quit\n",
    )
    assert result.exit_code == 0, result.output
    assert "Abdoulaye Diop" in result.stdout and "Mali : Sergueï Lavrov" in result.stdout
    assert "(follow-up about Sergueï Lavrov, Mali)" in result.stderr
