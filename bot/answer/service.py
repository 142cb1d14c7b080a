"""The one answering service: question in, extractive cited ``Answer`` out.

Every front end (console, Discord, eval) calls ``AnswerService.answer`` and only renders the
result. The service owns the opened index generation and can swap in a new one (``reload``)
while answers are in flight: each answer holds the generation it started on until it is done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.answer.citations import CitationList
from bot.answer.extract import (
    ScoredSentence,
    asks_when,
    choose,
    date_expression,
    score_sentences,
)
from bot.answer.messages import Messages, messages_for
from bot.answer.models import Answer, Citation
from bot.answer.more import more_sources
from index.embedding import Embedder
from index.models import ArticleMeta, Hit, SearchFilters
from index.query import PreparedQuestion
from index.retrieval import Retriever
from index.store import IndexStore, LoadedIndex

#: Calibrated relevance (``bot.answer.extract.calibrate``, an estimated probability that the
#: best sentence answers) below which the corpus is said not to answer. 0.5 maximises balanced
#: accuracy on the dev calibration data (answerable: xling-dev EN+FR, piaf-dev; unanswerable:
#: xling-dev questions over piaf-dev's corpus, which lacks their passages).
DEFAULT_ABSTAIN_THRESHOLD = 0.5
#: Ranked chunks fetched per question: the first ``top_k`` are read for sentences, all of them
#: give ``Answer.retrieved_article_ids`` (evaluation scores recall up to depth 20).
RANKED_DEPTH = 80
CLOSEST_MATCHES = 3


@dataclass(frozen=True)
class AnswerOptions:
    """Answering knobs (settings NEWSBOT_TOP_K, NEWSBOT_CANDIDATES, NEWSBOT_ABSTAIN_THRESHOLD)."""

    top_k: int = 5
    candidates: int = 50
    abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD


class _Generation:
    """An opened index with its retriever and the number of answers using it."""

    def __init__(self, loaded: LoadedIndex, retriever: Retriever) -> None:
        self.loaded = loaded
        self.retriever = retriever
        self.in_flight = 0
        self.retired = False
        # Read once: autocomplete asks on every keystroke, and a reload may close the database.
        self.sources = [name for name, _ in loaded.db.sources()]


class AnswerService:
    """Thread-safe: Discord calls ``answer`` from worker threads (``asyncio.to_thread``)."""

    def __init__(self, store: IndexStore, embedder: Embedder, options: AnswerOptions) -> None:
        """Open the store's live generation; raises IndexNotFoundError / IndexMismatchError."""
        self.store = store
        self.embedder = embedder
        self.options = options
        self._lock = threading.Lock()
        self._current = self._open()

    @property
    def loaded(self) -> LoadedIndex:
        return self._current.loaded

    @property
    def retriever(self) -> Retriever:
        """The live retriever, for evaluation baselines over exactly the same chunks."""
        return self._current.retriever

    def sources(self) -> list[str]:
        """Outlet names, most frequent first (for autocomplete)."""
        return list(self._current.sources)

    def reload(self) -> None:
        """Swap in the store's current generation; the old one closes when its answers finish."""
        fresh = self._open()
        with self._lock:
            old, self._current = self._current, fresh
            old.retired = True
            close_now = old.in_flight == 0
        if close_now:
            old.loaded.close()

    def answer(
        self, question: str, *, filters: SearchFilters | None = None, k: int | None = None
    ) -> Answer:
        """Quote at most two sentences that answer ``question`` and cite them, or abstain."""
        started = time.perf_counter()
        question = question.strip()
        top_k = k or self.options.top_k
        with self._use() as generation:
            retriever = generation.retriever
            if not question:
                messages = messages_for("en")
                return _abstention(question, messages, messages.empty_question, [], started)
            prepared = retriever.prepare(question, filters)
            messages = messages_for(prepared.language)
            hits = retriever.search(
                prepared, k=max(RANKED_DEPTH, top_k), candidates=self.options.candidates
            )
            retrieved_at = time.perf_counter()
            if not hits:
                empty = messages.empty_index if filters and filters.active else messages.no_answer
                return _abstention(question, messages, empty, [], started, retrieved_at)
            sentences = score_sentences(
                prepared, hits[:top_k], embedder=self.embedder, tokenize=retriever.tokenize
            )
        ranked_ids = list(dict.fromkeys(hit.chunk.article_id for hit in hits))
        best = max((s.relevance for s in sentences), default=0.0)
        if best < self.options.abstain_threshold:
            closest = _closest_matches(hits[:top_k], sentences)
            answer = Answer(question, messages.language, messages.no_answer, closest, True)
        else:
            chosen = choose(sentences)
            text, citations = _compose(prepared, chosen, hits, messages)
            answer = Answer(question, messages.language, text, citations, abstained=False)
        answer.retrieved_article_ids = ranked_ids
        answer.more = more_sources(hits, sentences, answer.citations)  # "More sources" (B)
        answer.timings_ms = _timings(started, retrieved_at)
        return answer

    # --- generations ----------------------------------------------------------------------
    def _open(self) -> _Generation:
        loaded = self.store.open(model_id=self.embedder.model_id, dimension=self.embedder.dimension)
        return _Generation(loaded, Retriever(loaded, self.embedder))

    @contextmanager
    def _use(self) -> Iterator[_Generation]:
        with self._lock:
            generation = self._current
            generation.in_flight += 1
        try:
            yield generation
        finally:
            with self._lock:
                generation.in_flight -= 1
                close_now = generation.retired and generation.in_flight == 0
            if close_now:
                generation.loaded.close()


