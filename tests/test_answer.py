"""Extractive answers with citations, on the sample article, with the real model and index."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from bot.answer.citations import CitationList
from bot.answer.extract import asks_when, date_expression
from bot.answer.messages import ENGLISH, FRENCH
from bot.answer.models import Answer
from bot.answer.service import AnswerOptions, AnswerService
from index.builder import BuildConfig, build_index
from index.embedding import SentenceTransformerEmbedder
from index.models import ArticleMeta, SearchFilters
from index.store import IndexStore
from index.text import MONTH_NAMES, fold, parse_date

from .invariants import article_text, check_invariants, markers
from .support import SAMPLE_DIR

SAMPLE_ID = "mali-russie-lavrov-2023-02"

ANSWERABLE = [
    ("When was the French ambassador expelled from Mali?", "en", "janvier 2022"),
    # Without "Mali", only the lexicon joins "French"/"France" and "expelled"/"expulsion".
    ("When was the French ambassador expelled?", "en", "janvier 2022"),
    ("Quand l'ambassadeur de France a-t-il été expulsé du Mali ?", "fr", "janvier 2022"),
    ("Who invited Lavrov to Mali?", "en", "Abdoulaye Diop"),
    ("Qui a invité Sergueï Lavrov au Mali ?", "fr", "Abdoulaye Diop"),
    ("Where does Lavrov go after Bamako?", "en", "Nouakchott"),
    ("Où Lavrov se rendra-t-il après Bamako ?", "fr", "Nouakchott"),
]
UNRELATED = [
    ("Who won the 2018 football World Cup?", "en"),
    ("Quelle est la recette de la tartiflette ?", "fr"),
    ("What is the boiling point of water on Mount Everest?", "en"),
]


@pytest.mark.parametrize(("question", "language", "fact"), ANSWERABLE)
def test_answers_quote_the_fact_and_cite_the_article(
    answer_service: AnswerService, question: str, language: str, fact: str
) -> None:
    answer = answer_service.answer(question)
    assert not answer.abstained, answer.text
    assert fact in answer.text
    assert answer.language == language
    check_invariants(answer.text, answer.citations, abstained=False)
    assert [c.article_id for c in answer.citations] == [SAMPLE_ID]
    cited = answer.citations[0]
    assert cited.date == "2023-02" and cited.source == "journaldebangui"
    article = article_text(answer_service.loaded.db, SAMPLE_ID)
    for quote in cited.quote.split(" … "):
        assert quote in article  # quotes are exact text of the article
    assert len(markers(answer.text)) <= 2


WHEN_QUESTIONS = [q for q, _, _ in ANSWERABLE if q.startswith(("When", "Quand"))]


@pytest.mark.parametrize("question", WHEN_QUESTIONS)
def test_when_questions_lead_with_the_date(answer_service: AnswerService, question: str) -> None:
    answer = answer_service.answer(question)
    assert answer.text.startswith("janvier 2022")


@pytest.mark.parametrize(("question", "language"), UNRELATED)
def test_unrelated_questions_abstain_with_closest_matches(
    answer_service: AnswerService, question: str, language: str
) -> None:
    answer = answer_service.answer(question)
    assert answer.abstained
    messages = FRENCH if language == "fr" else ENGLISH
    assert answer.text == messages.no_answer
    assert answer.language == language
    check_invariants(answer.text, answer.citations, abstained=True)
    assert [c.article_id for c in answer.citations] == [SAMPLE_ID]  # closest match shown


@pytest.mark.parametrize(
    "filters", [SearchFilters(since="2024"), SearchFilters(sources=("lemonde",))]
)
def test_filters_that_exclude_everything_abstain(
    answer_service: AnswerService, filters: SearchFilters
) -> None:
    answer = answer_service.answer("Qui a invité Lavrov ?", filters=filters)
    assert answer.abstained and answer.citations == []
    assert answer.text == FRENCH.empty_index


def test_filters_that_keep_the_article_still_answer(answer_service: AnswerService) -> None:
    filters = SearchFilters(since="2023-01", until="2023-02", sources=("journaldebangui",))
    answer = answer_service.answer("Qui a invité Lavrov ?", filters=filters)
    assert not answer.abstained and "Abdoulaye Diop" in answer.text


def test_json_shape_is_exact(answer_service: AnswerService) -> None:
    data = answer_service.answer("Where does Lavrov go after Bamako?").to_json()
    assert list(data) == ["question", "answer", "abstained", "language", "citations", "timings_ms"]
    assert list(data["citations"][0]) == [
        "n", "article_id", "title", "date", "source", "url", "quote",
    ]  # fmt: skip
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    assert data["timings_ms"]["total"] >= data["timings_ms"]["retrieve"] > 0


def test_ranked_articles_are_reported_for_evaluation(answer_service: AnswerService) -> None:
    answer = answer_service.answer("Lavrov à Bamako")
    assert answer.retrieved_article_ids == [SAMPLE_ID]


def test_sources_lists_outlets(answer_service: AnswerService) -> None:
    assert answer_service.sources() == ["journaldebangui"]


def test_concurrent_answers_and_reload(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """Answers in flight survive a reload; the new generation serves afterwards."""
    root = tmp_path / "index"
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_DIR, corpus)
    store = IndexStore(root)
    build_index(store, [corpus], real_embedder, BuildConfig())
    service = AnswerService(store, real_embedder, AnswerOptions())
    first = service.loaded.directory
    results: list[Answer] = []

    def ask() -> None:
        results.append(service.answer("Où Lavrov se rendra-t-il après Bamako ?"))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    build_index(store, [corpus], real_embedder, BuildConfig())
    service.reload()
    for thread in threads:
        thread.join()
    assert service.loaded.directory != first
    assert all("Nouakchott" in a.text for a in results)
    assert "Nouakchott" in service.answer("Where does Lavrov go after Bamako?").text


# --- pure parts ----------------------------------------------------------------------------------


def test_citations_merge_quotes_from_one_article() -> None:
    a = ArticleMeta("a", "Titre A", "2023-02", "outlet", None)
    b = ArticleMeta("b", "Titre B", None, None, "https://example.org/b")
    cites = CitationList()
    assert [cites.cite(a, "Un."), cites.cite(b, "Deux."), cites.cite(a, "Trois.")] == [1, 2, 1]
    listed = cites.citations()
    assert [(c.n, c.article_id, c.quote) for c in listed] == [
        (1, "a", "Un. … Trois."),
        (2, "b", "Deux."),
    ]
    check_invariants("« Un. » [1] « Deux. » [2]", listed, abstained=False)
    with pytest.raises(AssertionError):
        check_invariants("« Un. » [1]", listed, abstained=False)


@pytest.mark.parametrize(
    ("sentence", "anchors", "expected"),
    [
        ("Il sera à Bamako à partir de ce lundi 6 novembre.", [], "lundi 6 novembre"),
        ("L'expulsion en janvier 2022 de l'ambassadeur, puis 1960.", ["expuls"], "janvier 2022"),
        ("Une coopération qui remonte à 1960, puis l'expulsion de janvier 2022.", ["coop"], "1960"),
        ("The game was played on February 7, 2016 in Santa Clara.", [], "February 7, 2016"),
        ("Il mai pas de date ici.", [], None),
    ],
)
def test_date_expressions(sentence: str, anchors: list[str], expected: str | None) -> None:
    assert date_expression(sentence, anchors) == expected


@pytest.mark.parametrize(("number", "names"), list(enumerate(MONTH_NAMES, start=1)))
def test_date_expressions_know_every_month_the_date_parser_knows(
    number: int, names: tuple[str, str, tuple[str, ...], tuple[str, ...]]
) -> None:
    """One list of month names: a date quoted for a "when" question is one parse_date reads."""
    french, english, dotted, _ = names
    for name in (french, fold(french), english.title(), *(f"{a}." for a in dotted)):
        found = date_expression(f"Le traité a été signé le 6 {name} 2023 à Bamako.")
        assert found == f"6 {name} 2023"
        assert parse_date(found) == f"2023-{number:02d}-06"


def test_when_questions_are_recognised() -> None:
    assert asks_when("When was the ambassador expelled?")
    assert asks_when("En quelle année le traité a-t-il été signé ?")
    assert asks_when("Quand Lavrov arrive-t-il ?")
    assert not asks_when("Who invited Lavrov?")
