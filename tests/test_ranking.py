"""Ranking that can fail: a fixture corpus written for the tests, questions with a known order.

tests/fixtures/ranking/articles.jsonl holds 38 short news articles in French and English with
dates, outlets and urls: people who share a name (three Diallos), one minister in different
years, one wire story in two outlets (the second updated a day later), a story followed over
three years, and articles that only differ by date or outlet. questions.jsonl pairs 107
questions with the article that answers them. Everything runs on the real model and a real
index, through the public answering API (``AnswerService.answer``, ``Retriever.search``, the
CLI), and asserts orders and exact sets, not mere non-emptiness.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from bot.answer.service import AnswerOptions, AnswerService
from bot.cli import main
from index.builder import BuildConfig, build_index
from index.embedding import SentenceTransformerEmbedder
from index.fusion import fuse_scores
from index.models import SearchFilters
from index.query import PreparedQuestion
from index.retrieval import Method
from index.store import IndexStore

from .support import RANKING_DIR, shared_path, write_articles


def _jsonl(name: str) -> list[dict[str, Any]]:
    lines = (RANKING_DIR / name).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ARTICLES = {record["id"]: record for record in _jsonl("articles.jsonl")}
QUESTIONS = _jsonl("questions.jsonl")
DEPTH = 100  # more than the fixture's chunks: every method ranks every candidate
METHODS: tuple[Method, ...] = ("hybrid", "dense", "bm25")


def ranked(
    service: AnswerService,
    question: str | PreparedQuestion,
    filters: SearchFilters | None = None,
    method: Method = "hybrid",
) -> list[str]:
    """Article ids in the order the answering service's retriever ranks them.

    The same ranking as ``Answer.retrieved_article_ids`` (checked below), without composing an
    answer for each of the hundreds of questions.
    """
    retriever = service.retriever
    prepared = retriever.prepare(question, filters) if isinstance(question, str) else question
    hits = retriever.search(prepared, k=DEPTH, method=method)
    return list(dict.fromkeys(hit.article.id for hit in hits))


def ids_where(keep: Any) -> set[str]:
    return {article_id for article_id, record in ARTICLES.items() if keep(record)}


# --- the right article first, in English and in French ---------------------------------------

RIGHT_ORDER = [
    # Three people called Diallo: the question's one first.
    ("What did health minister Aminata Diallo launch?", ["diallo-sante-paludisme"]),
    ("Quelle campagne la ministre Aminata Diallo a-t-elle lancée ?", ["diallo-sante-paludisme"]),
    ("Who won the cashew export contract to Vietnam?", ["diallo-anacarde"]),
    (
        "Quel club a recruté l'attaquant Mamadou Diallo ?",
        ["diallo-lorient-signature", "diallo-lorient-doublé"],  # the footballer, both times
    ),
    # One minister, three events: the question's year or event first, his other budget next.
    (
        "How big was the 2022 budget presented by Karim Ouattara?",
        ["ouattara-budget-2022", "ouattara-budget-2024"],
    ),
    (
        "Quel était le montant du budget 2024 présenté par Karim Ouattara ?",
        ["ouattara-budget-2024", "ouattara-budget-2022"],
    ),
    ("Quel déficit prévoit le budget 2022 ?", ["ouattara-budget-2022"]),
    ("How much did the IMF lend to Ivory Coast?", ["ouattara-fmi"]),
    # Two gold mines halted in Mali, one article in each language.
    ("Why did a gold mine in Mali stop production?",
     ["mali-sadiola-gold", "mali-kobada-suspension"]),
    (
        "Pourquoi la mine de Kobada a-t-elle suspendu sa production ?",
        ["mali-kobada-suspension", "mali-sadiola-gold"],
    ),
    # Assorted facts, across languages as well.
    ("Which minister resigned after an audit of rural well contracts?",
     ["dakar-hydraulique-demission"]),
    ("Where will the looted treasures of King Behanzin be shown?", ["benin-tresors-abomey"]),
    ("What did the soldiers who seized power in Gabon dissolve?", ["gabon-parlement-dissous"]),
    ("How long is the doctors' strike in Senegal?", ["senegal-greve-medecins"]),
    ("Que réclame le mouvement « On a trop supporté » ?", ["cameroun-greve-2021"]),
    ("Quelle proportion de la récolte de vanille a été perdue dans la Sava ?",
     ["madagascar-vanille-cyclone"]),
    ("Qui a gagné le marathon de Boston ?", ["kenya-marathon-boston"]),
]  # fmt: skip


@pytest.mark.parametrize(("question", "expected"), RIGHT_ORDER)
def test_the_right_articles_come_first_in_order(
    ranking_service: AnswerService, question: str, expected: list[str]
) -> None:
    assert ranked(ranking_service, question)[: len(expected)] == expected


def test_the_answer_cites_the_right_diallo(ranking_service: AnswerService) -> None:
    question = "Quelle campagne la ministre Aminata Diallo a-t-elle lancée ?"
    answer = ranking_service.answer(question)
    assert answer.retrieved_article_ids == ranked(ranking_service, question)
    assert not answer.abstained, answer.text
    assert answer.citations[0].article_id == "diallo-sante-paludisme"
    assert answer.citations[0].source == "Le Soleil"
    assert "moustiquaires" in answer.text


# --- fusion against each single method ---------------------------------------------------------


@dataclass
class MethodScores:
    mrr: float
    first: int  # questions whose article is ranked first
    questions: int


def _scores_by_pair(service: AnswerService) -> dict[str, dict[str, MethodScores]]:
    """Per "question language>article language": each method's MRR and hits at rank 1."""
    languages = {
        article_id: meta.language
        for article_id, meta in service.loaded.db.articles(set(ARTICLES)).items()
    }
    reciprocal: dict[str, dict[str, list[float]]] = {}
    for row in QUESTIONS:
        pair = f"{row['lang']}>{languages[row['article_id']]}"
        prepared = service.retriever.prepare(row["question"])  # embedded once for all methods
        for method in METHODS:
            order = ranked(service, prepared, method=method)
            rank = order.index(row["article_id"]) + 1 if row["article_id"] in order else None
            reciprocal.setdefault(pair, {}).setdefault(method, []).append(1 / rank if rank else 0)
    return {
        pair: {
            method: MethodScores(sum(values) / len(values), values.count(1.0), len(values))
            for method, values in methods.items()
        }
        for pair, methods in reciprocal.items()
    }


