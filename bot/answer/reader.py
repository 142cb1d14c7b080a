"""The reader: which sentence of the best articles answers, and whether any does.

Retrieval ranks chunks; the answer is a sentence, and in long news articles it often sits in a
chunk that ranked low. So the reader reads *every* sentence of the top ``READ_ARTICLES``
articles, describes each by a few documented features (``FEATURES``) and scores them with two
small linear models fitted on training questions (``scripts/fit_reader.py``; coefficients in
``bot/answer/reader_model.json``):

1. ``rank`` scores every sentence: a softmax over one question's sentences (a conditional
   logit), fitted to put the sentences that hold a gold answer string first. No sentence
   is embedded at question time: the dense signal is the cosine of the retrieved chunk that
   holds the sentence, and the lexical, answer-type and constraint features do the rest.
2. ``decide``, a logistic model, takes the best sentence's features and its ``rank`` logit and
   estimates the probability that the corpus answers the question at all. Negatives:
   questions whose passage was removed and questions whose year, figure or name was changed so
   the article no longer says it ("near misses"). The service abstains below ``abstain_threshold``.

Everything runs in numpy: a model is a vector of weights over standardised features.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.answer.answer_types import (
    LEAD_TYPES,
    NAMED_KINDS,
    AnswerType,
    Constraints,
    asked_nouns,
    best_span,
    classify,
    constraints,
    found_terms,
    names_a_person,
    new_spans,
    noun_pattern,
    noun_span,
    noun_spans,
    nouns_near,
    share_of,
    spans_words,
    type_match,
)
from bot.answer.extract import TermMatches, Vocabulary
from index.models import Hit
from index.sentences import sentence_spans
from index.text import fold

if TYPE_CHECKING:
    from numpy.typing import NDArray

MODEL_FILE = Path(__file__).with_name("reader_model.json")
#: Distinct top-ranked articles whose every sentence is read.
READ_ARTICLES = 5
MIN_SENTENCE_WORDS = 4
MAX_SENTENCE_CHARS = 600
ARTICLE_CACHE_SIZE = 256

Tokenize = Callable[[str], list[str]]

#: The features, in model order. Each is in [0, 1] or a small count.
FEATURES: tuple[str, ...] = (
    "sent_cov",  # idf-weighted share of question terms in the sentence (cognates count)
    "ctx_cov",  # the same over the sentence and its two neighbours
    "title_cov",  # ... over the article title
    "article_cov",  # ... over the whole article (title and text)
    "chunk_dense",  # cosine question/chunk of the best retrieved chunk holding the sentence
    "in_hits",  # 1 when the sentence lies in a retrieved chunk
    "chunk_rank",  # 1/(1+rank) of the best retrieved chunk holding it (0 when none)
    "article_rank",  # 1/(1+rank) of its article among retrieved articles
    "type_known",  # the question asks for a date, number, person, place or named thing
    "type_match",  # the sentence holds a span of that type the question does not hold (for
    # "how many X": 1 for a count of X, 0.5 for another number)
    "type_ctx",  # a neighbour holds one
    "reason_cue",  # a why/how question and the sentence gives a cause ("parce que", "because")
    "position",  # 1/(1+index) of the sentence in its article
    "log_words",  # log(1 + words in the sentence)
    "cons_sent",  # share of the question's years, figures and names in sentence + neighbours
    "cons_article",  # ... in the article
    "year_missing",  # the question names a year the article never mentions
    "name_missing",  # share of the question's names the article never mentions
    "same_language",  # question and article share a language
    "cross_cov",  # sent_cov when languages differ (names, numbers, cognates only)
    "sent_cov_rel",  # sent_cov / the best sent_cov among all read sentences
    "ctx_cov_rel",  # ctx_cov / the best ctx_cov
    "dense_rel",  # chunk_dense minus the best chunk_dense
    "cov_type",  # sent_cov x type_match: covers the question *and* holds the wanted answer
    "ctx_type",  # ctx_cov x type_match: its neighbours give the subject, it gives the answer
    "local_cov",  # coverage with terms weighted by rarity among the article's sentences: the
    # article's topic words are everywhere, the words that ask ("préside") are where it answers
    "ctx_gap",  # idf of the heaviest question term the sentence and its neighbours lack, over
    # the heaviest term's: "acquitted" in an article on an indictment
    "article_gap",  # ... that the whole article lacks
    "noun_in",  # the sentence says the noun a "which X / quel X" question asks for
    "noun_span",  # ... and a new span of the wanted kind follows it ("au stade [Al Bayt]")
)

_REASON_CUES = re.compile(
    r"\b(parce qu|car |en raison d|à cause d|a cause d|afin d|pour (?:que|ne|éviter|permettre)|"
    r"grâce à|suite à|because|due to|owing to|in order to|so that|as a result|reason|raison|"
    r"cause|explique|expliqu|expliquant|thanks to)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Model:
    """One logistic model over standardised features."""

    features: tuple[str, ...]
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: float

    def logits(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return result

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(self.bias, 6),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Model:
        return cls(
            tuple(data["features"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),
        )


@dataclass(frozen=True)
class ReaderModels:
    """The fitted models and the version of the feature set they expect."""

    version: int
    rank: Model
    decide: Model
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {
            "version": self.version,
            "features": list(FEATURES),
            "meta": self.meta,
            "rank": self.rank.to_json(),
            "decide": self.decide.to_json(),
        }
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


#: Column of each feature in a candidate matrix.
_COLUMN: dict[str, int] = {name: i for i, name in enumerate(FEATURES)}
FEATURE_VERSION = 7  # 5: listwise rank model; 6: ctx_gap, article_gap; 7: noun_in, noun_span
DECIDE_EXTRA = ("rank_logit", "margin")
DECIDE_FEATURES: tuple[str, ...] = (*FEATURES, *DECIDE_EXTRA)


@cache
def load_models(path: Path = MODEL_FILE) -> ReaderModels:
    """The fitted models; a missing or stale file is a packaging error, said plainly."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeError(f"cannot read the reader model {path}: {exc}; refit it with "
                           "`python -m scripts.fit_reader`") from None  # fmt: skip
    if data.get("version") != FEATURE_VERSION or tuple(data.get("features", ())) != FEATURES:
        raise RuntimeError(f"{path} was fitted for other features; refit it with "
                           "`python -m scripts.fit_reader`")  # fmt: skip
    return ReaderModels(
        data["version"],
        Model.from_json(data["rank"]),
        Model.from_json(data["decide"]),
        dict(data.get("meta", {})),
    )


