"""Pick the sentences that answer a question out of the top passages, and date expressions.

A sentence's relevance mixes two signals, each in [0, 1]:
- ``cosine``: the embedding model's similarity between question and sentence (works across
  languages, weak French-French);
- ``coverage``: the share of the question's terms (stemmed, accent-folded, idf-weighted) that
  the sentence contains (exact, but only within one language, plus names and numbers).
They are mixed with the same language rule as retrieval (``index.fusion``): coverage weighs
more when question and sentence share a language. The sentence alone often lacks the subject
("Il répond ainsi à une invitation…"), so the passage's own relevance is blended in.

The raw mix runs lower across languages (cosines are smaller, coverage rarely applies) than
within one, so one threshold would suit only one case. ``calibrate`` maps it to an estimated
probability that the sentence comes from a passage that answers, with one logistic curve per
case (same / different language), fitted on the dev sets: answerable questions against the
corpus that holds their answer, the same questions against a corpus that does not (xling-dev
questions over piaf-dev's passages), classes weighted equally. The abstention threshold is
compared with that probability, so 0.5 is the natural default for every language pairing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.embedding import Embedder
from index.fusion import lexical_weight
from index.models import Hit
from index.query import PreparedQuestion
from index.sentences import sentence_spans
from index.text import MONTH_NAMES, fold

#: Share of a sentence's relevance that comes from the passage it sits in.
PASSAGE_SHARE = 0.35
#: A second sentence is quoted only when it is nearly as relevant as the first.
SECOND_SENTENCE_RATIO = 0.8
#: Ranking bonus for a sentence holding what the question asks for (a date for "when", a
#: number for "how many"): it orders sentences only, never the abstention decision.
ANSWER_TYPE_BONUS = 0.1
MIN_SENTENCE_WORDS = 4
COGNATE_PREFIX = 5
MAX_SENTENCE_CHARS = 600

#: (slope, midpoint) of the logistic calibration, per "question and sentence share a language".
CALIBRATION: dict[bool, tuple[float, float]] = {True: (14.6, 0.46), False: (17.8, 0.34)}

Tokenize = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A sentence of a retrieved passage, located in its article's text."""

    hit_rank: int
    article_id: str
    start: int  # character offsets into the article text
    end: int
    text: str
    relevance: float  # calibrated probability in [0, 1] (see ``calibrate``)
    score: float  # the raw mix (+ answer-type bonus): orders the sentences of one answer
    cosine: float
    coverage: float


def coverage(terms: Mapping[str, float], tokens: Sequence[str]) -> float:
    """Idf-weighted share of the question's terms present in ``tokens`` (0 without terms).

    A term also counts when a token is its near-cognate: same first ``COGNATE_PREFIX`` letters
    ("invited"/"invitation", "ambassador"/"ambassadeur") or a one-letter spelling variant of a
    long word ("Sergei"/"Serguei"). That is what lets a question in one language meet a
    sentence in another through shared names and Latin roots.
    """
    total = sum(terms.values())
    if total <= 0:
        return 0.0
    present = set(tokens)
    prefixes = {t[:COGNATE_PREFIX] for t in present if len(t) >= COGNATE_PREFIX}
    found = sum(w for term, w in terms.items() if _matches(term, present, prefixes))
    return found / total


def _matches(term: str, present: set[str], prefixes: set[str]) -> bool:
    if term in present:
        return True
    if len(term) < COGNATE_PREFIX:
        return False
    if term[:COGNATE_PREFIX] in prefixes:
        return True
    return any(
        abs(len(t) - len(term)) <= 1 and _one_edit_apart(term, t)
        for t in present
        if len(t) >= COGNATE_PREFIX
    )


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether one insertion, deletion or substitution turns ``a`` into ``b``."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def mix(cos: float, cov: float, same_language: bool) -> float:
    """Language-aware blend of the two signals (see module docstring)."""
    w = lexical_weight(same_language)
    return w * cov + (1.0 - w) * max(cos, 0.0)


def calibrate(raw: float, same_language: bool) -> float:
    """Raw relevance → estimated probability that it answers (see module docstring)."""
    slope, midpoint = CALIBRATION[same_language]
    return float(1.0 / (1.0 + np.exp(-slope * (raw - midpoint))))


def candidate_sentences(hits: Sequence[Hit]) -> list[tuple[int, Hit, int, int]]:
    """(hit rank, hit, start, end) of every quotable sentence, each span once.

    Chunk spans index into the article text and sentence spans into the chunk, so the sum is
    the sentence's exact place in the article. Overlapping chunks repeat sentences: kept once.
    """
    seen: set[tuple[str, int, int]] = set()
    out: list[tuple[int, Hit, int, int]] = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        language = hit.article.language or "fr"
        for start, end in sentence_spans(chunk.text, language):
            text = chunk.text[start:end]
            if len(text.split()) < MIN_SENTENCE_WORDS or len(text) > MAX_SENTENCE_CHARS:
                continue
            key = (chunk.article_id, chunk.start + start, chunk.start + end)
            if key not in seen:
                seen.add(key)
                out.append((rank, hit, *key[1:]))
    return out