@pytest.fixture(scope="module")
def scores_by_pair(ranking_service: AnswerService) -> dict[str, dict[str, MethodScores]]:
    return _scores_by_pair(ranking_service)


def test_the_question_set_covers_every_pairing(
    scores_by_pair: dict[str, dict[str, MethodScores]],
) -> None:
    sizes = {pair: methods["hybrid"].questions for pair, methods in scores_by_pair.items()}
    assert set(sizes) == {"en>fr", "fr>fr", "fr>en", "en>en"}
    assert sizes["en>fr"] >= 40 and sizes["fr>fr"] >= 40


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(
            "en>fr",
            marks=pytest.mark.xfail(
                strict=True,
                reason="with English words translated (index/crosslingual.py) BM25 alone ranks "
                "English questions over French text best on this fixture (MRR 0.90, first 46 of "
                "55), the fusion (lexical 0.3 across languages) 0.84 (40), dense alone 0.59. "
                "Equal shares gave 0.88 here but recall@5 on xling-dev English fell from 0.961 "
                "to 0.944, so the weight stays",
            ),
        ),
        "fr>fr",
        "en>en",
        pytest.param(
            "fr>en",
            marks=pytest.mark.xfail(
                strict=True,
                reason="across languages the fusion trusts dense (0.7), but the English-centric "
                "model embeds a French question poorly: on French questions over English "
                "articles BM25 alone ranks better (MRR 0.58 against 0.51 on this fixture)",
            ),
        ),
    ],
)
def test_fusion_beats_or_equals_each_single_method(
    scores_by_pair: dict[str, dict[str, MethodScores]], pair: str
) -> None:
    scores = scores_by_pair[pair]
    hybrid = scores["hybrid"]
    for method in ("dense", "bm25"):
        assert hybrid.mrr >= scores[method].mrr - 1e-9, (pair, method, scores)
        assert hybrid.first >= scores[method].first, (pair, method, scores)