# --- articles ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleSentences:
    """An article split into quotable sentences, with what every question needs of them."""

    article_id: str
    title: str
    spans: tuple[tuple[int, int], ...]
    texts: tuple[str, ...]
    tokens: tuple[tuple[str, ...], ...]
    vocabulary: Vocabulary  # every token of the title and text, indexed for term matching
    title_tokens: tuple[str, ...]
    folded: str  # title and text, folded, for constraint checks
    folded_texts: tuple[str, ...]  # each sentence folded (neighbour constraint checks)
    token_sets: tuple[frozenset[str], ...]  # each sentence's tokens, for coverage
    log_words: tuple[float, ...]  # log(1 + words) of each sentence (a feature)

    @property
    def all_tokens(self) -> frozenset[str]:
        return self.vocabulary.words


def split_article(
    article_id: str, title: str, text: str, language: str, tokenize: Tokenize
) -> ArticleSentences:
    """Quotable sentences: long enough to say something, short enough to quote."""
    spans: list[tuple[int, int]] = []
    words: list[int] = []
    for sentence in sentence_spans(text, language):
        for start, end in _clauses(text, *sentence):
            if (count := len(text[start:end].split())) >= MIN_SENTENCE_WORDS:
                spans.append((start, end))
                words.append(count)
    texts = tuple(text[s:e] for s, e in spans)
    # The text is folded once, piece by piece: gap, sentence, gap, ..., gap. Folding works
    # character by character, so the pieces join into the whole text's fold, and folding
    # folded text changes nothing, so the tokenizer gets the folded sentences (far cheaper).
    bounds = [0, *(edge for span in spans for edge in span), len(text)]
    pieces = [fold(text[a:b]) for a, b in itertools.pairwise(bounds)]
    folded_texts, folded_gaps = tuple(pieces[1::2]), pieces[0::2]
    tokens = tuple(tuple(tokenize(t)) for t in folded_texts)
    title_tokens = tuple(tokenize(title))
    # The article's vocabulary: its sentences' tokens plus those of the text between them
    # (short sentences, headings), rather than tokenising every sentence twice.
    every = frozenset(title_tokens).union(*tokens, *(tokenize(g) for g in folded_gaps if g.strip()))
    folded = f"{fold(title)}\n{''.join(pieces)}"
    return ArticleSentences(
        article_id, title, tuple(spans), texts, tokens, Vocabulary(every), title_tokens,
        folded, folded_texts, tuple(map(frozenset, tokens)), tuple(map(math.log1p, words)),
    )  # fmt: skip


