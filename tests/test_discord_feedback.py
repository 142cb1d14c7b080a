"""👍/👎 feedback: stored row by row in SQLite, hashed user ids, buttons alive after a restart."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import discord
import pytest

from bot.discord_bot.feedback import MIGRATIONS, FeedbackStore, UnknownAnswerError
from bot.discord_bot.views import FeedbackButton

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    FakeInteraction,
    Harness,
    HarnessFactory,
    make_harness_fixture,
)


def test_store_keeps_questions_only_with_a_vote_and_hashes_with_the_key(tmp_path: Path) -> None:
    path = tmp_path / "fb" / "feedback.sqlite3"
    store = FeedbackStore(path, key=b"the-secret-key")
    assert store.schema_version() == 2
    answer_id = store.record_answer("Q ?", "R [1].", ["a1", "a2"], abstained=False)
    unvoted = store.record_answer("Une question privée ?", "R2", [], abstained=True)
    store.vote(answer_id, 123456789012345678, "up")
    store.vote(answer_id, 123456789012345678, "down")  # changed their mind
    store.vote(answer_id, 42, "up")

    reopened = FeedbackStore(path, key=b"the-secret-key")  # a restart with the same setting
    assert reopened.schema_version() == 2
    assert reopened.hash_user(42) == store.hash_user(42)
    assert FeedbackStore(tmp_path / "o.sqlite3", key=b"other").hash_user(42) != store.hash_user(42)
    assert FeedbackStore(tmp_path / "n.sqlite3").hash_user(42) != store.hash_user(42)  # no key
    rows = reopened.rows()
    assert sorted(r.vote for r in rows) == ["down", "up"]
    first = rows[0]
    assert (first.question, first.answer, first.article_ids) == ("Q ?", "R [1].", ["a1", "a2"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.voted_at)
    assert reopened.totals().describe() == "2 answers recorded, 1 👍, 1 👎"

    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM schema_migrations").fetchall()
        stored = dict(conn.execute("SELECT id, question FROM answers").fetchall())
        dump = "\n".join(conn.iterdump())
    assert versions == [(1,), (2,)]
    assert stored == {answer_id: "Q ?", unvoted: None}  # no vote: the question is not kept
    assert "Une question privée" not in dump
    assert "the-secret-key" not in dump and b"the-secret-key".hex() not in dump  # key elsewhere
    assert "123456789012345678" not in dump and "'42'" not in dump  # raw ids never stored

    with pytest.raises(UnknownAnswerError):
        reopened.vote("0" * 16, 1, "up")


def test_retention_deletes_old_answers_with_their_votes(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    now = [1_800_000_000.0]
    store = FeedbackStore(path, key=b"k", retention_days=30, clock=lambda: now[0])
    old = store.record_answer("Old?", "R", [], abstained=False)
    store.vote(old, 1, "up")
    now[0] += 20 * 86_400
    recent = store.record_answer("New?", "R", [], abstained=False)
    store.vote(recent, 1, "down")
    now[0] += 15 * 86_400  # the first answer is 35 days old, the second 15
    assert store.purge() == 1
    assert [(r.question, r.vote) for r in store.rows()] == [("New?", "down")]
    assert store.totals().answers == 1


def test_an_old_database_loses_its_salt_and_unvoted_questions(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as conn:  # the version-1 schema, as shipped before
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z')")
        conn.execute("INSERT INTO meta VALUES ('salt', 'abcd')")
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for answer_id, question in (("a" * 16, "Voted?"), ("b" * 16, "Private?")):
            conn.execute(
                "INSERT INTO answers VALUES (?, ?, 'R', '[]', 0, ?)", (answer_id, question, when)
            )
        conn.execute("INSERT INTO votes VALUES (?, 'h', 'up', ?)", ("a" * 16, when))
    store = FeedbackStore(path, key=b"k")
    assert store.schema_version() == 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT * FROM meta").fetchall() == []
        questions = dict(conn.execute("SELECT id, question FROM answers").fetchall())
    assert questions == {"a" * 16: "Voted?", "b" * 16: None}
    assert [r.question for r in store.rows()] == ["Voted?"]


async def test_votes_are_stored_and_buttons_survive_a_restart(
    make_harness: HarnessFactory,
) -> None:
    first: Harness = await make_harness()
    asking = first.interaction()
    await first.ask.ask.callback(first.ask, asking, question=MALI_QUESTION)
    view: discord.ui.View = asking.last("followup.send")["view"]
    ids = [str(getattr(item, "custom_id", "")) for item in view.children]
    up, down = (i for i in ids if i.startswith("newsbot:feedback:"))
    assert up.endswith(":up") and down.endswith(":down")

    async def click(harness: Harness, custom_id: str, user: discord.abc.User) -> FakeInteraction:
        """What discord.py does for a component interaction whose custom_id matches a template."""
        registered = harness.bot._connection._view_store._dynamic_items
        [(pattern, factory)] = [(p, f) for p, f in registered.items() if p.fullmatch(custom_id)]
        match = pattern.fullmatch(custom_id)
        assert match is not None and factory is FeedbackButton
        interaction = FakeInteraction(harness.bot, user, guild=harness.guild)
        item = await factory.from_custom_id(interaction, discord.ui.Button(), match)  # type: ignore
        await item.callback(interaction)  # type: ignore
        return interaction

    thanked = await click(first, up, first.alice)
    assert thanked.names[0] == "response.defer"  # acknowledged before the SQLite write
    thanks = thanked.last("followup.send")
    assert thanks["content"] == "Thanks for the feedback 👍" and thanks["ephemeral"] is True

    # A new bot object with a new store on the same file: the old message's buttons still work.
    second: Harness = await make_harness()
    assert second.bot is not first.bot and second.bot.feedback is not first.bot.feedback
    after_restart = await click(second, down, second.bob)
    assert after_restart.last("followup.send")["ephemeral"] is True

    rows = second.bot.feedback.rows()
    assert [(r.vote, r.question) for r in rows] == [("up", MALI_QUESTION), ("down", MALI_QUESTION)]
    assert rows[0].article_ids == ["mali-russie-lavrov-2023-02"]
    assert "janvier 2022" in rows[0].answer
    hashes = {r.user_hash for r in rows}
    assert len(hashes) == 2 and str(first.alice.id) not in hashes
    assert second.bot.feedback.totals().up == 1
