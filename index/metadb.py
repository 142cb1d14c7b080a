"""SQLite beside the vectors: articles and chunk spans, everything a citation needs.

FAISS keeps only ids; text, spans and metadata are read back from here. Chunk text is not
stored twice: it is a slice of the article text, so a quote can always be checked against it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.models import Article, ArticleMeta, Chunk, SearchFilters

DB_FILE = "meta.sqlite3"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        date TEXT,
        source TEXT,
        url TEXT,
        origin TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL,
        language TEXT
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL
    );
    CREATE INDEX chunks_article ON chunks(article_id);
    CREATE INDEX articles_date ON articles(date);
    CREATE INDEX articles_source ON articles(source COLLATE NOCASE);
    """,
]


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the builder needs it back: enough to reuse it without re-reading files."""

    article: Article
    content_hash: str
    language: str | None
    chunk_ids: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]  # each chunk's (start, end) in the article's text


def migrate(conn: sqlite3.Connection) -> None:
    """Apply numbered migrations once each, recorded in schema_migrations."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, script in enumerate(MIGRATIONS, start=1):
        if version not in done:
            conn.executescript(script)
            conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))
    conn.commit()


class MetaDB:
    """Thread-safe wrapper: discord.py answers from worker threads, one query at a time."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.Lock()
        if not readonly:
            self._conn.execute("PRAGMA journal_mode = OFF")  # the generation dir is the journal
            self._conn.execute("PRAGMA synchronous = OFF")  # fsync happens once, at commit
            migrate(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- writing (builder only, single thread) ------------------------------------------
    def add_article(self, article: Article, language: str | None, chunks: Sequence[Chunk]) -> None:
        self._conn.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?)",
            (article.id, article.title, article.text, article.date, article.source, article.url,
             article.origin, article.content_hash, language),
        )  # fmt: skip
        self._conn.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?)",
            [(c.id, article.id, pos, c.start, c.end) for pos, c in enumerate(chunks)],
        )

    def commit(self) -> None:
        self._conn.commit()

    # --- reading ------------------------------------------------------------------------
    def stored_articles(self) -> Iterator[StoredArticle]:
        """Every article with its chunk ids, for incremental builds."""
        with self._lock:
            chunk_rows = self._conn.execute(
                "SELECT article_id, id, start, end FROM chunks ORDER BY article_id, position"
            ).fetchall()
            rows = self._conn.execute(
                "SELECT id, title, text, date, source, url, origin, content_hash, language "
                "FROM articles"
            ).fetchall()
        by_article: dict[str, list[tuple[int, int, int]]] = {}
        for article_id, chunk, start, end in chunk_rows:
            by_article.setdefault(article_id, []).append((chunk, start, end))
        for aid, title, text, date, source, url, origin, digest, language in rows:
            article = Article(aid, title, text, date, source, url, origin)
            chunks = by_article.get(aid, [])
            ids = tuple(chunk for chunk, _, _ in chunks)
            spans = tuple((start, end) for _, start, end in chunks)
            yield StoredArticle(article, digest, language, ids, spans)

    def _rows_for(self, query: str, ids: Iterable[object]) -> list[tuple[Any, ...]]:
        """The rows of ``query`` for the distinct ``ids``, bound to its ``{marks}``."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        with self._lock:
            return self._conn.execute(query.format(marks=marks), wanted).fetchall()

    def chunks(self, ids: Iterable[int]) -> dict[int, Chunk]:
        rows = self._rows_for(
            "SELECT c.id, c.article_id, c.start, c.end, a.title, "
            "substr(a.text, c.start + 1, c.end - c.start) "
            "FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})",
            (int(i) for i in ids),
        )
        return {
            cid: Chunk(id=cid, article_id=aid, text=text, start=start, end=end, title=title)
            for cid, aid, start, end, title, text in rows
        }

    def chunk_articles(self, ids: Iterable[int]) -> dict[int, str]:
        """Chunk id → article id, without the text: ranking needs only whose chunk it is."""
        query = "SELECT id, article_id FROM chunks WHERE id IN ({marks})"
        return dict(self._rows_for(query, (int(i) for i in ids)))

    def all_chunks(self) -> Iterator[Chunk]:
        """Chunks in a stable order, for rebuilding the lexical index."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT c.id, c.article_id, c.start, c.end, a.title, "
                "substr(a.text, c.start + 1, c.end - c.start) "
                "FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.rowid"
            ).fetchall()
        for cid, aid, start, end, title, text in rows:
            yield Chunk(id=cid, article_id=aid, text=text, start=start, end=end, title=title)

    def articles(self, ids: Iterable[str]) -> dict[str, ArticleMeta]:
        query = "SELECT id, title, date, source, url, language FROM articles WHERE id IN ({marks})"
        return {row[0]: ArticleMeta(*row) for row in self._rows_for(query, ids)}

    def article_texts(self, ids: Iterable[str]) -> dict[str, str]:
        """Full article texts, for the reader (it reads beyond the retrieved chunks)."""
        return dict(self._rows_for("SELECT id, text FROM articles WHERE id IN ({marks})", ids))

    def chunk_ids_matching(self, filters: SearchFilters) -> list[int]:
        """Chunk ids of articles that pass the filters. Undated articles fail any date filter."""
        clauses: list[str] = []
        params: list[str] = []
        if filters.since:
            clauses.append("substr(a.date, 1, length(?)) >= ?")
            params += [filters.since, filters.since]
        if filters.until:
            clauses.append("substr(a.date, 1, length(?)) <= ?")
            params += [filters.until, filters.until]
        if filters.sources:
            marks = ",".join("?" * len(filters.sources))
            clauses.append(f"lower(a.source) IN ({marks})")
            params += [s.lower() for s in filters.sources]
        where = " AND ".join(clauses) or "1"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}",
                params,
            ).fetchall()
        return [row[0] for row in rows]

    def sources(self) -> list[tuple[str, int]]:
        """Outlets with their article counts, most frequent first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT source, count(*) FROM articles WHERE source IS NOT NULL AND source != '' "
                "GROUP BY source COLLATE NOCASE ORDER BY count(*) DESC, source"
            ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def date_range(self) -> tuple[str | None, str | None]:
        with self._lock:
            row = self._conn.execute(
                "SELECT min(date), max(date) FROM articles WHERE date IS NOT NULL"
            ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def counts(self) -> tuple[int, int]:
        with self._lock:
            articles = self._conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            chunks = self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(articles), int(chunks)

    def languages(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT coalesce(language, 'und'), count(*) FROM articles "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        return {row[0]: row[1] for row in rows}