_CLAUSE_BREAKS = ("; ", " : ", ", ")


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence longer than ``MAX_SENTENCE_CHARS`` (encyclopaedic run-ons, splitter misses)
    cut at its clause breaks, semicolons first, so its answer can still be quoted verbatim."""
    out = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text[start : start + MAX_SENTENCE_CHARS]
        cut = next(
            (i + len(sep) for sep in _CLAUSE_BREAKS
             if (i := window.rfind(sep, MAX_SENTENCE_CHARS // 3)) > 0),
            window.rfind(" ", MAX_SENTENCE_CHARS // 3) + 1 or MAX_SENTENCE_CHARS,
        )  # fmt: skip
        out.append((start, start + len(text[start : start + cut].rstrip())))
        start += cut
    out.append((start, end))
    return out


class ArticleCache:
    """Recently read articles, split and tokenised once (thread-safe LRU)."""

    def __init__(self, size: int = ARTICLE_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, ArticleSentences] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, article_id: str, load: Callable[[], tuple[str, str, str]], tokenize: Tokenize
    ) -> ArticleSentences:
        with self._lock:
            found = self._items.get(article_id)
            if found is not None:
                self._items.move_to_end(article_id)
                return found
        title, text, language = load()
        made = split_article(article_id, title, text, language, tokenize)
        with self._lock:
            self._items[article_id] = made
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made


# --- candidates and features -----------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    """A sentence of a read article, with its features and (once scored) its model scores."""

    article_id: str
    article_rank: int
    index: int  # sentence index in the article
    start: int
    end: int
    text: str
    features: NDArray[np.float64]
    score: float = 0.0  # the rank model's logit


@dataclass
class Reading:
    """What the reader found for one question."""

    answer_type: AnswerType
    candidates: list[Candidate]  # best first
    answerable: float  # probability that the corpus answers the question
    articles: dict[str, ArticleSentences]
    language: str = ""  # the question's


def article_order(hits: Sequence[Hit], limit: int = READ_ARTICLES) -> list[str]:
    """Distinct article ids in ranking order, at most ``limit``."""
    return list(dict.fromkeys(hit.chunk.article_id for hit in hits))[:limit]


def candidates(
    question: str,
    question_language: str,
    hits: Sequence[Hit],
    articles: Sequence[ArticleSentences],
    *,
    terms: Mapping[str, float],
    answer_type: AnswerType | None = None,
) -> list[Candidate]:
    """Every sentence of ``articles`` with its features (see ``FEATURES``)."""
    asked = _Asked.of(question, question_language, answer_type, terms)
    language_of = {hit.chunk.article_id: hit.article.language for hit in hits}
    blocks = []
    for rank, article in enumerate(articles):
        own = [(i, hit) for i, hit in enumerate(hits) if hit.chunk.article_id == article.article_id]
        same = (language_of.get(article.article_id) or question_language) == question_language
        blocks.append(_article_features(asked, article, rank, own, same))
    if not blocks:
        return []
    matrix = np.concatenate(blocks)
    _fill_relative(matrix)
    rows = iter(matrix)
    return [
        Candidate(article.article_id, rank, i, start, end, text, next(rows))
        for rank, article in enumerate(articles)
        for i, ((start, end), text) in enumerate(zip(article.spans, article.texts, strict=True))
    ]


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the features need of the question, derived once for all its articles."""

    question: str
    kind: AnswerType
    terms: Mapping[str, float]
    constraints: Constraints
    cons_terms: list[str]  # its years, figures and names
    nouns: tuple[str, ...]
    says_noun: re.Pattern[str] | None

    @classmethod
    def of(
        cls,
        question: str,
        language: str,
        answer_type: AnswerType | None,
        terms: Mapping[str, float],
    ) -> _Asked:
        cons = constraints(question, language)
        nouns = asked_nouns(question, language)
        return cls(
            question, answer_type or classify(question), terms, cons,
            [*cons.years, *cons.figures, *cons.names], nouns, noun_pattern(nouns),
        )  # fmt: skip