def test_each_method_wins_where_the_design_says(
    scores_by_pair: dict[str, dict[str, MethodScores]],
) -> None:
    """BM25 is the better single method for French over French, and, once an English
    question's words are translated, the fusion ranks English questions over French text far
    better than the English-centric dense model alone."""
    assert scores_by_pair["en>fr"]["hybrid"].mrr > scores_by_pair["en>fr"]["dense"].mrr + 0.2
    assert scores_by_pair["fr>fr"]["bm25"].mrr > scores_by_pair["fr>fr"]["dense"].mrr + 0.15


# Questions where the two methods disagree and the language weight decides. The method named
# ranks the article first, the other does not; mirroring the weight ranks another article first.
# (An English case where dense was right and BM25 wrong is gone: with its words translated,
# BM25 now finds "What are villagers afraid of after the dam collapsed?" too.)
WEIGHT_CASES = [
    ("Quelles villes n'assurent que les urgences ?", "senegal-greve-medecins", "bm25"),
]


@pytest.mark.parametrize(("question", "article_id", "trusted"), WEIGHT_CASES)
def test_the_language_weight_picks_the_method_to_trust(
    ranking_service: AnswerService, question: str, article_id: str, trusted: Method
) -> None:
    other: Method = "bm25" if trusted == "dense" else "dense"
    assert ranked(ranking_service, question, method=trusted)[:1] == [article_id]
    assert ranked(ranking_service, question, method=other)[:1] != [article_id]
    assert ranked(ranking_service, question)[0] == article_id
    # The same candidates and raw scores, fused with the weight mirrored, misrank.
    retriever = ranking_service.retriever
    prepared = retriever.prepare(question)
    hits = retriever.search(prepared, k=DEPTH, method="hybrid")
    same_language = np.array([hit.article.language == prepared.language for hit in hits])
    dense = np.array([hit.dense for hit in hits], dtype=np.float64)
    lexical = np.array([hit.lexical for hit in hits], dtype=np.float64)
    mirrored = fuse_scores(dense, lexical, ~same_language)
    assert hits[int(np.argmax(mirrored))].article.id != article_id


# --- date and outlet filters --------------------------------------------------------------------

DATE_FILTERS = [
    # (since, until): partial dates compare on the precision they give
    ("2024", None),
    (None, "2021"),
    ("2022-03", "2022-04"),  # takes the month-only "2022-03" article and both of 2022-04-18
    ("2023-08-13", "2023-08-13"),  # one day: the updated wire story only
    ("2021-11", "2021-11"),
]


def _in_range(date: str | None, since: str | None, until: str | None) -> bool:
    """The documented rule: an article passes when its date, cut to the filter's precision, is
    within the bounds; an undated article fails every date filter."""
    if date is None:
        return False
    return (since is None or date[: len(since)] >= since) and (
        until is None or date[: len(until)] <= until
    )


@pytest.mark.parametrize(("since", "until"), DATE_FILTERS)
def test_date_filters_keep_exactly_the_articles_in_range(
    ranking_service: AnswerService, since: str | None, until: str | None
) -> None:
    filters = SearchFilters(since=since, until=until)
    expected = ids_where(lambda r: _in_range(r["date"], since, until))
    assert expected  # each filter keeps something, so the check below means something
    got = ranked(ranking_service, "Quelles sont les nouvelles ?", filters)
    assert set(got) == expected


