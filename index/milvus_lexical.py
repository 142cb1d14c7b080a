"""BM25 on the Milvus backend: Milvus finds the candidates, newsbot scores them exactly.

Why newsbot analyses the text itself: milvus-lite's analysers are ``standard`` (``\\w+`` and
lowercase) and ``jieba``; it accepts the ``asciifolding`` and ``stemmer`` filters of a Milvus
server's French chain and silently ignores them ("expulsé" does not find "expulsion",
"etrangeres" does not find "Étrangères"). So the VARCHAR field holds newsbot's own tokens (folded,
stopwords dropped, Snowball-stemmed: ``index.lexical.Tokenizer``) joined by spaces, and the
standard analyser only splits them again. The same tokens reach Milvus Lite, a server and the
FAISS backend's bm25s, whatever filters a given Milvus version implements.

Why newsbot recomputes the scores: Milvus Lite keeps BM25 statistics per segment, so an
article added by ``index update`` lands in a small segment whose idf is computed over a handful
of chunks and whose scores are off by an order of magnitude. The generation therefore carries
the collection-wide statistics (chunk count, total length, document frequency per term) in a
small SQLite file, and every candidate is scored from them with bm25s's Lucene formula
(k1 1.5, b 0.75): scores equal the FAISS backend's whatever the segment layout, and the fusion's
z-scores mean the same on both backends.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.lexical import Tokenizer

if TYPE_CHECKING:
    from numpy.typing import NDArray

STATS_FILE = "bm25-stats.sqlite3"
TERMS_FIELD = "terms"
SPARSE_FIELD = "sparse"
K1 = 1.5
B = 0.75


def idf(df: int, total: int) -> float:
    """bm25s's Lucene idf: never negative, largest for a term no chunk contains."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


class LexicalStats:
    """Collection-wide BM25 statistics of one generation: chunks, tokens, df per term."""

    def __init__(self, path: Path, *, readonly: bool = True) -> None:
        self.path = path
        uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        if not readonly:
            self._conn.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                "CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL)"
                " WITHOUT ROWID;"
                "CREATE TABLE IF NOT EXISTS totals (chunks INTEGER NOT NULL,"
                " tokens INTEGER NOT NULL);"
            )
            if self._conn.execute("SELECT count(*) FROM totals").fetchone()[0] == 0:
                self._conn.execute("INSERT INTO totals VALUES (0, 0)")
        self.chunks, self.tokens = self._conn.execute(
            "SELECT chunks, tokens FROM totals"
        ).fetchone()

    @property
    def avgdl(self) -> float:
        return self.tokens / self.chunks if self.chunks else 1.0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def apply(self, added: Iterable[Sequence[str]], removed: Iterable[Sequence[str]]) -> None:
        """Count chunks' token lists in (``added``) or out (``removed``) and commit."""
        delta: Counter[str] = Counter()
        chunks = tokens = 0
        for sign, lists in ((1, added), (-1, removed)):
            for terms in lists:
                delta.update({term: sign for term in set(terms)})
                chunks += sign
                tokens += sign * max(1, len(terms))  # bm25s counts an empty chunk as one token
        with self._lock:
            self._conn.executemany(
                "INSERT INTO terms VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + ?",
                [(term, n, n) for term, n in delta.items() if n],
            )
            self._conn.execute("DELETE FROM terms WHERE df <= 0")
            self._conn.execute(
                "UPDATE totals SET chunks = chunks + ?, tokens = tokens + ?", (chunks, tokens)
            )
            self._conn.commit()
            self.chunks, self.tokens = self._conn.execute(
                "SELECT chunks, tokens FROM totals"
            ).fetchone()

    def df(self, terms: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(terms))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT term, df FROM terms WHERE term IN ({marks})", wanted
            ).fetchall()
        found = dict(rows)
        return {term: int(found.get(term, 0)) for term in wanted}


def bm25(query: Sequence[str], terms: str, weights: dict[str, float], avgdl: float) -> float:
    """bm25s's Lucene score of one chunk (its space-joined ``terms``) for ``query`` tokens."""
    tokens = terms.split()
    if not tokens:
        return 0.0
    counts = Counter(tokens)
    norm = K1 * (1.0 - B + B * len(tokens) / avgdl)
    score = 0.0
    for token in query:
        tf = counts.get(token, 0)
        if tf:
            score += weights[token] * tf / (tf + norm)
    return score


def id_filter(ids: Sequence[int] | NDArray[np.int64]) -> str:
    """A Milvus boolean expression restricting a search to chunk ids."""
    return f"chunk_id in [{','.join(str(int(i)) for i in ids)}]"


class MilvusLexicalScores:
    """One question against one collection: ``top`` asks Milvus, ``of`` reads the chunks' terms.

    Both compute the score here from the generation's statistics, and terms fetched once are
    kept, so the candidates ``top`` found cost nothing when ``of`` is asked about them again.
    """

    def __init__(self, index: MilvusLexicalIndex, tokens: Sequence[str]) -> None:
        self._index = index
        self._tokens = list(tokens)
        self._weights = index.term_weights(tokens) if tokens else {}
        known = [t for t in self._tokens if index.stats_df(t) > 0]
        self._query = known
        self._terms: dict[int, str] = {}

    def top(self, k: int, *, allowed: NDArray[np.int64] | None = None) -> list[tuple[int, float]]:
        if not self._query or k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        hits = self._index.collection.search_terms(
            " ".join(self._query), k, id_filter(allowed) if allowed is not None else ""
        )
        self._terms.update(hits)
        scored = [(cid, self._score(terms)) for cid, terms in hits.items()]
        scored.sort(key=lambda pair: -pair[1])
        return [(cid, score) for cid, score in scored if score > 0][:k]

    def of(self, ids: Sequence[int]) -> list[float]:
        if not self._query or not len(ids):
            return [0.0] * len(ids)
        missing = [int(i) for i in ids if int(i) not in self._terms]
        if missing:
            self._terms.update(self._index.collection.terms_of(missing))
        return [self._score(self._terms.get(int(i), "")) for i in ids]

    def _score(self, terms: str) -> float:
        return bm25(self._query, terms, self._weights, self._index.stats.avgdl)


class MilvusLexicalIndex:
    """The lexical side of a Milvus generation (``index.lexical.LexicalIndex``)."""

    def __init__(self, collection: Any, stats: LexicalStats, language: str) -> None:
        self.collection = collection  # index.milvus_backend.MilvusCollection
        self.stats = stats
        self.language = language
        self._tokenizer = Tokenizer(language)
        self._df_cache: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self.stats.chunks)

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer(text)

    def score(self, tokens: Sequence[str]) -> MilvusLexicalScores:
        return MilvusLexicalScores(self, tokens)

    def stats_df(self, token: str) -> int:
        with self._lock:
            cached = self._df_cache.get(token)
        if cached is not None:
            return cached
        value = self.stats.df([token])[token]
        with self._lock:
            if len(self._df_cache) > 100_000:
                self._df_cache.clear()
            self._df_cache[token] = value
        return value

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """Same idf as the FAISS backend's bm25s index, from the generation's statistics."""
        if not tokens:
            return {}
        total = int(self.stats.chunks)
        return {token: idf(self.stats_df(token), total) for token in dict.fromkeys(tokens)}

    def save(self, directory: Path) -> None:
        """Nothing to write: the statistics file is written by the builder, the terms by Milvus."""