def _article_features(
    asked: _Asked,
    article: ArticleSentences,
    rank: int,
    own: Sequence[tuple[int, Hit]],
    same_language: bool,
) -> NDArray[np.float64]:
    """One row of ``FEATURES`` per sentence of ``article``; ``own``: its hits with their ranks.

    Filled a column at a time: hundreds of sentences are read per question, and building a
    dictionary per sentence cost more than computing the features.
    """
    kind, question, terms, cons_terms = asked.kind, asked.question, asked.terms, asked.cons_terms
    n = len(article.texts)
    matches = TermMatches(terms, article.vocabulary)
    in_article = matches.terms_in(article.all_tokens)
    cons_found, cons_near = _constraint_finds(cons_terms, article)
    found_in = [matches.terms_in(t) for t in article.token_sets]  # per sentence, once
    in_ctx = [frozenset().union(*found_in[max(0, i - 1) : i + 2]) for i in range(n)]
    covs = [matches.weight(found) for found in found_in]
    ctx_covs = [matches.weight(found) for found in in_ctx]
    typed = [type_match(text, kind, question) for text in article.texts]
    holding = [
        [(r, h) for r, h in own if h.chunk.start <= start and end <= h.chunk.end]
        for start, end in article.spans
    ]
    dense_floor = min((h.dense or 0.0 for _, h in own), default=0.0)
    columns: dict[str, Sequence[float] | float] = {
        "sent_cov": covs,
        "ctx_cov": ctx_covs,
        "title_cov": matches.share(article.title_tokens),
        "article_cov": matches.weight(in_article),
        "chunk_dense": [
            max((h.dense or 0.0 for _, h in held), default=dense_floor) for held in holding
        ],
        "in_hits": [float(bool(held)) for held in holding],
        "chunk_rank": [1.0 / (1 + min(r for r, _ in held)) if held else 0.0 for held in holding],
        "article_rank": 1.0 / (1 + rank),
        "type_known": float(kind in LEAD_TYPES),
        "type_match": typed,
        "type_ctx": [
            max((typed[j] for j in range(max(0, i - 1), min(n, i + 2)) if j != i), default=0.0)
            for i in range(n)
        ],
        "reason_cue": [
            float(kind == "reason" and _REASON_CUES.search(text) is not None)
            for text in article.texts
        ],
        "position": [1.0 / (1 + i) for i in range(n)],
        "log_words": article.log_words,
        "cons_sent": [share_of(cons_terms, near) for near in cons_near],
        "cons_article": share_of(cons_terms, cons_found),
        "year_missing": float(share_of(asked.constraints.years, cons_found) < 1.0),
        "name_missing": 1.0 - share_of(asked.constraints.names, cons_found),
        "same_language": float(same_language),
        "cross_cov": 0.0 if same_language else covs,
        "cov_type": [c * t for c, t in zip(covs, typed, strict=True)],
        "ctx_type": [c * t for c, t in zip(ctx_covs, typed, strict=True)],
        "local_cov": _local_coverage(terms, found_in),
        "ctx_gap": [_gap(terms, found) for found in in_ctx],
        "article_gap": _gap(terms, in_article),
    }
    block = np.zeros((n, len(FEATURES)), dtype=np.float64)
    for name, values in columns.items():
        block[:, _COLUMN[name]] = values
    if asked.says_noun is not None:
        for i, folded in enumerate(article.folded_texts):
            if asked.says_noun.search(folded):
                block[i, _COLUMN["noun_in"]] = 1.0
                block[i, _COLUMN["noun_span"]] = noun_spans(
                    article.texts[i], kind, question, asked.nouns
                )
    return block