def test_date_filter_edges_by_hand(ranking_service: AnswerService) -> None:
    """The cases the rule above decides, spelled out: month-only, year-only and undated."""

    def kept(since: str | None, until: str | None) -> set[str]:
        return set(
            ranked(ranking_service, "Sahel, Afrique, lac Tchad", SearchFilters(since, until))
        )

    assert "sahel-secheresse-troupeaux" in kept("2022-03", "2022-03")  # dated "2022-03"
    assert "sahel-secheresse-troupeaux" not in kept("2022-04", None)
    assert "sahel-secheresse-troupeaux" not in kept(None, "2022-02")
    assert "afrique-bilan-2021" in kept("2021", "2021")  # dated "2021"
    assert "afrique-bilan-2021" not in kept("2022", None)
    assert "tchad-lac-peche" in set(ranked(ranking_service, "lac Tchad"))  # undated
    assert "tchad-lac-peche" not in kept("1900", None)


def test_a_date_filter_reorders_a_ministers_budgets(ranking_service: AnswerService) -> None:
    question = "Quel budget Karim Ouattara a-t-il présenté ?"
    assert ranked(ranking_service, question, SearchFilters(until="2022"))[0] == (
        "ouattara-budget-2022"
    )
    assert ranked(ranking_service, question, SearchFilters(since="2023"))[0] == (
        "ouattara-budget-2024"
    )


@pytest.mark.parametrize(
    "sources",
    [("RFI",), ("rfi",), ("Le Monde", "Reuters"), ("The Guardian",)],
)
def test_outlet_filters_keep_exactly_those_outlets(
    ranking_service: AnswerService, sources: tuple[str, ...]
) -> None:
    wanted = {source.lower() for source in sources}
    expected = ids_where(lambda r: r["source"].lower() in wanted)
    got = ranked(ranking_service, "Quelles sont les nouvelles ?", SearchFilters(sources=sources))
    assert set(got) == expected


@pytest.mark.parametrize(
    ("outlet", "expected"),
    [("Le Monde", "niamey-inondations-lemonde"), ("RFI", "niamey-inondations-rfi")],
)
def test_outlet_filter_picks_that_outlets_copy_of_a_wire_story(
    ranking_service: AnswerService, outlet: str, expected: str
) -> None:
    filters = SearchFilters(sources=(outlet,))
    got = ranked(ranking_service, "How many people died in the Niamey floods?", filters)
    assert got[0] == expected
    answer = ranking_service.answer("Inondations à Niamey : combien de morts ?", filters=filters)
    assert {c.source for c in answer.citations} == {outlet}


def test_outlet_and_dates_combine(ranking_service: AnswerService) -> None:
    filters = SearchFilters(since="2023", until="2023", sources=("Le Soleil",))
    expected = {"diallo-sante-paludisme", "senegal-salon-eau", "senegal-greve-medecins"}
    assert set(ranked(ranking_service, "Santé au Sénégal", filters)) == expected


# --- "latest" questions -------------------------------------------------------------------------

# One story told several times. Without a recency cue an older article matches best (checked as
# a precondition); asking for the latest news must put the newest one first.
LATEST = [
    # (question with a cue, the same without, the newest article, the older ones)
    ("Quelles sont les dernières nouvelles de Mamadou Diallo ?",
     "Quelles sont les nouvelles de Mamadou Diallo ?",
     "diallo-lorient-doublé", ["diallo-lorient-signature"]),
    ("What is the latest news about the Senegal presidential election?",
     "What about the Senegal presidential election?",
     "senegal-report-election-guardian", ["senegal-report-election-ap"]),
    ("Quelles sont les dernières nouvelles sur la grève des enseignants au Cameroun ?",
     "Que sait-on de la grève des enseignants au Cameroun ?",
     "cameroun-greve-2024", ["cameroun-greve-2022", "cameroun-greve-2021"]),
    ("Où en est la grève des enseignants au Cameroun ?",
     "Que sait-on de la grève des enseignants au Cameroun ?",
     "cameroun-greve-2024", ["cameroun-greve-2022", "cameroun-greve-2021"]),
    ("Latest on the Niamey floods", "Niamey floods",
     "niamey-inondations-rfi", ["niamey-inondations-lemonde"]),
]  # fmt: skip