def score_sentences(
    question: PreparedQuestion, hits: Sequence[Hit], *, embedder: Embedder, tokenize: Tokenize
) -> list[ScoredSentence]:
    """Every candidate sentence with its relevance, best first.

    ``tokenize`` must be the one that produced ``question.tokens`` (the lexical index's), so
    sentence tokens and question terms compare.
    """
    found = candidate_sentences(hits)
    if not found:
        return []
    qvec = question.require_vector()
    terms = question.term_weights
    question_language = question.language
    texts = [hit.chunk.text[s - hit.chunk.start : e - hit.chunk.start] for _, hit, s, e in found]
    vectors = embedder.encode(texts)
    cosines = (vectors @ qvec.astype(np.float32)).tolist()
    passage: dict[int, float] = {}
    wanted = _answer_type(question.text)
    out: list[ScoredSentence] = []
    for (rank, hit, start, end), text, cos in zip(found, texts, cosines, strict=True):
        same = (hit.article.language or question_language) == question_language
        if rank not in passage:
            passage[rank] = mix(hit.dense or 0.0, coverage(terms, tokenize(hit.chunk.text)), same)
        cov = coverage(terms, tokenize(text))
        raw = (1 - PASSAGE_SHARE) * mix(cos, cov, same) + PASSAGE_SHARE * passage[rank]
        relevance = calibrate(raw, same)
        score = raw + (ANSWER_TYPE_BONUS if wanted is not None and wanted(text) else 0.0)
        out.append(
            ScoredSentence(rank, hit.chunk.article_id, start, end, text, relevance, score, cos, cov)
        )
    out.sort(key=lambda s: (-s.score, s.hit_rank, s.start))
    return out


_HOW_MANY = re.compile(r"^\s*(how (many|much)|combien)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")


def _answer_type(question: str) -> Callable[[str], bool] | None:
    """A test for sentences that hold the kind of answer asked for, when the question says."""
    if asks_when(question):
        return lambda text: date_expression(text) is not None
    if _HOW_MANY.search(question):
        return lambda text: _NUMBER.search(text) is not None
    return None


def choose(sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The best sentence, and the next one when nearly as good (answers often span two).

    A second sentence with the same text (the same wire story in two outlets) is not repeated.
    """
    if not sentences:
        return []
    first = sentences[0]
    chosen = [first]
    second = next((s for s in sentences[1:] if s.text != first.text), None)
    if second is not None and second.score >= SECOND_SENTENCE_RATIO * first.score:
        chosen.append(second)
    # Same article: keep reading order, so the quote reads naturally.
    if len(chosen) == 2 and chosen[0].article_id == chosen[1].article_id:
        chosen.sort(key=lambda s: s.start)
    return chosen


# --- dates for "when / quand" questions -------------------------------------------------------

_WHEN = re.compile(
    r"^\s*(when|what (year|date|day|month|time)|which (year|date|day|month)|since when|"
    r"how long ago|quand|depuis quand|(en|à|a) quelle (ann[ée]e|date|[ée]poque|p[ée]riode)|"
    r"quelle (ann[ée]e|date)|quel (jour|mois))\b",
    re.IGNORECASE,
)


def _accent_tolerant(word: str) -> str:
    """A regex for ``word`` that also matches it typed without accents ("fevrier")."""
    return "".join(f"[{ch}{fold(ch)}]" if fold(ch) != ch else re.escape(ch) for ch in word)


_MONTHS = "|".join(
    [_accent_tolerant(french) for french, _, _, _ in MONTH_NAMES]
    + [english for _, english, _, _ in MONTH_NAMES]
    + [_accent_tolerant(abbr) + r"\." for _, _, dotted, _ in MONTH_NAMES for abbr in dotted]
)
_DAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|" \
    "thursday|friday|saturday|sunday"  # fmt: skip
_YEAR = r"(?:1[0-9]|20)\d{2}"
_DATE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}(?:-\d{{2}})?"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    # "March 10th" or "March 10, 2020", never "March 10 people"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:(?:st|nd|rd|th)\b(?:,?\s+{_YEAR}\b)?|,?\s+{_YEAR}\b)"
    rf"|(?:(?:{_DAYS})\s+)?(?:\d{{1,2}}(?:er)?\s+)?(?:{_MONTHS})(?:\s+{_YEAR}\b)?"
    rf"|(?:les\s+)?ann[ée]es\s+{_YEAR}"
    rf"|{_YEAR}\b)",
    re.IGNORECASE,
)


def asks_when(question: str) -> bool:
    """Whether the question asks for a time ("When…", "Quand…", "En quelle année…")."""
    return _WHEN.search(question) is not None


def date_expression(sentence: str, anchors: Sequence[str] = ()) -> str | None:
    """The date expression of ``sentence`` that answers a "when" question, verbatim.

    With several, the one nearest a question term (``anchors``, folded words) wins: in "the
    expulsion in January 2022 … since independence in 1960" the expulsion's date is wanted.
    """
    matches = [m for m in _DATE.finditer(sentence) if _plausible(m.group())]
    if not matches:
        return None
    if len(matches) == 1 or not anchors:
        return matches[0].group().strip()
    folded = fold(sentence)
    spots = [i for a in anchors if len(a) > 2 for i in _positions(folded, a)]
    if not spots:
        return matches[0].group().strip()

    def distance(match: re.Match[str]) -> int:
        return min(min(abs(match.start() - s), abs(match.end() - s)) for s in spots)

    return min(matches, key=distance).group().strip()


def _plausible(text: str) -> bool:
    """A bare "mai"/"may" is a verb as often as a month; require a day or a year with it."""
    words = text.split()
    return len(words) > 1 or any(ch.isdigit() for ch in text)


def _positions(haystack: str, needle: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), haystack)]
