""" "Latest news" questions: spotting them, and putting the newest report of their story first.

Someone asking for the latest news names a story and wants its newest report, even when an older
report happens to match the question's words better. A bonus growing with the date (over every
candidate) does not do that: two reports a few days apart get almost the same bonus, and an
unrelated article from last week gets more than either. So the ranking first decides which
candidates tell the question's story, and only orders those by date:

- a candidate is *of the story* when it matches almost as well as the best one: its fused score
  within ``STORY_MARGIN`` standard deviations of the best, and, when the question has words the
  index knows, at least ``STORY_LEXICAL_SHARE`` of the best lexical score (it names what the
  question names; the dense score alone cannot tell "Mamadou Diallo" from "Aminata Diallo");
- the story's dated reports come first, newest first (equal dates by score), then everything
  else in its usual order.

Such a question also matches words without its words about time (``story_words``), and the
retriever looks at ``RECENT_POOL_FACTOR`` times the usual candidates: a story told in dozens of
reports fills the usual pool with its best-worded ones and can leave the newest out.

The cues are narrow on purpose. French "dernier" alone mostly means "last" ("son dernier match",
"le dernier roi"): only "dernières nouvelles", "dernier bilan" and the like ask for news.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from index.fusion import zscores

#: How far (in standard deviations of the fused score) a report may trail the best candidate
#: and still count as telling the question's story.
STORY_MARGIN = 3.0
#: The share of the best lexical score a report needs to count as naming the question's subject.
STORY_LEXICAL_SHARE = 0.5

_NEWS_NOUNS = (
    r"nouvelles?|news|infos?|informations?|actualit[ée]s?|actus?|d[ée]veloppements?|"
    r"rebondissements?|chiffres?|bilans?|point|mises? [àa] jour|[ée]volutions?|annonces?|"
    r"[ée]v[ée]nements?|d[ée]clarations?"
)
#: Phrases that both ask for the newest news and say nothing about the story.
_RECENT_PHRASES = (
    r"latest|newest|lately|most\s+recent|recent(?:ly)?|what'?s\s+new|r[ée]cemment|r[ée]cente?s?|"
    r"quoi\s+de\s+neuf|o[uù]\s+en\s+(?:est|sont)"
)
_RECENT_CUES = re.compile(
    rf"\b(?:{_RECENT_PHRASES}|any\s+news|updates?\s+on|"
    r"ces\s+derni[eè]r(?:e?s)\s+(?:jours|semaines|mois|temps)|"
    rf"derni[eè]re?s?\s+(?:{_NEWS_NOUNS}))\b",
    re.IGNORECASE,
)
#: What a "latest" question says about time rather than about its story. Left in, "dernières
#: nouvelles" would match every article that announces "de nouvelles mesures".
_TIME_WORDS = re.compile(
    rf"\b(?:{_RECENT_PHRASES}|news|updates?|derni[eè]re?s?|nouvelles?|infos?|informations?|"
    r"actualit[ée]s?|actus?)\b",
    re.IGNORECASE,
)


def story_words(question: str) -> str:
    """The question without its words about time, for lexical matching of a "latest" question
    ("dernières nouvelles de Notre-Dame de Paris" -> "de Notre-Dame de Paris")."""
    return _TIME_WORDS.sub(" ", question)


def wants_recent(question: str) -> bool:
    """Whether a question asks for the newest news ("latest", "dernières nouvelles"...)."""
    return _RECENT_CUES.search(question) is not None


def newest_first(
    scores: NDArray[np.float64],
    lexical: NDArray[np.float64] | None,
    dates: Sequence[str | None],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Ranking scores for a "latest" question, and which candidates are the story's reports.

    ``scores`` are the method's scores, ``lexical`` the BM25 scores of the same candidates (None
    when the method has none), ``dates`` their articles' partial ISO dates. The scores are
    z-normalised, and the story's dated reports lifted above every other candidate, so a plain
    descending sort gives the order. With fewer than two dates in the story nothing is lifted.
    """
    z = zscores(np.asarray(scores, dtype=np.float64))
    none = np.zeros(z.size, dtype=bool)
    if z.size == 0:
        return z, none
    best = float(z.max())
    story = z >= best - STORY_MARGIN
    if lexical is not None and lexical.size and float(lexical.max()) > 0.0:
        story &= lexical >= STORY_LEXICAL_SHARE * float(lexical.max())
    story &= np.array([bool(d) for d in dates], dtype=bool)  # undated: cannot be the newest
    story_dates = sorted({d for d, s in zip(dates, story, strict=True) if s and d})
    if len(story_dates) < 2:
        return z, none
    band = {d: i for i, d in enumerate(story_dates)}
    lifted = z.copy()
    for i in np.flatnonzero(story).tolist():
        # Each date gets a band of width 1 above the best score; within a band the score
        # (which lies in [best - STORY_MARGIN, best]) orders reports of the same day.
        within = 0.5 * (z[i] - best + STORY_MARGIN) / STORY_MARGIN
        lifted[i] = best + 1.0 + band[str(dates[i])] + within
    return lifted, story
