"""/newsbot-admin: who may use it, reindexing while answering, add-article, status."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import pytest
from discord.ext.test import backend

from bot.discord_bot.render import code_block
from index.embedding import SentenceTransformerEmbedder
from index.stats import human_bytes, read_stats
from index.store import IndexStore, Manifest

from .conftest import SAMPLE_DIR
from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    FakeAttachment,
    FakeInteraction,
    GatedEmbedder,
    Harness,
    HarnessFactory,
    article_file,
    build,
    harness_fixture,
    make_harness_fixture,
)

ADMIN_ID = 4242
ADMIN_ROLE_ID = 777
NEW_QUESTION = "Quelle entreprise construit la centrale solaire de Kita ?"
NEW_BODY = (
    "La société Akuo Energy construit la centrale solaire de Kita, dans l'ouest du Mali. "
    "Avec 50 mégawatts, elle sera la plus grande centrale solaire du pays, selon le ministère "
    "de l'Énergie.\n\nLes travaux doivent durer dix-huit mois."
)


def moderator(harness: Harness, *, role_id: int | None = None) -> discord.Member:
    """A member whose role grants Manage Server (as a server admin's override would)."""
    role = backend.make_role(
        "Moderators",
        harness.guild,
        id_num=role_id or -1,
        permissions=discord.Permissions(manage_guild=True).value,
    )
    user = backend.make_user("modo", "0042")
    member = backend.make_member(user, harness.guild, roles=[role])
    assert member.guild_permissions.manage_guild
    return member


def admin_user(harness: Harness) -> discord.Member:
    user = backend.make_user("owner", "0001", id_num=ADMIN_ID)
    return backend.make_member(user, harness.guild)


def texts(interaction: FakeInteraction) -> str:
    return "\n".join(str(kwargs.get("content")) for _, kwargs in interaction.calls)


async def test_manage_server_alone_is_refused_and_logged(
    make_harness: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    harness: Harness = await make_harness(admin_user_ids=[ADMIN_ID], admin_role_ids=[ADMIN_ROLE_ID])
    member = moderator(harness)
    admin = harness.admin
    calls = {
        "reindex": lambda i: admin.reindex.callback(admin, i, mode="full"),
        "status": lambda i: admin.status.callback(admin, i),
        "add-article": lambda i: admin.add_article.callback(
            admin, i, file=FakeAttachment("a.txt", b" date 2024 T\n\nCorps.")
        ),
    }
    with caplog.at_level(logging.WARNING):
        for name, call in calls.items():
            interaction = harness.interaction(member)
            await call(interaction)
            assert interaction.names == ["response.send_message"], name
            reply = interaction.last("response.send_message")
            assert reply["ephemeral"] is True
            assert reply["content"].startswith("Only newsbot's configured admins")
            assert any(f"refused /newsbot-admin {name}" in r.getMessage() for r in caplog.records)
    assert harness.bot.reindexer.current is None
    assert not harness.settings.upload_dir.exists()


async def test_group_is_hidden_by_default_permissions(harness: Harness) -> None:
    group = harness.bot.tree.get_command("newsbot-admin")
    assert isinstance(group, discord.app_commands.Group)
    assert group.default_permissions is not None and group.default_permissions.manage_guild
    assert group.guild_only
    assert {c.name for c in group.commands} == {"reindex", "add-article", "status"}


async def test_status_for_admins_by_role_or_id(make_harness: HarnessFactory) -> None:
    harness: Harness = await make_harness(admin_user_ids=[ADMIN_ID], admin_role_ids=[ADMIN_ROLE_ID])
    for member in (moderator(harness, role_id=ADMIN_ROLE_ID), admin_user(harness)):
        interaction = harness.interaction(member)
        await harness.admin.status.callback(harness.admin, interaction)
        assert interaction.names[0] == "response.defer"  # acknowledged before SQLite work
        reply = interaction.last("followup.send")
        assert reply["ephemeral"] is True
        content = reply["content"]
        for expected in (
            "articles   1",
            "chunks",
            "journaldebangui",
            "2023-02",
            "model",
            "size",
            "built",
            "feedback   0 answers recorded",
            "reindex    idle",
        ):
            assert expected in content


async def test_status_is_in_the_admins_language(make_harness: HarnessFactory) -> None:
    """English reads as `newsbot index stats`; French translates the labels, not the values."""
    harness: Harness = await make_harness(admin_user_ids=[ADMIN_ID])
    owner = admin_user(harness)
    stats = read_stats(harness.settings.index_dir)

    english = harness.interaction(owner)
    await harness.admin.status.callback(harness.admin, english)
    assert english.last("followup.send")["content"] == code_block(
        f"{stats.describe()}\nfeedback   0 answers recorded, 0 👍, 0 👎\nreindex    idle"
    )

    french = harness.interaction(owner, discord.Locale.french)
    await harness.admin.status.callback(harness.admin, french)
    lines = french.last("followup.send")["content"].removeprefix("```\n").split("\n")[:-1]
    column = len("réindexation  ")  # the longest French label and two spaces
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines)
    rows = {line[:column].strip(): line[column:] for line in lines}
    assert rows == {
        "index": f"{harness.settings.index_dir} ({stats.generation})",
        "articles": "1",
        "passages": str(stats.chunks),
        "modèle": f"{stats.model} ({stats.dimension} dimensions)",
        "taille": human_bytes(stats.size_bytes),
        "construit": f"le {stats.built_at} en {stats.build_seconds:.1f} s",
        "dates": "2023-02 … 2023-02",
        "langues": ", ".join(f"{k} {v}" for k, v in stats.languages.items()),
        "médias": "journaldebangui (1)",
        "stockage": "faiss",
        "nettoyage": rows["nettoyage"],
        "avis": "0 réponses enregistrées, 0 👍, 0 👎",
        "réindexation": "aucune en cours",
    }
    assert "caractères de navigation/crédits retirés de" in rows["nettoyage"]


async def test_a_french_admin_is_refused_and_told_why_in_french(
    make_harness: HarnessFactory,
) -> None:
    harness: Harness = await make_harness(admin_user_ids=[ADMIN_ID], corpus_paths=[])
    outsider = harness.interaction(moderator(harness), discord.Locale.french)
    await harness.admin.status.callback(harness.admin, outsider)
    refusal = outsider.last("response.send_message")["content"]
    assert refusal == "Seuls les administrateurs configurés de newsbot peuvent faire cela."

    nothing = harness.interaction(admin_user(harness), discord.Locale.french)
    await harness.admin.reindex.callback(harness.admin, nothing, mode="update")
    assert nothing.last("response.send_message")["content"] == (
        "Aucun chemin de corpus à indexer ; définissez NEWSBOT_CORPUS_PATHS."
    )
    assert harness.bot.reindexer.current is None


async def test_reindex_answers_from_old_index_until_the_new_one_is_swapped_in(
    make_harness: HarnessFactory, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article_file(corpus / "kita-solaire.txt", "Mali : la centrale solaire de Kita", NEW_BODY)
    gated = GatedEmbedder(real_embedder)
    index_dir = build(tmp_path / "index", [SAMPLE_DIR], real_embedder)
    harness: Harness = await make_harness(
        index_dir,
        build_embedder=gated,
        corpus_paths=[SAMPLE_DIR, corpus],
        admin_user_ids=[ADMIN_ID],
    )
    admin, ask = harness.admin, harness.ask
    owner = admin_user(harness)

    async def ask_new() -> discord.Embed:
        interaction = harness.interaction()
        await ask.ask.callback(ask, interaction, question=NEW_QUESTION)
        embed: discord.Embed = interaction.last("followup.send")["embed"]
        return embed

    before = await ask_new()
    assert "Akuo" not in str(before.to_dict())

    reindexing = harness.interaction(owner)
    task = asyncio.create_task(admin.reindex.callback(admin, reindexing, mode="full"))
    assert await asyncio.to_thread(gated.entered.wait, 60)  # the build is embedding, held
    await asyncio.sleep(0.1)  # a few progress edits
    try:
        during = await ask_new()
        assert "Akuo" not in str(during.to_dict())
        assert during.footer.text == before.footer.text  # still the old generation

        second = harness.interaction(owner)
        await admin.reindex.callback(admin, second, mode="update")
        refusal = second.last("response.send_message")
        assert refusal["ephemeral"] is True
        assert "already running" in refusal["content"] and "Embedding: 0%" in refusal["content"]
    finally:
        gated.gate.set()
    await asyncio.wait_for(task, 60)

    after = await ask_new()
    assert "Akuo Energy" in (after.description or "")
    assert after.fields[0].name.startswith("[1]") and "centrale solaire de Kita" in str(
        after.fields[0].value
    )
    assert after.footer.text is not None and after.footer.text.startswith("2 articles")

    assert reindexing.names[0] == "response.defer"
    assert reindexing.last("response.defer") == {"ephemeral": True, "thinking": True}
    edits = [kw["content"] for name, kw in reindexing.calls if name == "edit_original_response"]
    assert any("Full rebuild: Embedding: 0%" in e and "ETA" in e for e in edits)
    summary = edits[-1]
    assert "added 1" in summary and "unchanged 1" in summary and "removed 0" in summary
    assert harness.bot.reindexer.running is None


async def test_add_article_validates_then_indexes_incrementally(
    make_harness: HarnessFactory, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    index_dir = build(tmp_path / "index", [SAMPLE_DIR], real_embedder)
    harness: Harness = await make_harness(
        index_dir, admin_user_ids=[ADMIN_ID], max_upload_bytes=1_000
    )
    admin = harness.admin
    owner = admin_user(harness)

    async def upload(name: str, data: bytes) -> FakeInteraction:
        interaction = harness.interaction(owner)
        await admin.add_article.callback(admin, interaction, file=FakeAttachment(name, data))
        return interaction

    wrong_type = await upload("photo.png", b"\x89PNG")
    assert "not a file newsbot reads" in wrong_type.last("response.send_message")["content"]
    too_big = await upload("long.txt", b"x" * 1_001)
    assert "1,001 bytes; the limit is 1,000" in too_big.last("response.send_message")["content"]
    not_utf8 = await upload("latin.txt", " date 2024 Été\n\nCorps.".encode("latin-1"))
    assert "not UTF-8" in texts(not_utf8)
    empty = await upload("vide.jsonl", b"\n")
    assert "Nothing to index" in texts(empty)

    good = tmp_path / "kita.txt"
    article_file(good, "Mali : la centrale solaire de Kita", NEW_BODY)
    added = await upload("Kita solaire.txt", good.read_bytes())
    assert added.names[0] == "response.defer"
    final = [kw["content"] for name, kw in added.calls if name == "edit_original_response"][-1]
    assert "Indexed 1 article(s): Kita_solaire" in final and "added 1" in final
    assert (harness.settings.upload_dir / "Kita_solaire.txt").is_file()

    interaction = harness.interaction()
    await harness.ask.ask.callback(harness.ask, interaction, question=NEW_QUESTION)
    embed: discord.Embed = interaction.last("followup.send")["embed"]
    assert "Akuo Energy" in (embed.description or "")
    assert Manifest.read(IndexStore(index_dir).require_current()).articles == 2
