"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused into one ranking.

Why not plain reciprocal-rank fusion: the two retrievers are not equally good in every situation.
all-MiniLM-L6-v2 is English-centric: it matches an English question to French text well, but
French-French matching poorly; BM25 is strong when question and text share a language and can
only match names and numbers across languages. RRF gives both the same vote, so it loses to the
better one in each case.

The fusion here (``index.fusion.fuse_scores``) is calibrated score fusion:

1. candidates = union of each retriever's top ``candidates`` (after filters), and *both* scores
   are computed for every candidate (a dense score by reconstructing the stored vector, a BM25
   score from the same one-pass scoring of the question), so no candidate is penalised for
   missing one retriever's list;
2. each score is z-normalised over the candidate set, which makes cosine and BM25 commensurable
   per query without any corpus-specific constant;
3. per candidate, the two z-scores are mixed with a weight that depends only on whether the
   question's language equals the chunk's language (``index.fusion.lexical_weight``).

The rule needs no knowledge of a particular corpus or question set, and works per chunk, so a
mixed-language corpus is handled too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.crosslingual import grouped_terms, members, term_groups
from index.embed_text import model_text
from index.embedding import Embedder
from index.fusion import fuse_scores
from index.language import detect_language
from index.models import ArticleMeta, Hit, SearchFilters
from index.query import PreparedQuestion
from index.recency import newest_first, story_words, wants_recent

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.lexical import LexicalScores
    from index.store import LoadedIndex

Method = Literal["hybrid", "dense", "bm25"]

_ALLOWED_CACHE_SIZE = 32
#: How many times more candidates a "latest news" question considers.
RECENT_POOL_FACTOR = 4


