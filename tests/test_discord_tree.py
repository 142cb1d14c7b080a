"""Commands driven through discord.py's real CommandTree with interaction payloads.

Option conversion, checks, the tree's error handler and the translator all run as they do when
Discord sends an interaction; only the webhook endpoints are answered locally.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
from discord import app_commands
from discord.ext.test import backend

from bot.discord_bot.i18n import NewsbotTranslator
from index.embedding import SentenceTransformerEmbedder
from index.stats import read_stats

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    GatedEmbedder,
    Harness,
    HarnessFactory,
    Sent,
    TreeDriver,
    Uploader,
    article_file,
    driver_fixture,
    harness_fixture,
    make_driver,
    make_harness_fixture,
    settle,
)
from .support import SAMPLE_DIR

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


#: What an admin reads, by Discord locale: progress, refusals, status and summaries.
ADMIN_TEXTS: dict[str, dict[str, str]] = {
    "en-US": {
        "progress": "Update: Embedding: 0% (0/",
        "eta": "chunks/s · ETA unknown · ",
        "busy": "A reindex is already running; try again when it is done.\nUpdate: Embedding: 0%",
        "upload_busy": "A reindex is running; add the file when it is done.\nUpdate: Embedding",
        "status_running": "reindex    Update: Embedding: 0%",
        "summary": "update: 2 articles,",
        "changes": "added 1, updated 0, unchanged 1, removed 0",
        "status_idle": "reindex    idle",
        "unsupported": "photo.png is not a file newsbot reads (.jsonl.gz,",
        "added": "Indexed 1 article(s): segou",
        "added_changes": "added 1,",
    },
    "fr": {
        "progress": "Mise à jour : Vectorisation : 0 % (0/",
        "eta": "passages/s · fin prévue inconnue · ",
        "busy": (
            "Une réindexation est déjà en cours ; réessayez quand elle sera terminée.\n"
            "Mise à jour : Vectorisation : 0 %"
        ),
        "upload_busy": (
            "Une réindexation est en cours ; ajoutez le fichier quand elle sera terminée.\n"
            "Mise à jour : Vectorisation"
        ),
        "status_running": "réindexation  Mise à jour : Vectorisation : 0 %",
        "summary": "mise à jour : 2 articles,",
        "changes": "ajoutés 1, modifiés 0, inchangés 1, supprimés 0",
        "status_idle": "réindexation  aucune en cours",
        "unsupported": "photo.png n’est pas un fichier que newsbot sait lire (.jsonl.gz,",
        "added": "1 article(s) indexé(s) : segou",
        "added_changes": "ajoutés 1,",
    },
}


async def replied(replies: list[Sent], count: int, timeout: float = 60.0) -> list[Sent]:
    """Wait for ``count`` replies to one interaction while another (a held reindex) runs on."""
    deadline = time.monotonic() + timeout
    while len(replies) < count:
        assert time.monotonic() < deadline, [r.kind for r in replies]
        await asyncio.sleep(0.01)
    return replies


@pytest.mark.parametrize("locale", ["en-US", "fr"])
async def test_admin_outputs_follow_the_admins_discord_language(
    locale: str,
    make_harness: HarnessFactory,
    sample_index_dir: Path,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = ADMIN_TEXTS[locale]
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index_dir, index_dir)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article_file(
        corpus / "kita.txt",
        "Mali : la centrale solaire de Kita",
        "La société Akuo Energy construit la centrale solaire de Kita, dans l'ouest du Mali.",
    )
    gated = GatedEmbedder(real_embedder)
    harness: Harness = await make_harness(
        index_dir,
        build_embedder=gated,
        corpus_paths=[SAMPLE_DIR, corpus],
        admin_user_ids=[ADMIN_ID],
    )
    driver = await make_driver(harness)
    admin = backend.make_member(backend.make_user("owner", "0001", id_num=ADMIN_ID), harness.guild)
    upload = Uploader(driver, admin, monkeypatch)
    segou = article_file(
        tmp_path / "segou.txt",
        "Mali : une centrale solaire à Ségou",
        "La Banque mondiale finance une centrale solaire de 33 mégawatts à Ségou.",
    ).read_bytes()

    def admin_command(name: str, **options: Any) -> dict[str, Any]:
        return driver.command(
            name, group="newsbot-admin", options=options, user=admin, locale=locale
        )

    reindexing = driver.start(admin_command("reindex", mode="update"))
    assert await asyncio.to_thread(gated.entered.wait, 60)  # the build is embedding, held
    try:
        await asyncio.sleep(0.1)  # a few progress edits
        [busy] = await replied(driver.start(admin_command("reindex", mode="full")), 1)
        _, status = await replied(driver.start(admin_command("status")), 2)
        early = upload.payload("segou.txt", segou, locale=locale)
        [refused] = await replied(driver.start(early), 1)
    finally:
        gated.gate.set()
    await settle()

    progress = [r.content for r in reindexing if r.kind == "edit"]
    assert any(expected["progress"] in p and expected["eta"] in p for p in progress)
    assert busy.ephemeral and busy.content.startswith(expected["busy"])
    assert expected["status_running"] in status.content
    assert refused.ephemeral and refused.content.startswith(expected["upload_busy"])
    summary = progress[-1]
    assert expected["summary"] in summary and expected["changes"] in summary

    *_, idle = await driver.dispatch(admin_command("status"))
    assert expected["status_idle"] in idle.content
    [wrong] = await upload("photo.png", b"\x89PNG", locale=locale)
    assert wrong.ephemeral and wrong.content.startswith(expected["unsupported"])
    added = await upload("segou.txt", segou, locale=locale)
    confirmation = added[-1].content
    assert expected["added"] in confirmation and expected["added_changes"] in confirmation