def _constraint_finds(
    terms: Sequence[str], article: ArticleSentences
) -> tuple[frozenset[str], list[frozenset[str]]]:
    """The constraint ``terms`` the article holds, and for each sentence those that it and the
    sentences either side of it hold.

    A sentence holds only what its article holds, and a one-word term found in three sentences
    joined is found in one of them: each sentence is searched once, not three times, and only
    for the article's terms. A term with a two-word member is searched in the joined text.
    """
    in_article = found_terms(terms, article.folded)
    spanning = [t for t in in_article if spans_words(t)]
    single = [t for t in in_article if t not in spanning]
    per_sentence = [found_terms(single, folded) for folded in article.folded_texts]
    n = len(per_sentence)
    near = []
    for i in range(n):
        lo, hi = max(0, i - 1), min(n, i + 2)
        found = frozenset().union(*per_sentence[lo:hi])
        if spanning:
            found |= found_terms(spanning, " ".join(article.folded_texts[lo:hi]))
        near.append(found)
    return in_article, near


def _gap(terms: Mapping[str, float], found: frozenset[str]) -> float:
    """The heaviest term missing from ``found``, as a share of the heaviest term's weight."""
    heaviest = max(terms.values(), default=0.0)
    missing = max((w for t, w in terms.items() if t not in found), default=0.0)
    return missing / heaviest if heaviest > 0 else 0.0


def _local_coverage(terms: Mapping[str, float], found_in: Sequence[frozenset[str]]) -> list[float]:
    """Per sentence: share of the question's terms it holds (``found_in``), each weighted by its
    idf and by its rarity among the article's sentences (0 for a term the article never uses)."""
    n = len(found_in)
    frequency: dict[str, int] = {}
    for found in found_in:
        for term in found:
            frequency[term] = frequency.get(term, 0) + 1
    weights = {
        term: idf * math.log((n + 1) / (frequency[term] + 0.5))
        for term, idf in terms.items()
        if term in frequency
    }
    total = sum(weights.values())
    if total <= 0:
        return [0.0] * n
    return [sum(weights.get(term, 0.0) for term in found) / total for found in found_in]


def _fill_relative(matrix: NDArray[np.float64]) -> None:
    """Fill the features that compare a sentence with the best of this question's sentences."""
    for name, source, ratio in (
        ("sent_cov_rel", "sent_cov", True),
        ("ctx_cov_rel", "ctx_cov", True),
        ("dense_rel", "chunk_dense", False),
    ):
        column = matrix[:, _COLUMN[source]]
        best = float(column.max())
        if ratio:
            matrix[:, _COLUMN[name]] = column / best if best > 0 else 0.0
        else:
            matrix[:, _COLUMN[name]] = column - best


def _columns(model: Model) -> list[int]:
    return [FEATURES.index(name) for name in model.features]


def rank(found: list[Candidate], models: ReaderModels) -> list[Candidate]:
    """``found`` scored by the rank model, best first (ties: article rank, text order)."""
    if not found:
        return []
    matrix = np.stack([c.features for c in found])
    scores = models.rank.logits(matrix[:, _columns(models.rank)])
    for cand, score in zip(found, scores.tolist(), strict=True):
        cand.score = score
    return sorted(found, key=lambda c: (-c.score, c.article_rank, c.start))


def decide_row(ranked: Sequence[Candidate]) -> NDArray[np.float64]:
    """The decision model's input: the best sentence's features, its logit, its lead."""
    best = ranked[0]
    margin = best.score - ranked[1].score if len(ranked) > 1 else 5.0
    return np.concatenate([best.features, [best.score, margin]])


def answerable(ranked: Sequence[Candidate], models: ReaderModels) -> float:
    """Estimated probability that the best sentence's corpus answers the question."""
    if not ranked:
        return 0.0
    row = decide_row(ranked)
    columns = [DECIDE_FEATURES.index(name) for name in models.decide.features]
    logit = float(models.decide.logits(row[columns].reshape(1, -1))[0])
    return 1.0 / (1.0 + math.exp(-logit))