def _compose(
    question: PreparedQuestion,
    chosen: list[ScoredSentence],
    hits: list[Hit],
    messages: Messages,
) -> tuple[str, list[Citation]]:
    """Quoted sentences with markers, led by the date expression for "when" questions."""
    meta = {hit.chunk.article_id: hit.article for hit in hits}
    cites = CitationList()
    parts = []
    for sentence in chosen:
        n = cites.cite(meta[sentence.article_id], sentence.text)
        parts.append(f"{messages.quote(sentence.text)} [{n}]")
    text = " ".join(parts)
    if asks_when(question.text):
        for sentence in sorted(chosen, key=lambda s: -s.score):
            found = date_expression(sentence.text, question.tokens)
            if found:
                text = messages.date_lead.format(date=found) + text
                break
    return text, cites.citations()


def _closest_matches(hits: list[Hit], sentences: list[ScoredSentence]) -> list[Citation]:
    """The nearest articles, numbered, each with its most relevant sentence as the quote."""
    best_quote: dict[str, str] = {}
    for sentence in sentences:
        best_quote.setdefault(sentence.article_id, sentence.text)
    metas: dict[str, ArticleMeta] = {}
    for hit in hits:
        metas.setdefault(hit.chunk.article_id, hit.article)
        if hit.chunk.article_id not in best_quote:
            best_quote[hit.chunk.article_id] = hit.chunk.text.split("\n", 1)[0][:300]
    cites = CitationList()
    for article_id, article in list(metas.items())[:CLOSEST_MATCHES]:
        cites.cite(article, best_quote[article_id])
    return cites.citations()


def _abstention(
    question: str,
    messages: Messages,
    text: str,
    closest: list[Citation],
    started: float,
    retrieved_at: float | None = None,
) -> Answer:
    answer = Answer(question, messages.language, text, closest, abstained=True)
    answer.timings_ms = _timings(started, retrieved_at)
    return answer


def _timings(started: float, retrieved_at: float | None) -> dict[str, float]:
    now = time.perf_counter()
    retrieved = retrieved_at if retrieved_at is not None else now
    return {
        "retrieve": (retrieved - started) * 1000.0,
        "answer": (now - retrieved) * 1000.0,
        "total": (now - started) * 1000.0,
    }
