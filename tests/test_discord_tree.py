"""Commands driven through discord.py's real CommandTree with interaction payloads.

Option conversion, checks, the tree's error handler and the translator all run as they do when
Discord sends an interaction; only the webhook endpoints are answered locally.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_bot.i18n import NewsbotTranslator

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    Harness,
    HarnessFactory,
    TreeDriver,
    driver_fixture,
    harness_fixture,
    make_driver,
    make_harness_fixture,
)


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
