"""Checks that tests run on answers and indexes; production code never needs them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answer.models import Citation
from index.metadb import MetaDB

MARKER = re.compile(r"\[(\d+)\]")


def markers(text: str) -> list[int]:
    """Citation marker numbers in order of appearance."""
    return [int(m) for m in MARKER.findall(text)]


def check_invariants(text: str, citations: Sequence[Citation], *, abstained: bool) -> None:
    """Raise AssertionError when the text and the source list disagree.

    Markers are exactly 1..n, one citation per article, every marker refers to a listed citation
    and every citation is cited; an abstention cites nothing.
    """
    numbers = [c.n for c in citations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise AssertionError(f"citations are not numbered 1..n: {numbers}")
    if len({c.article_id for c in citations}) != len(citations):
        raise AssertionError("two citations point to the same article")
    used = set(markers(text))
    if abstained:
        if used:
            raise AssertionError(f"an abstention cites {sorted(used)}")
        return
    if used != set(numbers):
        raise AssertionError(f"markers {sorted(used)} do not match sources {numbers}")


def article_text(db: MetaDB, article_id: str) -> str:
    """The stored (normalised) text of one article, read the way incremental builds read it."""
    for stored in db.stored_articles():
        if stored.article.id == article_id:
            return stored.article.text
    raise AssertionError(f"article {article_id} is not in {db.path}")
