"""👍/👎 votes on answers, in SQLite outside the index directory so rebuilds keep them.

Every answer sent is recorded (question, answer text, cited article ids) under a short id that
the buttons carry in their ``custom_id``; a vote after a restart therefore still finds what it
was about. User ids are stored only as a salted HMAC: the salt is created once per database, so
votes can be counted per user without keeping Discord ids.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Vote = Literal["up", "down"]

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
)


@dataclass(frozen=True)
class FeedbackRow:
    answer_id: str
    question: str
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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FeedbackStore:
    """Thread-safe: one short-lived connection per call (calls run via ``asyncio.to_thread``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self._salt = self._read_salt()

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
                if version == 1:
                    conn.execute(
                        "INSERT INTO meta(key, value) VALUES ('salt', ?)", (secrets.token_hex(16),)
                    )
                conn.execute(
                    "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)",
                    (version, _now()),
                )

    def _read_salt(self) -> bytes:
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        return bytes.fromhex(row[0])

    def schema_version(self) -> int:
        with self._connect() as conn:
            row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def hash_user(self, user_id: int) -> str:
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()

    def record_answer(
        self, question: str, answer: str, article_ids: list[str], *, abstained: bool
    ) -> str:
        """Keep what an answer said; returns the id its feedback buttons carry."""
        answer_id = uuid.uuid4().hex[:16]
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO answers(id, question, answer, article_ids, abstained, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, question, answer, json.dumps(article_ids), int(abstained), _now()),
            )
        return answer_id

    def vote(self, answer_id: str, user_id: int, vote: Vote) -> None:
        """One vote per user and answer: voting again replaces the earlier vote."""
        with self._connect() as conn:
            known = conn.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone()
            if known is None:
                raise UnknownAnswerError(answer_id)
            conn.execute(
                "INSERT INTO votes(answer_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(answer_id, user_hash) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                (answer_id, self.hash_user(user_id), vote, _now()),
            )

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
