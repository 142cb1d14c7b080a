"""What the reader (``bot.answer.reader``) shares: the sentence record, term coverage, dates.

- ``ScoredSentence``: a sentence of an article with its score, as "closest matches" and "more
  sources" show it;
- ``coverage``: the share of the question's terms (stemmed, accent-folded, idf-weighted) that a
  text contains, counting near-cognates, so an English question meets French text through
  names and Latin roots;
- the date grammar (``date_expression``, ``asks_when``) that ``bot.answer.answer_types`` uses
  for "when" answers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from index.crosslingual import members
from index.text import MONTH_NAMES, fold

COGNATE_PREFIX = 5
#: One edit apart counts only between words this long: "Sergei"/"Serguei" are one name, but in
#: a five-letter stem one edit is a fifth of the word ("recet", recette / "recen", récentes).
SPELLING_VARIANT_MIN = 6


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A sentence of a read article, located in its article's text."""

    hit_rank: int  # rank of its article among the articles read
    article_id: str
    start: int  # character offsets into the article text
    end: int
    text: str
    relevance: float  # the reader's estimated probability that it holds the answer
    score: float  # the reader's rank logit: orders the sentences of one answer
    cosine: float
    coverage: float


def coverage(terms: Mapping[str, float], tokens: Iterable[str]) -> float:
    """Idf-weighted share of the question's terms present in ``tokens`` (0 without terms).

    A term also counts when a token is its near-cognate: same first ``COGNATE_PREFIX`` letters
    ("invited"/"invitation", "ambassador"/"ambassadeur") or a one-letter spelling variant of a
    word of ``SPELLING_VARIANT_MIN`` letters or more ("Sergei"/"Serguei"). That is what lets a
    question in one language meet a sentence in another through shared names and Latin roots;
    a term group ("hour|heur", ``index.crosslingual``) counts when any of its members does.
    """
    present = set(tokens)
    return TermMatches(terms, present).share(present)


class Vocabulary:
    """An article's distinct tokens, indexed for matching question terms.

    Built once per article (``bot.answer.reader`` caches it with the article's sentences), so
    a question only looks up its few terms. The words are kept sorted, and sorted read
    backwards: the words sharing a term's first letters, or its last letters, are one slice
    of either list. A spelling variant of a word of ``SPELLING_VARIANT_MIN`` letters or more
    shares its first three letters with the word (the edit is further in) or its last three
    (the edit is in the first three), so only those are compared letter by letter.
    """

    __slots__ = ("_backwards", "_sorted", "words")

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self._sorted = sorted(self.words)
        self._backwards = sorted(word[::-1] for word in self.words)

    def matching(self, term: str) -> list[str]:
        """The words that are ``term``, its near-cognates or spelling variants (``coverage``)."""
        found = [term] if term in self.words else []
        if len(term) < COGNATE_PREFIX:
            return found
        found.extend(_starting(self._sorted, term[:COGNATE_PREFIX]))
        if len(term) >= SPELLING_VARIANT_MIN:
            heads = _starting(self._sorted, term[:3])
            tails = (word[::-1] for word in _starting(self._backwards, term[::-1][:3]))
            found.extend(
                word
                for filed in (heads, tails)
                for word in filed
                if len(word) >= SPELLING_VARIANT_MIN
                and abs(len(word) - len(term)) <= 1
                and _one_edit_apart(term, word)
            )
        return found


def _starting(ordered: list[str], prefix: str) -> Iterable[str]:
    """The words of the sorted list ``ordered`` that start with ``prefix``."""
    first = bisect.bisect_left(ordered, prefix)
    last = bisect.bisect_left(ordered, prefix + "\U0010ffff", first)
    return ordered[first:last]


class TermMatches:
    """Which tokens of a vocabulary (an article's) each question term matches, found once.

    The reader asks for the coverage of every sentence and of its neighbours; matching a term
    against each sentence's tokens again (cognates, spelling variants) cost more than the rest
    of the reading together. A sentence's coverage is then a few set intersections.
    """

    def __init__(self, terms: Mapping[str, float], vocabulary: Vocabulary | Iterable[str]) -> None:
        self.terms = terms
        self.total = sum(terms.values())
        if not isinstance(vocabulary, Vocabulary):
            vocabulary = Vocabulary(vocabulary)
        self.found: dict[str, frozenset[str]] = {
            term: frozenset(
                word for member in members(term) for word in vocabulary.matching(member)
            )
            for term in terms
        }

    def terms_in(self, tokens: Iterable[str]) -> frozenset[str]:
        """The terms found among ``tokens`` (a subset of the vocabulary)."""
        present = tokens if isinstance(tokens, (set, frozenset)) else set(tokens)
        return frozenset(t for t, words in self.found.items() if not words.isdisjoint(present))

    def weight(self, found: frozenset[str]) -> float:
        """Idf-weighted share of the terms that ``found`` holds (0 without terms)."""
        if self.total <= 0:
            return 0.0
        return sum(self.terms[term] for term in found) / self.total

    def share(self, tokens: Iterable[str]) -> float:
        """Idf-weighted share of the terms found among ``tokens``."""
        return self.weight(self.terms_in(tokens))


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether one insertion, deletion or substitution turns ``a`` into ``b``."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


