"""Hybrid retrieval with the real model, real FAISS and real BM25 files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.builder import BuildConfig, build_index
from index.embedding import SentenceTransformerEmbedder
from index.fusion import fuse_scores, zscores
from index.models import SearchFilters
from index.recency import story_words, wants_recent
from index.retrieval import Retriever
from index.store import IndexStore, LoadedIndex

from .invariants import article_text
from .support import shared_path

SAMPLE_ID = "mali-russie-lavrov-2023-02"


@pytest.fixture(scope="module")
def sample_loaded(sample_index_dir: Path) -> Iterator[LoadedIndex]:
    loaded = IndexStore(sample_index_dir).open()
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def retriever(sample_loaded: LoadedIndex, real_embedder: SentenceTransformerEmbedder) -> Retriever:
    return Retriever(sample_loaded, real_embedder)


# --- fusion rule ------------------------------------------------------------------------------


def test_fusion_trusts_bm25_within_a_language_and_dense_across() -> None:
    dense = np.array([0.9, 0.1, 0.5])
    lexical = np.array([0.0, 10.0, 5.0])
    same = fuse_scores(dense, lexical, np.array([True, True, True]))
    cross = fuse_scores(dense, lexical, np.array([False, False, False]))
    assert int(np.argmax(same)) == 1  # BM25's favourite wins when languages match
    assert int(np.argmax(cross)) == 0  # the dense favourite wins across languages


def test_constant_scores_carry_no_signal() -> None:
    assert zscores(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]
    assert zscores(np.array([], dtype=np.float64)).tolist() == []


@pytest.mark.parametrize(
    "question",
    [
        "What is the latest news about Mali?",
        "Any update on the teachers' strike?",
        "What happened recently in Niamey?",
        "Quelles sont les dernières nouvelles du Mali ?",
        "Quel est le dernier bilan des inondations ?",
        "Où en sont les négociations avec les syndicats ?",
        "Qu'a dit le ministre ces derniers jours ?",
        "Les mesures les plus récentes au Mali ?",
    ],
)
def test_questions_asking_for_news_want_the_newest(question: str) -> None:
    assert wants_recent(question)


def test_a_latest_question_matches_its_story_not_its_words_about_time() -> None:
    words = story_words("Quelles sont les dernières nouvelles de Notre-Dame de Paris ?").split()
    assert "Notre-Dame" in words and "Paris" in words
    assert not {"dernières", "nouvelles"} & set(words)
    assert "bilan" in story_words("Quel est le dernier bilan des inondations ?")


@pytest.mark.parametrize(
    "question",
    [
        "Who invited Lavrov?",
        "Combien de points avait le Sénégal avant son dernier match de groupe ?",
        "Qui fut le dernier roi du Dahomey ?",
        "Quelle est la dernière étape du rallye ?",
        "Who won the last match of the tournament?",
    ],
)
def test_last_in_a_sequence_is_not_a_recency_cue(question: str) -> None:
    assert not wants_recent(question)


# --- the sample index ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["hybrid", "dense", "bm25"])
def test_every_method_finds_the_sample_article(retriever: Retriever, method: str) -> None:
    question = retriever.prepare("Lavrov Bamako Nouakchott")
    hits = retriever.search(question, k=3, method=method)  # type: ignore[arg-type]
    assert hits and hits[0].article.id == SAMPLE_ID
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_hits_carry_both_raw_scores(retriever: Retriever) -> None:
    hits = retriever.search(retriever.prepare("Qui a invité Sergueï Lavrov ?"), k=3)
    assert hits
    assert all(h.dense is not None and h.lexical is not None for h in hits)
    best = hits[0]
    assert "invitation" in best.chunk.text
    # the chunk's span gives back its exact text in the article
    text = article_text(retriever.index.db, best.chunk.article_id)
    assert text[best.chunk.start : best.chunk.end] == best.chunk.text


def test_a_question_is_prepared_once_with_what_every_stage_needs(retriever: Retriever) -> None:
    filters = SearchFilters(since="2023")
    question = retriever.prepare("Qui a invité Sergueï Lavrov à Bamako ?", filters)
    assert question.language == "fr" and question.filters == filters
    assert question.vector is not None and question.vector.shape == (384,)
    assert {"invit", "lavrov", "bamako"} <= set(question.tokens)  # folded, stemmed, no stopwords
    assert set(question.term_weights) == set(question.tokens)
    lexical_only = retriever.prepare("Lavrov", embed=False)
    assert lexical_only.vector is None
    with pytest.raises(ValueError, match="without a vector"):
        retriever.search(lexical_only, k=3, method="dense")


def test_hybrid_scores_are_those_of_each_retriever(retriever: Retriever) -> None:
    """Every fused candidate carries its BM25 score from the one scoring of the question and its
    cosine with the stored vector, whichever retriever's list it came from."""
    question = retriever.prepare("Qui a invité Sergueï Lavrov ?")
    hits = retriever.search(question, k=10)
    assert len(hits) > 2
    ids = [h.chunk.id for h in hits]
    bm25 = retriever.index.lexical.score(question.tokens).of(ids)
    cosines = retriever.index.vectors.reconstruct_many(ids) @ question.require_vector()
    assert [h.lexical for h in hits] == pytest.approx(bm25)
    assert [h.dense for h in hits] == pytest.approx(cosines.tolist(), abs=1e-5)


