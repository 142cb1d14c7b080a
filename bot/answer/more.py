"""More sources: the articles ranked after the ones an answer shows, from the same ranking.

Nothing is searched again: the service passes the ranked hits it already has. Each further
article comes with its best sentence when the answer step scored one, else the opening of its
best passage, and is numbered on from the answer's own citations.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer.extract import ScoredSentence
from bot.answer.models import Citation
from index.models import Hit

MORE_SOURCES = 5
QUOTE_CHARS = 300


def more_sources(
    hits: Sequence[Hit],
    sentences: Sequence[ScoredSentence],
    shown: Sequence[Citation],
    limit: int = MORE_SOURCES,
) -> list[Citation]:
    """Up to ``limit`` articles after those in ``shown``, in ranking order."""
    best: dict[str, str] = {}
    for sentence in sorted(sentences, key=lambda s: -s.relevance):
        best.setdefault(sentence.article_id, sentence.text)
    skip = {citation.article_id for citation in shown}
    more: list[Citation] = []
    for hit in hits:
        article = hit.article
        if article.id in skip:
            continue
        skip.add(article.id)
        quote = best.get(article.id) or _opening(hit.chunk.text)
        n = len(shown) + len(more) + 1
        more.append(
            Citation(n, article.id, article.title, article.date, article.source, article.url, quote)
        )
        if len(more) == limit:
            break
    return more


def _opening(text: str) -> str:
    first = " ".join(text.split("\n", 1)[0].split())
    return first if len(first) <= QUOTE_CHARS else first[: QUOTE_CHARS - 1].rstrip() + "…"
