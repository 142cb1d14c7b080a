"""Citation numbering: one number per article, in order of first mention.

Invariants the front ends rely on (checked by ``tests/invariants.py``): markers in the text are
exactly 1..n, every marker refers to a listed citation and every citation is cited at least
once; two quotes from the same article share its number.
"""

from __future__ import annotations

from bot.answer.models import Citation
from index.models import ArticleMeta

QUOTE_JOINER = " … "


class CitationList:
    """Assigns numbers to articles as they are quoted and collects their quotes."""

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        self._meta: dict[str, ArticleMeta] = {}
        self._quotes: dict[str, list[str]] = {}

    def cite(self, article: ArticleMeta, quote: str) -> int:
        """The marker number for ``article``; the same article always gets the same number."""
        n = self._number.setdefault(article.id, len(self._number) + 1)
        self._meta.setdefault(article.id, article)
        quotes = self._quotes.setdefault(article.id, [])
        if quote not in quotes:
            quotes.append(quote)
        return n

    def citations(self) -> list[Citation]:
        return [
            Citation(
                n=n,
                article_id=aid,
                title=self._meta[aid].title,
                date=self._meta[aid].date,
                source=self._meta[aid].source,
                url=self._meta[aid].url,
                quote=QUOTE_JOINER.join(self._quotes[aid]),
            )
            for aid, n in sorted(self._number.items(), key=lambda item: item[1])
        ]