def test_accent_folding_matches_unaccented_capitals(retriever: Retriever) -> None:
    """The article writes "Affaires Etrangères"; a question may write "affaires étrangères"."""
    for query in ("ministre des affaires étrangères", "MINISTRE DES AFFAIRES ETRANGERES"):
        hits = retriever.search(retriever.prepare(query, embed=False), k=1, method="bm25")
        assert hits and "Affaires Etrangères" in hits[0].chunk.text


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        (SearchFilters(since="2023"), True),
        (SearchFilters(since="2023-02", until="2023-02"), True),
        (SearchFilters(since="2023-03"), False),
        (SearchFilters(until="2023-01"), False),
        (SearchFilters(sources=("JournalDeBangui",)), True),
        (SearchFilters(sources=("lemonde",)), False),
    ],
)
@pytest.mark.parametrize("method", ["hybrid", "dense", "bm25"])
def test_filters_apply_to_every_method(
    retriever: Retriever, filters: SearchFilters, found: bool, method: str
) -> None:
    question = retriever.prepare("Lavrov Bamako", filters)
    hits = retriever.search(question, k=5, method=method)  # type: ignore[arg-type]
    assert bool(hits) is found


def test_recent_questions_prefer_newer_articles(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "mali.jsonl"
    body = "Le gouvernement du Mali a annoncé de nouvelles mesures économiques et sécuritaires"
    rows = [
        {"id": "old", "title": "Mali : mesures de mars", "text": body + " en mars.",
         "date": "2021-03-01"},
        {"id": "new", "title": "Mali : mesures de mai", "text": body + " en mai.",
         "date": "2023-05-01"},
        {"id": "mid", "title": "Mali : mesures de janvier", "text": body + " en janvier.",
         "date": "2022-01-01"},
    ]  # fmt: skip
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    store = IndexStore(tmp_path / "index")
    build_index(store, [corpus], real_embedder, BuildConfig())
    loaded = store.open()
    try:
        retriever = Retriever(loaded, real_embedder)
        for question in (
            "What is the latest news about Mali?",
            "Dernières nouvelles du Mali ?",
            "Les mesures les plus récentes au Mali ?",
        ):
            hits = retriever.search(retriever.prepare(question), k=3)
            assert hits[0].article.id == "new"
    finally:
        loaded.close()


# --- cross-lingual recall on the shared dev set ------------------------------------------------


def _recall_at_5(retriever: Retriever, questions: list[dict[str, str]]) -> dict[str, float]:
    """Article-level recall@5 of each method; the question is prepared once for all three."""
    found = {"hybrid": 0, "dense": 0, "bm25": 0}
    for q in questions:
        prepared = retriever.prepare(q["question"])
        for method in found:
            hits = retriever.search(prepared, k=80, method=method)  # type: ignore[arg-type]
            ranked = list(dict.fromkeys(h.article.id for h in hits))
            found[method] += q["article_id"] in ranked[:5]
    return {method: n / len(questions) for method, n in found.items()}


@pytest.mark.slow
@pytest.mark.shared
def test_fusion_beats_both_retrievers_in_english_and_french(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> None:
    corpus = shared_path("eval", "xling-dev", "corpus.jsonl")
    lines = shared_path("eval", "xling-dev", "questions.jsonl").read_text("utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    store = IndexStore(tmp_path_factory.mktemp("xling-index"))
    build_index(store, [corpus], real_embedder, BuildConfig())
    loaded = store.open()
    try:
        retriever = Retriever(loaded, real_embedder)
        for lang in ("en", "fr"):
            subset = [q for q in questions if q["lang"] == lang]
            recall = _recall_at_5(retriever, subset)
            assert recall["hybrid"] > max(recall["dense"], recall["bm25"]), (lang, recall)
    finally:
        loaded.close()
