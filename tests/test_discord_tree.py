"""Commands driven through discord.py's real CommandTree with interaction payloads.

Option conversion, checks, the tree's error handler and the translator all run as they do when
Discord sends an interaction; only the webhook endpoints are answered locally.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import discord
import pytest
from discord import app_commands
from discord.ext.test import backend

from bot.discord_bot.i18n import NewsbotTranslator
from index.stats import read_stats

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    Harness,
    HarnessFactory,
    Sent,
    TreeDriver,
    driver_fixture,
    harness_fixture,
    make_driver,
    make_harness_fixture,
)

T = TypeVar("T")
ADMIN_ID = 4242


async def test_ask_converts_options_defers_then_answers(driver: TreeDriver) -> None:
    payload = driver.command(
        "ask",
        options={
            "question": MALI_QUESTION,
            "since": "février 2023",
            "source": "Journal de Bangui",
            "private": True,
        },
    )
    replies = await driver.dispatch(payload)
    assert [r.kind for r in replies] == ["defer", "followup"]
    assert replies[0].ephemeral and replies[1].ephemeral
    [embed] = replies[1].embeds
    assert "janvier 2022" in embed["description"]
    assert embed["footer"]["text"].startswith("1 articles indexés")
    assert any(i.startswith("newsbot:feedback:") for i in replies[1].custom_ids())


async def test_an_unknown_command_reaches_the_tree_error_handler(driver: TreeDriver) -> None:
    """A command Discord still lists but this bot no longer has (an old sync, say)."""
    replies = await driver.dispatch(driver.command("nonexistent", locale="fr"))
    [reply] = replies
    assert reply.kind == "message" and reply.ephemeral
    assert "identifiant d’erreur" in reply.content and "nonexistent" not in reply.content


async def test_admin_group_is_guild_only_and_hidden_by_default(driver: TreeDriver) -> None:
    tree = driver.harness.bot.tree
    group = tree.get_command("newsbot-admin")
    assert isinstance(group, app_commands.Group)
    data = group.to_dict(tree)
    assert data["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    assert data["contexts"] == [0]  # guild only
    about = tree.get_command("newsbot")
    assert about is not None and about.to_dict(tree)["default_member_permissions"] is None

    from_dm = driver.command("status", group="newsbot-admin", dm=True, locale="fr")
    [reply] = await driver.dispatch(from_dm)
    assert reply.ephemeral and reply.content == "Cette commande ne fonctionne que dans un serveur."


async def test_command_names_and_descriptions_are_translated(driver: TreeDriver) -> None:
    tree = driver.harness.bot.tree
    ask = tree.get_command("ask")
    assert isinstance(ask, app_commands.Command)
    payload = await ask.get_translated_payload(tree, NewsbotTranslator())
    assert payload["name_localizations"] == {"fr": "demander"}
    assert payload["description_localizations"]["fr"].startswith("Posez une question")
    options = {o["name"]: o for o in payload["options"]}
    assert options["since"]["name_localizations"] == {"fr": "depuis"}
    assert options["private"]["name_localizations"] == {"fr": "privé"}
    help_payload = await tree.get_command("help").get_translated_payload(  # type: ignore[union-attr]
        tree, NewsbotTranslator()
    )
    assert help_payload["name_localizations"] == {"fr": "aide"}


SLOW = 1.0  # seconds a slow SQLite call takes in the tests below


def slow(func: Callable[..., T]) -> Callable[..., T]:
    def wrapper(*args: Any, **kwargs: Any) -> T:
        time.sleep(SLOW)  # a locked database, a cold disk
        return func(*args, **kwargs)

    return wrapper


async def timed(driver: TreeDriver, payload: dict[str, Any]) -> tuple[list[Sent], float]:
    started = time.perf_counter()
    replies = await driver.dispatch(payload)
    return replies, started


async def test_buttons_status_and_about_defer_before_slow_work(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness: Harness = await make_harness(admin_user_ids=[ADMIN_ID])
    driver = await make_driver(harness)
    asked = await driver.dispatch(driver.command("ask", options={"question": MALI_QUESTION}))
    [up] = [i for r in asked for i in r.custom_ids() if i.endswith(":up")]

    feedback = harness.bot.feedback
    monkeypatch.setattr(feedback, "vote", slow(feedback.vote))
    monkeypatch.setattr("bot.discord_bot.cogs.admin.read_stats", slow(read_stats))
    monkeypatch.setattr("bot.discord_bot.cogs.info.read_stats", slow(read_stats))
    admin = backend.make_member(backend.make_user("owner", "0001", id_num=ADMIN_ID), harness.guild)
    for payload in (
        driver.click(up),
        driver.command("status", group="newsbot-admin", user=admin),
        driver.command("about", group="newsbot"),
    ):
        replies, started = await timed(driver, payload)
        assert [r.kind for r in replies] == ["defer", "followup"]
        assert replies[0].at - started < 0.5  # well inside Discord's 3 s
        assert replies[1].at - started >= SLOW  # the slow work came after
