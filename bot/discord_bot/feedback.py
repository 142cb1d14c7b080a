"""👍/👎 votes on answers, in SQLite outside the index directory so rebuilds keep them.

What is kept (docs/discord.md says the same): for every answer sent, its text and cited article
ids under a short id that the buttons carry, so a vote after a restart still finds what it was
about. The question is written only when someone votes on its answer; until then it lives in
memory. Voters are stored as an HMAC of their Discord id under a key from the settings
(NEWSBOT_FEEDBACK_KEY), never stored beside the hashes. Rows older than the retention period
are deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Vote = Literal["up", "down"]

log = logging.getLogger(__name__)

PENDING_QUESTIONS = 5_000  # questions of unvoted answers kept in memory, newest last
PURGE_EVERY = 3600.0  # seconds between retention sweeps

# Numbered migrations: append, never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        article_ids TEXT NOT NULL,   -- JSON list, citation order
        abstained INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE votes (
        answer_id TEXT NOT NULL REFERENCES answers(id),
        user_hash TEXT NOT NULL,
        vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        voted_at TEXT NOT NULL,
        PRIMARY KEY (answer_id, user_hash)
    );
    """,
    # 2: questions only with a vote (NULL otherwise), no salt beside the hashes, dated purges.
    """
    CREATE TABLE answers_v2 (
        id TEXT PRIMARY KEY,
        question TEXT,               -- NULL until someone votes on the answer
        answer TEXT NOT NULL,
        article_ids TEXT NOT NULL,
        abstained INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    INSERT INTO answers_v2
        SELECT id,
               CASE WHEN id IN (SELECT answer_id FROM votes) THEN question END,
               answer, article_ids, abstained, created_at
        FROM answers;
    CREATE TABLE votes_v2 (
        answer_id TEXT NOT NULL REFERENCES answers_v2(id) ON DELETE CASCADE,
        user_hash TEXT NOT NULL,
        vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        voted_at TEXT NOT NULL,
        PRIMARY KEY (answer_id, user_hash)
    );
    INSERT INTO votes_v2 SELECT answer_id, user_hash, vote, voted_at FROM votes;
    DROP TABLE votes;
    DROP TABLE answers;
    ALTER TABLE answers_v2 RENAME TO answers;
    ALTER TABLE votes_v2 RENAME TO votes;
    CREATE INDEX answers_created ON answers(created_at);
    DELETE FROM meta WHERE key = 'salt';
    """,
)


@dataclass(frozen=True)
class FeedbackRow:
    answer_id: str
    question: str | None  # None when the question was no longer in memory at vote time
    answer: str
    article_ids: list[str]
    vote: Vote
    user_hash: str
    voted_at: str


@dataclass(frozen=True)
class FeedbackTotals:
    answers: int
    up: int
    down: int

    def describe(self) -> str:
        return f"{self.answers} answers recorded, {self.up} 👍, {self.down} 👎"


class UnknownAnswerError(LookupError):
    """A vote for an answer this database never recorded (e.g. the file was deleted)."""


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _now() -> str:
    return _stamp(time.time())


class FeedbackStore:
    """Thread-safe: one short-lived connection per call (calls run in the bot's SQLite pool).

    ``key`` is the HMAC key for voter ids (NEWSBOT_FEEDBACK_KEY); without one, a random key per
    process, so hashes cannot be linked across restarts. ``retention_days`` bounds every row's
    life.
    """

    def __init__(
        self,
        path: Path,
        *,
        key: bytes | None = None,
        retention_days: int = 90,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.retention_days = retention_days
        self.clock = clock
        self._lock = threading.Lock()
        self._key = key or secrets.token_bytes(32)
        self._pending: OrderedDict[str, str] = OrderedDict()  # answer id → question
        self._purged_at = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self.purge()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                with conn:
                    yield conn
            finally:
                conn.close()

    def _migrate(self) -> None:
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, script in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            with self._connect() as conn:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)",
                    (version, _now()),
                )

    def schema_version(self) -> int:
        with self._connect() as conn:
            row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def hash_user(self, user_id: int) -> str:
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()

    def record_answer(
        self,
        question: str,
        answer: str,
        article_ids: list[str],
        *,
        abstained: bool,
        answer_id: str | None = None,
    ) -> str:
        """Keep what an answer said (not the question: see ``vote``); returns the buttons' id."""
        answer_id = answer_id or uuid.uuid4().hex[:16]
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO answers(id, question, answer, article_ids, abstained, created_at) "
                "VALUES (?, NULL, ?, ?, ?, ?)",
                (answer_id, answer, json.dumps(article_ids), int(abstained), self._now()),
            )
        with self._lock:
            self._pending[answer_id] = question
            while len(self._pending) > PENDING_QUESTIONS:
                self._pending.popitem(last=False)
        if self.clock() - self._purged_at > PURGE_EVERY:
            self.purge()
        return answer_id

    def vote(self, answer_id: str, user_id: int, vote: Vote) -> None:
        """One vote per user and answer: voting again replaces the earlier vote.

        The first vote writes the answer's question, if this process still remembers it.
        """
        with self._lock:
            question = self._pending.get(answer_id)
        with self._connect() as conn:
            known = conn.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone()
            if known is None:
                raise UnknownAnswerError(answer_id)
            if question is not None:
                conn.execute(
                    "UPDATE answers SET question = ? WHERE id = ? AND question IS NULL",
                    (question, answer_id),
                )
            conn.execute(
                "INSERT INTO votes(answer_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(answer_id, user_hash) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                (answer_id, self.hash_user(user_id), vote, self._now()),
            )

    def purge(self) -> int:
        """Delete answers (and their votes) older than the retention period; returns how many."""
        self._purged_at = self.clock()
        cutoff = _stamp(self._purged_at - self.retention_days * 86_400)
        with self._connect() as conn:
            deleted = conn.execute("DELETE FROM answers WHERE created_at < ?", (cutoff,)).rowcount
        if deleted:
            days = self.retention_days
            log.info("feedback: deleted %d answers older than %d days", deleted, days)
        return int(deleted)

    def _now(self) -> str:
        return _stamp(self.clock())

    def rows(self) -> list[FeedbackRow]:
        with self._connect() as conn:
            found = conn.execute(
                "SELECT a.id, a.question, a.answer, a.article_ids, v.vote, v.user_hash, v.voted_at "
                "FROM votes v JOIN answers a ON a.id = v.answer_id ORDER BY v.voted_at, a.id"
            ).fetchall()
        return [FeedbackRow(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in found]

    def totals(self) -> FeedbackTotals:
        with self._connect() as conn:
            answers = conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            counts = dict(conn.execute("SELECT vote, COUNT(*) FROM votes GROUP BY vote").fetchall())
        return FeedbackTotals(int(answers), int(counts.get("up", 0)), int(counts.get("down", 0)))