@pytest.mark.parametrize(("latest", "plain", "newest", "older"), LATEST)
def test_without_a_recency_cue_an_older_article_matches_best(
    ranking_service: AnswerService, latest: str, plain: str, newest: str, older: list[str]
) -> None:
    assert all(ARTICLES[newest]["date"] > ARTICLES[other]["date"] for other in older)
    assert ranked(ranking_service, plain)[0] in older


@pytest.mark.parametrize(("latest", "plain", "newest", "older"), LATEST)
def test_latest_questions_put_the_newest_matching_article_first(
    ranking_service: AnswerService, latest: str, plain: str, newest: str, older: list[str]
) -> None:
    order = ranked(ranking_service, latest)
    assert order[0] == newest
    assert set(older) <= set(order[: 1 + len(older) + 1])  # the older ones follow closely


@pytest.mark.parametrize(("latest", "plain", "newest", "older"), LATEST)
def test_latest_questions_are_answered_from_the_newest_report(
    ranking_service: AnswerService, latest: str, plain: str, newest: str, older: list[str]
) -> None:
    answer = ranking_service.answer(latest)
    assert not answer.abstained
    assert answer.citations[0].article_id == newest
    assert ranking_service.answer(plain).citations[0].article_id != newest  # it had to change


def test_an_unrelated_newer_article_does_not_jump_the_story(
    ranking_service: AnswerService,
) -> None:
    # Aminata Diallo's campaign (2023-06) is newer than Mamadou Diallo's transfer (2023-03) and
    # shares his surname: it is not his story, so it stays behind both his reports.
    order = ranked(ranking_service, "What is the latest news about Mamadou Diallo?")
    assert order[:2] == ["diallo-lorient-doublé", "diallo-lorient-signature"]


# --- the command line ---------------------------------------------------------------------------


def test_cli_ask_json_applies_outlet_and_date_filters(ranking_index_dir: Path) -> None:
    """`newsbot ask --json` with spelled-out filters, as a user types them."""
    result = CliRunner().invoke(
        main,
        [
            "ask", "Inondations à Niamey : combien de morts ?", "--json",
            "--source", "le monde", "--since", "août 2023", "--until", "2023",
            "--index-dir", str(ranking_index_dir),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["article_id"] for c in data["citations"]][:1] == ["niamey-inondations-lemonde"]
    assert {c["source"] for c in data["citations"]} == {"Le Monde"}


# --- "latest" questions on real news: one story told many times ----------------------------------


def test_latest_news_on_a_real_story_cites_its_newest_report(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """OrangeSum told Carlos Ghosn's story in 70 articles over two years: asking for the latest
    news must answer from the newest of them, among unrelated articles of the same months."""
    source = shared_path("corpus", "orangesum.jsonl.gz")
    story: list[dict[str, str]] = []
    others: list[dict[str, str]] = []
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if "Ghosn" in record["title"]:
                story.append(record)
            elif "Ghosn" not in record["text"] and len(others) < 60:
                others.append(record)
    newest = max(story, key=lambda r: r["date"])
    assert sum(r["date"] == newest["date"] for r in story) == 1  # one newest report
    corpus = write_articles(tmp_path / "ghosn.jsonl", story + others)
    build_index(IndexStore(tmp_path / "index"), [corpus], real_embedder, BuildConfig())
    service = AnswerService(IndexStore(tmp_path / "index"), real_embedder, AnswerOptions())
    for question in (
        "Quelles sont les dernières nouvelles de Carlos Ghosn ?",
        "What is the latest news about Carlos Ghosn?",
    ):
        answer = service.answer(question)
        assert not answer.abstained, question
        assert answer.citations[0].article_id == newest["id"], question
    plain = service.answer("Que sait-on de Carlos Ghosn ?")
    assert plain.retrieved_article_ids[0] != newest["id"]  # without the cue, another one leads