# --- dates for "when / quand" questions -------------------------------------------------------

_WHEN = re.compile(
    r"^\s*(when|what (year|date|day|month|time)|which (year|date|day|month)|since when|"
    r"how long ago|quand|depuis quand|(en|à|a) quelle (ann[ée]e|date|[ée]poque|p[ée]riode)|"
    r"quelle (ann[ée]e|date)|quel (jour|mois))\b",
    re.IGNORECASE,
)


def by_first_letter(alternatives: str) -> str:
    """``"un|une|deux"`` as ``"u(?:n|ne)|deux"``: the same matches, found faster.

    A case-insensitive alternation is tried branch by branch at every word of a sentence;
    grouped, only the branch of the word's first letter is. Words keep their order within a
    group and words of different groups cannot match at the same place, so every match, and
    which alternative makes it, stays the same. The words must be plain alternatives (no
    ``|`` inside a group) that each start with a letter.
    """
    groups: dict[str, list[str]] = {}
    for word in alternatives.split("|"):
        if not word[:1].isalpha():
            raise ValueError(f"{word!r} does not start with a letter")
        groups.setdefault(word[0].lower(), []).append(word)
    return "|".join(
        f"{first}(?:{'|'.join(word[1:] for word in words)})" if len(words) > 1 else words[0]
        for first, words in groups.items()
    )


def _accent_tolerant(word: str) -> str:
    """A regex for ``word`` that also matches it typed without accents ("fevrier")."""
    return "".join(f"[{ch}{fold(ch)}]" if fold(ch) != ch else re.escape(ch) for ch in word)


_MONTHS = by_first_letter("|".join(
    [_accent_tolerant(french) for french, _, _, _ in MONTH_NAMES]
    + [english for _, english, _, _ in MONTH_NAMES]
    + [_accent_tolerant(abbr) + r"\." for _, _, dotted, _ in MONTH_NAMES for abbr in dotted]
))  # fmt: skip
_DAYS = by_first_letter("lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|"
                        "wednesday|thursday|friday|saturday|sunday")  # fmt: skip
_YEAR = r"(?:1[0-9]|20)\d{2}"
_DATE = re.compile(
    # Every date starts a word: "(?=\w)" says so first, which lets the engine skip the other
    # positions fast (half the time of a bare "\b" on news sentences; the same matches).
    # "en mai", "fin juin", "in May": a month said alone, when no day or year follows it
    rf"(?=\w)\b(?:(?:(?:en|in|au\s+mois\s+de|d[ée]but|fin|early|late)\s+|mi-|mid-)"
    rf"(?:{_MONTHS})\b(?!\s+\d)"
    # "au XVIIe siècle", "17ème siècle", "the 17th century"
    rf"|(?:[XVI]{{1,5}}|\d{{1,2}})(?:e|è|ème|eme|th|st|nd|rd)\s+(?:si[èe]cle|century)"
    rf"|\d{{4}}-\d{{2}}(?:-\d{{2}})?"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    # "March 10th" or "March 10, 2020", never "March 10 people"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:(?:st|nd|rd|th)\b(?:,?\s+{_YEAR}\b)?|,?\s+{_YEAR}\b)"
    rf"|(?:(?:{_DAYS})\s+)?(?:\d{{1,2}}(?:er)?\s+)?(?:{_MONTHS})(?:\s+{_YEAR}\b)?"
    rf"|(?:les\s+)?ann[ée]es\s+{_YEAR}"
    rf"|{_YEAR}\b)",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")
#: What every date without a digit holds at a word's start: a month, or "siècle"/"century".
_DATE_WORD = re.compile(rf"(?=(?i:[scjfmaond]))\b(?:si[èe]cle|century|{_MONTHS})", re.IGNORECASE)


def may_hold_date(sentence: str) -> bool:
    """False when ``sentence`` cannot hold a date: no digit, no month, no century. Two
    scans that skip fast, against ``_DATE``'s many alternatives tried at every word: two
    thirds of news sentences are settled at a fifth of the cost."""
    return _DIGIT.search(sentence) is not None or _DATE_WORD.search(sentence) is not None


def date_matches(sentence: str) -> list[re.Match[str]]:
    """Every plausible date expression of ``sentence``, as matches of the date grammar."""
    if not may_hold_date(sentence):
        return []
    return [match for match in _DATE.finditer(sentence) if _plausible(match.group())]


def asks_when(question: str) -> bool:
    """Whether the question asks for a time ("When…", "Quand…", "En quelle année…")."""
    return _WHEN.search(question) is not None


def date_expression(sentence: str, anchors: Sequence[str] = ()) -> str | None:
    """The date expression of ``sentence`` that answers a "when" question, verbatim.

    With several, the one nearest a question term (``anchors``, folded words) wins: in "the
    expulsion in January 2022 … since independence in 1960" the expulsion's date is wanted.
    """
    matches = date_matches(sentence)
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
