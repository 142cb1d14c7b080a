"""Scoring for ``newsbot eval``: pure functions, so each is checked against hand-computed values.

Retrieval is scored at the article level (a question is answered by an article, whichever of its
chunks was found), over ranked lists of article ids with duplicates already removed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from index.text import fold

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_SPACES = re.compile(r"\s+")


def dedupe(ids: Iterable[str]) -> list[str]:
    """Keep the first occurrence of each id: chunk hits → ranked article ids."""
    return list(dict.fromkeys(ids))


def recall_at_k(ranked: Sequence[str], gold: str, k: int) -> float:
    """1.0 when the gold article is among the first ``k`` ranked ids, else 0.0."""
    if k < 1:
        raise ValueError(f"k={k} must be at least 1")
    return 1.0 if gold in ranked[:k] else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: str, depth: int) -> float:
    """1/rank of the gold article within the first ``depth`` ids, 0.0 when it is not there."""
    for rank, article_id in enumerate(ranked[:depth], start=1):
        if article_id == gold:
            return 1.0 / rank
    return 0.0


def match_form(text: str) -> str:
    """Case-, accent- and spacing-insensitive form, without [n] citation markers."""
    return _SPACES.sub(" ", fold(_MARKER.sub(" ", text))).strip()


def answer_hit(answer_text: str, accepted: Iterable[str]) -> bool:
    """Whether any accepted answer string appears in the answer text (sources list excluded).

    Matching ignores case, accents, curly apostrophes and runs of spaces, so "Etats-Unis" matches
    "États-Unis"; an empty accepted string never matches.
    """
    haystack = match_form(answer_text)
    return any(needle and needle in haystack for needle in map(match_form, accepted))


def lead_matches(lead: str | None, accepted: Iterable[str]) -> bool:
    """Whether a reply's lead names an accepted answer: either holds the other in match form,
    so "en 1848" answers "1848" and "Zakharova" answers "Maria Zakharova"."""
    shown = match_form(lead or "")
    golds = [gold for gold in map(match_form, accepted) if gold]
    return bool(shown) and any(gold in shown or shown in gold for gold in golds)


@dataclass(frozen=True, slots=True)
class LeadQuality:
    """How trustworthy the replies' leads are: a lead reads as the answer itself."""

    answered: int  # answerable questions the reply did not abstain on
    led: int  # ... whose reply opened with a lead
    right: int  # ... that is an accepted answer

    @property
    def precision(self) -> float | None:
        return self.right / self.led if self.led else None

    def to_json(self) -> dict[str, float | int | None]:
        precision = self.precision
        return {
            "answered": self.answered,
            "led": self.led,
            "right": self.right,
            "precision": round(precision, 4) if precision is not None else None,
        }


def lead_quality(outcomes: Sequence[Outcome]) -> LeadQuality:
    """Leads given and right among the answered answerable questions."""
    answered = [o for o in outcomes if o.gold is not None and not o.abstained]
    led = [o for o in answered if o.lead]
    return LeadQuality(len(answered), len(led), sum(o.lead_right for o in led))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation, numpy's default method."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q={q} must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one question produced. ``gold`` is None for a question the corpus does not answer."""

    lang: str
    gold: str | None
    ranked: Sequence[str]
    abstained: bool = False
    hit: bool = False
    answer_type: str = "other"  # bot.answer.answer_types.classify of the question
    lead: str | None = None  # the span the reply opened with (Answer.lead)
    lead_right: bool = False  # ... and it is one of the accepted answers (lead_matches)


@dataclass(slots=True)
class Summary:
    """Aggregates for one group of outcomes; None where the group has no question to score."""

    n: int
    recall: dict[int, float | None] = field(default_factory=dict)
    mrr: float | None = None
    answer_hit: float | None = None
    false_abstain: float | None = None
    abstain_unanswerable: float | None = None

    def to_json(self, *, answers: bool = True, digits: int = 4) -> dict[str, float | int | None]:
        """The report's key order; ``answers=False`` keeps only retrieval keys (baselines)."""
        out: dict[str, float | int | None] = {"n": self.n}
        out.update({f"recall@{k}": _round(v, digits) for k, v in self.recall.items()})
        out["mrr"] = _round(self.mrr, digits)
        if answers:
            out["answer_hit"] = _round(self.answer_hit, digits)
            out["false_abstain"] = _round(self.false_abstain, digits)
            out["abstain_unanswerable"] = _round(self.abstain_unanswerable, digits)
        return out


def summarize(outcomes: Sequence[Outcome], ks: Sequence[int], depth: int) -> Summary:
    """Recall@k, MRR@depth and answer-hit over answerable questions; abstention rates per kind.

    ``n`` counts every question of the group, answerable or not.
    """
    answerable = [o for o in outcomes if o.gold is not None]
    unanswerable = [o for o in outcomes if o.gold is None]
    summary = Summary(n=len(outcomes))
    summary.recall = {
        k: _mean([recall_at_k(o.ranked, o.gold, k) for o in answerable if o.gold is not None])
        for k in ks
    }
    summary.mrr = _mean(
        [reciprocal_rank(o.ranked, o.gold, depth) for o in answerable if o.gold is not None]
    )
    summary.answer_hit = _mean([float(o.hit and not o.abstained) for o in answerable])
    summary.false_abstain = _mean([float(o.abstained) for o in answerable])
    summary.abstain_unanswerable = _mean([float(o.abstained) for o in unanswerable])
    return summary


def summarize_by_lang(
    outcomes: Sequence[Outcome], ks: Sequence[int], depth: int
) -> dict[str, Summary]:
    """One summary per question language, languages in sorted order."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.lang, []).append(outcome)
    return {lang: summarize(groups[lang], ks, depth) for lang in sorted(groups)}


def answer_hit_by_type(outcomes: Sequence[Outcome]) -> dict[str, tuple[int, float]]:
    """(answerable questions, answer hit) per answer type, types in a fixed order.

    Shows which kinds of question the reader fails ("when" answered, "who" not): the overall
    hit rate hides it.
    """
    from bot.answer.answer_types import ANSWER_TYPES

    out: dict[str, tuple[int, float]] = {}
    for kind in ANSWER_TYPES:
        group = [o for o in outcomes if o.gold is not None and o.answer_type == kind]
        if group:
            out[kind] = (len(group), sum(o.hit and not o.abstained for o in group) / len(group))
    return out


def summaries_json(
    summaries: Mapping[str, Summary], *, answers: bool = True
) -> dict[str, dict[str, float | int | None]]:
    return {name: summary.to_json(answers=answers) for name, summary in summaries.items()}


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
