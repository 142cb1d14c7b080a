"""👍/👎 feedback: stored row by row in SQLite, hashed user ids, buttons alive after a restart."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import discord
import pytest

from bot.discord_bot.feedback import FeedbackStore, UnknownAnswerError
from bot.discord_bot.views import FeedbackButton

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    FakeInteraction,
    Harness,
    HarnessFactory,
    make_harness_fixture,
)


def test_store_migrates_once_hashes_users_and_replaces_votes(tmp_path: Path) -> None:
    path = tmp_path / "fb" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert store.schema_version() == 1
    answer_id = store.record_answer("Q ?", "R [1].", ["a1", "a2"], abstained=False)
    store.vote(answer_id, 123456789012345678, "up")
    store.vote(answer_id, 123456789012345678, "down")  # changed their mind
    store.vote(answer_id, 42, "up")

    reopened = FeedbackStore(path)  # a restart: migrations are not re-run, the salt is kept
    assert reopened.schema_version() == 1
    other_db = FeedbackStore(tmp_path / "other.sqlite3")
    assert reopened.hash_user(42) == store.hash_user(42) != other_db.hash_user(42)
    rows = reopened.rows()
    assert sorted(r.vote for r in rows) == ["down", "up"]
    first = rows[0]
    assert (first.question, first.answer, first.article_ids) == ("Q ?", "R [1].", ["a1", "a2"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.voted_at)
    assert reopened.totals().describe() == "1 answers recorded, 1 👍, 1 👎"

    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM schema_migrations").fetchall()
        dump = "\n".join(conn.iterdump())
    assert versions == [(1,)]
    assert "123456789012345678" not in dump and "'42'" not in dump  # raw ids never stored

    with pytest.raises(UnknownAnswerError):
        reopened.vote("0" * 16, 1, "up")


async def test_votes_are_stored_and_buttons_survive_a_restart(
    make_harness: HarnessFactory,
) -> None:
    first: Harness = await make_harness()
    asking = first.interaction()
    await first.ask.ask.callback(first.ask, asking, question=MALI_QUESTION)
    view: discord.ui.View = asking.last("followup.send")["view"]
    up, down = (str(getattr(item, "custom_id", "")) for item in view.children)
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
    thanks = thanked.last("response.send_message")
    assert thanks["content"] == "Thanks for the feedback 👍" and thanks["ephemeral"] is True

    # A new bot object with a new store on the same file: the old message's buttons still work.
    second: Harness = await make_harness()
    assert second.bot is not first.bot and second.bot.feedback is not first.bot.feedback
    after_restart = await click(second, down, second.bob)
    assert after_restart.last("response.send_message")["ephemeral"] is True

    rows = second.bot.feedback.rows()
    assert [(r.vote, r.question) for r in rows] == [("up", MALI_QUESTION), ("down", MALI_QUESTION)]
    assert rows[0].article_ids == ["mali-russie-lavrov-2023-02"]
    assert "janvier 2022" in rows[0].answer
    hashes = {r.user_hash for r in rows}
    assert len(hashes) == 2 and str(first.alice.id) not in hashes
    assert second.bot.feedback.totals().up == 1