#: Interrogatives and English modals the stopword lists keep ("quelle", "combien", "how many",
#: "would"): they ask, they are not what an answer is about, yet "quelle" would match any
#: article that uses the word, and "would" weighs as a word no French article holds.
QUESTION_WORDS = re.compile(
    r"\b(?:quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|quoi|quand|combien|pourquoi|whose|"
    r"how\s+(?:much|many)|would|could|should|might|must|shall)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    chunk_id: int
    dense: float
    lexical: float


class Retriever:
    """Ranks chunks of one opened index generation for a question. Thread-safe."""

    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.corpus_language = index.manifest.language or "fr"
        self._allowed: dict[tuple[str | None, str | None, tuple[str, ...]], NDArray[np.int64]] = {}
        self._lock = threading.Lock()

    def model_input(self, question: str, language: str | None = None) -> str:
        """The question as the index's model reads it: French without function words when the
        index was built that way (index.embed_text), so it looks like the passages."""
        language = language or detect_language(question, default=self.corpus_language)
        return model_text(question, language, self.index.manifest.embed_text)

    def prepare(
        self, text: str, filters: SearchFilters | None = None, *, embed: bool = True
    ) -> PreparedQuestion:
        """Everything retrieval and answering derive from the question, computed once.

        The language of a bare name ("Lavrov ?") is taken as the corpus's. ``embed=False``
        skips the model call (~10 ms) for lexical-only searches.
        """
        lexical = self.index.lexical
        asked = QUESTION_WORDS.sub(" ", text)
        recent = wants_recent(text)
        if recent:
            asked = story_words(asked)
        tokens = lexical.tokenize(asked)
        language = detect_language(text, default=self.corpus_language)
        vector: NDArray[np.float32] | None = None
        if embed and text.strip():
            vector = self.embedder.encode([self.model_input(text, language)])[0]
        groups = dict(term_groups(asked, language, self.corpus_language, lexical.tokenize))
        weights = lexical.term_weights(tokens)
        if groups:  # another language's question: its words that do not look alike, translated
            translated = [t for found in groups.values() for t in found]
            weights |= lexical.term_weights(translated)
            weights = {
                term: min(weights[member] for member in members(term))
                for term in grouped_terms(tokens, groups)
            }
            tokens = [*tokens, *translated]
        return PreparedQuestion(
            text=text,
            language=language,
            vector=vector,
            tokens=tuple(tokens),
            term_weights=weights,
            filters=filters,
            recent=recent,
        )

    def tokenize(self, text: str) -> list[str]:
        """The lexical index's tokens for any text (a sentence), comparable with
        ``PreparedQuestion.tokens``."""
        return self.index.lexical.tokenize(text)

    def search(
        self,
        question: PreparedQuestion,
        *,
        k: int,
        method: Method = "hybrid",
        candidates: int = 50,
    ) -> list[Hit]:
        """Top ``k`` chunks, best first. ``Hit.score`` is the ranking score of ``method``.

        The baselines ("dense", "bm25") see the same chunks and filters as "hybrid"; all three
        favour newer articles when the question asks for recent news.
        """
        if k <= 0 or not question.text.strip():
            return []
        allowed = self.allowed_ids(question.filters)
        if allowed is not None and len(allowed) == 0:
            return []
        pool = max(candidates, k)
        if question.recent:
            # A story told many times can fill the usual pool with its best-matching reports
            # and leave out the newest: a "latest" question looks further.
            pool *= RECENT_POOL_FACTOR
        qvec = question.require_vector() if method != "bm25" else None
        dense = self.index.vectors.search(qvec, pool, allowed=allowed) if qvec is not None else []
        scores = self.index.lexical.score(question.tokens) if method != "dense" else None
        lexical = scores.top(pool, allowed=allowed) if scores is not None else []
        if method == "dense":
            scored = [(cid, s, _Candidate(cid, s, 0.0)) for cid, s in dense]
            return self._finish(scored, k, question.recent, lexical_known=False)
        if method == "bm25":
            scored = [(cid, s, _Candidate(cid, 0.0, s)) for cid, s in lexical]
            return self._finish(scored, k, question.recent, dense_known=False)
        assert qvec is not None and scores is not None
        cands = self._both_scores(qvec, scores, dense, lexical)
        if not cands:
            return []
        owners = self.index.db.chunk_articles(c.chunk_id for c in cands)
        metas = self.index.db.articles(set(owners.values()))
        same = np.array(
            [self._chunk_language(owners, metas, c.chunk_id) == question.language for c in cands],
            dtype=bool,
        )
        fused = fuse_scores(
            np.array([c.dense for c in cands], dtype=np.float64),
            np.array([c.lexical for c in cands], dtype=np.float64),
            same,
        )
        scored = [(c.chunk_id, float(f), c) for c, f in zip(cands, fused, strict=True)]
        return self._finish(scored, k, question.recent, owners=owners, metas=metas)

    def allowed_ids(self, filters: SearchFilters | None) -> NDArray[np.int64] | None:
        """Chunk ids passing the filters (None: no restriction), cached per filter value."""
        if filters is None or not filters.active:
            return None
        key = (filters.since, filters.until, tuple(sorted(s.lower() for s in filters.sources)))
        with self._lock:
            cached = self._allowed.get(key)
        if cached is not None:
            return cached
        ids = np.asarray(sorted(self.index.db.chunk_ids_matching(filters)), dtype=np.int64)
        with self._lock:
            if len(self._allowed) >= _ALLOWED_CACHE_SIZE:
                self._allowed.pop(next(iter(self._allowed)))
            self._allowed[key] = ids
        return ids

    def _both_scores(
        self,
        qvec: NDArray[np.float32],
        scores: LexicalScores,
        dense: list[tuple[int, float]],
        lexical: list[tuple[int, float]],
    ) -> list[_Candidate]:
        """Union of both top lists with both scores filled in for every candidate."""
        dense_of = dict(dense)
        lexical_of = dict(lexical)
        ids = list(dict.fromkeys([*dense_of, *lexical_of]))
        missing_dense = [i for i in ids if i not in dense_of]
        if missing_dense:
            vectors = self.index.vectors.reconstruct_many(missing_dense)
            dense_of.update(zip(missing_dense, (vectors @ qvec).tolist(), strict=True))
        missing_lexical = [i for i in ids if i not in lexical_of]
        if missing_lexical:
            lexical_of.update(zip(missing_lexical, scores.of(missing_lexical), strict=True))
        return [_Candidate(i, float(dense_of[i]), float(lexical_of[i])) for i in ids]

    def _chunk_language(
        self, owners: dict[int, str], metas: dict[str, ArticleMeta], chunk_id: int
    ) -> str:
        article_id = owners.get(chunk_id)
        meta = metas.get(article_id) if article_id is not None else None
        return (meta.language if meta and meta.language else None) or self.corpus_language

    def _finish(
        self,
        scored: Sequence[tuple[int, float, _Candidate]],
        k: int,
        recent: bool,
        *,
        owners: dict[int, str] | None = None,
        metas: dict[str, ArticleMeta] | None = None,
        dense_known: bool = True,
        lexical_known: bool = True,
    ) -> list[Hit]:
        """Apply the recency preference, keep the top k and attach chunk text and metadata.

        Only the top k chunks' texts are read: the candidates need just their article.
        """
        if owners is None:
            owners = self.index.db.chunk_articles(cid for cid, _, _ in scored)
        if metas is None:
            metas = self.index.db.articles(set(owners.values()))
        rows = [(cid, s, c) for cid, s, c in scored if cid in owners]
        story: set[int] = set()
        if rows and recent:
            rows, story = _newest_reports_first(rows, owners, metas, lexical_known=lexical_known)
        rows = sorted(rows, key=lambda row: -row[1])[:k]
        chunks = self.index.db.chunks(cid for cid, _, _ in rows)
        hits: list[Hit] = []
        for cid, score, cand in rows:
            chunk = chunks[cid]
            meta = metas.get(chunk.article_id)
            if meta is None:
                meta = ArticleMeta(chunk.article_id, "", None, None, None)
            hits.append(
                Hit(
                    chunk=chunk,
                    article=meta,
                    score=score,
                    dense=cand.dense if dense_known else None,
                    lexical=cand.lexical if lexical_known else None,
                    story_report=cid in story,
                )
            )
        return hits


def _newest_reports_first(
    rows: list[tuple[int, float, _Candidate]],
    owners: dict[int, str],
    metas: dict[str, ArticleMeta],
    *,
    lexical_known: bool,
) -> tuple[list[tuple[int, float, _Candidate]], set[int]]:
    """``rows`` with the ranking scores of a "latest" question (``index.recency``), and the ids
    of the story's reports."""
    dates = [metas[owners[cid]].date if owners[cid] in metas else None for cid, _, _ in rows]
    lexical = np.array([c.lexical for _, _, c in rows]) if lexical_known else None
    ranking, story = newest_first(np.array([s for _, s, _ in rows]), lexical, dates)
    reranked = [(cid, float(r), c) for (cid, _, c), r in zip(rows, ranking, strict=True)]
    return reranked, {cid for (cid, _, _), s in zip(rows, story, strict=True) if s}
