"""The nouns that flow from files to ranked passages.

Plain frozen dataclasses: cheap to build by the hundred thousand, easy to compare in tests,
and free of any storage or front-end concern.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as read from a corpus file.

    ``date`` keeps the precision the source gave: ``"2023"``, ``"2023-02"`` or ``"2023-02-06"``.
    ``text`` is already normalised (see ``index.text.normalise_text``); chunk spans index into it.
    """

    id: str
    title: str
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    origin: str = ""  # the file it was read from (resolved), so --prune can tell it disappeared

    @property
    def content_hash(self) -> str:
        """Hash of what is embedded: only a changed title or text means re-embedding."""
        return content_hash(self.title, self.text)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of an article, sized for the embedding model.

    ``start``/``end`` are character offsets into ``Article.text`` so an answer can quote the
    exact sentence. ``id`` is derived from the article's content hash and the span, so an
    unchanged article always yields the same chunk ids (and its vectors can be reused).
    """

    id: int
    article_id: str
    text: str
    start: int
    end: int
    title: str = ""

    def embedding_text(self) -> str:
        """What the model sees: the title gives every chunk its article's context."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What a citation needs about an article, read back from the store."""

    id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with every score that led to it (None when a retriever missed it).

    ``story_report``: a "latest news" question put this chunk among its story's reports, which
    are ranked by date (``index.recency``), so the first hit is the newest report.
    """

    chunk: Chunk
    article: ArticleMeta
    score: float
    dense: float | None = None
    lexical: float | None = None
    story_report: bool = False


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions a user can put on retrieval. Dates are partial ISO strings (2023, 2023-02)."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)


@dataclass(slots=True)
class SkippedInput:
    """A record that could not be read; the build goes on without it."""

    origin: str  # "path" or "path:line"
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(slots=True)
class LoadReport:
    """What a corpus read produced besides articles: skips and duplicates, for the user."""

    files: int = 0
    articles: int = 0
    duplicates: int = 0
    skipped: list[SkippedInput] = field(default_factory=list)

    def skip(self, origin: str, reason: str) -> None:
        self.skipped.append(SkippedInput(origin, reason))


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def chunk_id(article_hash: str, start: int, end: int) -> int:
    """A positive int64 that FAISS can use as the vector id, stable across rebuilds."""
    digest = hashlib.blake2b(f"{article_hash}:{start}:{end}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