def read(
    question: str,
    question_language: str,
    hits: Sequence[Hit],
    load_article: Callable[[str], ArticleSentences | None],
    *,
    terms: Mapping[str, float],
    models: ReaderModels | None = None,
    read_articles: int = READ_ARTICLES,
) -> Reading:
    """Read the best articles for ``question``: ranked sentences and the answer/refuse odds."""
    models = models or load_models()
    kind = classify(question)
    articles: dict[str, ArticleSentences] = {}
    for article_id in article_order(hits, read_articles):
        loaded = load_article(article_id)
        if loaded is not None:
            articles[article_id] = loaded
    found = candidates(
        question, question_language, hits, list(articles.values()),
        terms=terms, answer_type=kind,
    )  # fmt: skip
    # A year the question names is a requirement, not a hint: an article that never mentions it
    # cannot answer ("the 2024 final" is not the 2019 one), whatever else it shares.
    missing = FEATURES.index("year_missing")
    found = [c for c in found if c.features[missing] == 0.0]
    ranked = rank(found, models)
    return Reading(kind, ranked, answerable(ranked, models), articles, question_language)


#: A second sentence is quoted unless the rank model gives it under this share of the first's
#: weight among the question's sentences: answers often span two sentences, or the first is
#: the topical one and the second names the answer (the eval counts a hit in either). The rank
#: model is a softmax, so the rule is a margin on logits: ``second >= first - log(1/ratio)``.
#: Held-out training questions: 0.5 quotes 1.3 sentences and holds the answer 62% of the time;
#: 0.05 quotes 1.9 and holds it 67% (always two: 68%).
SECOND_SENTENCE_RATIO = 0.05


def choose(reading: Reading) -> list[Candidate]:
    """The best sentence, and the next best when nearly as likely; same article: text order."""
    ranked = reading.candidates
    if not ranked:
        return []
    first = ranked[0]
    chosen = [first]
    second = next((c for c in ranked[1:] if c.text != first.text), None)
    if second is not None and second.score >= first.score + math.log(SECOND_SENTENCE_RATIO):
        chosen.append(second)
    if len(chosen) == 2 and chosen[0].article_id == chosen[1].article_id:
        chosen.sort(key=lambda c: c.start)
    return chosen


def tells_when(question: str, reading: Reading, chosen: Sequence[Candidate]) -> bool:
    """False when a "when" question's quoted sentences hold no time that the question does not
    already give: quotes about the right people with no date ("When did Elon Musk rename
    Twitter?") do not answer it, so newsbot refuses, as it does for a year the article lacks."""
    if reading.answer_type != "date":
        return True
    return any(new_spans(c.text, "date", question) for c in chosen)


def lead(question: str, reading: Reading, chosen: Sequence[Candidate]) -> str | None:
    """The answer span to open the reply with: the name beside the noun a "which X" question
    asks for in a quoted sentence ("Optim Energy, une start-up"), else a span of the wanted
    kind from the best quoted sentence that has one.

    A lead reads as the answer, so a "what" question without that noun gets none: any name
    of its quote was the answer for only a quarter of them on the dev sets.
    """
    by_score = sorted(chosen, key=lambda c: -c.score)
    nouns = asked_nouns(question, reading.language)
    if nouns and reading.answer_type in NAMED_KINDS:
        beside = [
            (cand.text, span)
            for cand in by_score
            if (span := noun_span(cand.text, reading.answer_type, question, nouns)) is not None
            and (reading.answer_type != "person" or names_a_person(span.text))
        ]
        if beside:  # the name that the most asked nouns describe; the best quote's on a tie
            return max(beside, key=lambda found: nouns_near(found[0], found[1], nouns))[1].text
    if reading.answer_type == "thing":
        return None
    anchors = [fold(w) for w in re.findall(r"\w+", question) if len(w) > 3]
    for cand in by_score:
        span = best_span(cand.text, reading.answer_type, question, anchors)
        if span is not None:
            return span.text
    return None
