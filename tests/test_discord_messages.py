"""@mentions and DMs through dpytest's fake gateway: the real on_message path, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend

from bot.answer.models import Answer, Citation
from bot.discord_bot.client import NewsBot, minimal_intents
from bot.discord_bot.render import MESSAGE_LIMIT
from index.embedding import SentenceTransformerEmbedder

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    Harness,
    HarnessFactory,
    article_file,
    build,
    capture_payloads,
    harness_fixture,
    make_harness_fixture,
    mention,
    sent_messages,
)


async def test_mention_in_a_channel_gets_the_embed_answer(harness: Harness) -> None:
    await dpytest.message(mention(harness, MALI_QUESTION), channel=harness.channel)
    [reply] = sent_messages()
    embed = reply.embeds[0]
    assert embed.title == MALI_QUESTION
    assert "janvier 2022" in (embed.description or "")
    assert embed.fields[0].name == "[1] journaldebangui · 2023-02"


async def test_a_dm_needs_no_mention(harness: Harness) -> None:
    dm = await harness.alice.create_dm()
    await dpytest.message(MALI_QUESTION, channel=dm, member=harness.alice)
    [reply] = sent_messages()
    assert isinstance(reply.channel, discord.DMChannel)
    assert "janvier 2022" in (reply.embeds[0].description or "")


async def test_channel_messages_without_mention_are_ignored(harness: Harness) -> None:
    await dpytest.message(MALI_QUESTION, channel=harness.channel)
    assert dpytest.verify().message().nothing()


async def test_a_bare_mention_is_answered_with_help(harness: Harness) -> None:
    await dpytest.message(mention(harness, ""), channel=harness.channel)
    [reply] = sent_messages()
    assert reply.content.startswith("Ask me a question")


async def test_cooldown_and_errors_in_messages_are_answered(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness: Harness = await make_harness(cooldown_seconds=60)
    await dpytest.message(mention(harness, MALI_QUESTION), channel=harness.channel)
    await dpytest.message(mention(harness, MALI_QUESTION), channel=harness.channel)
    answered, refused = sent_messages()
    assert answered.embeds and "Merci d’attendre" in refused.content  # French question

    def broken(question: str, **kwargs: Any) -> Answer:
        raise RuntimeError("boom")

    monkeypatch.setattr(harness.bot.service, "answer", broken)
    dm = await harness.bob.create_dm()
    await dpytest.message("Une question ?", channel=dm, member=harness.bob)
    [failed] = sent_messages()
    assert "identifiant d’erreur" in failed.content and "boom" not in failed.content


async def test_plain_text_replies_split_at_2000_on_paragraphs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the bot may not embed links it answers in plain text, in several messages."""
    paragraphs = [f"Paragraphe {n}. " + "Une phrase de réponse [1]. " * 30 for n in range(8)]
    quote = "Une citation exacte de l'article."
    citation = Citation(1, "a1", "Titre", "2023-02", "Le Monde", "https://ex.fr/a1", quote)
    long_answer = Answer(MALI_QUESTION, "fr", "\n\n".join(paragraphs), [citation], False)
    monkeypatch.setattr(harness.bot.service, "answer", lambda q, **kw: long_answer)
    everyone = harness.guild.default_role  # a server where nobody may embed links
    denied = discord.Permissions(everyone.permissions.value)
    denied.embed_links = False
    backend.update_role(everyone, permissions=denied.value)
    assert not harness.channel.permissions_for(harness.guild.me).embed_links

    await dpytest.message(mention(harness, MALI_QUESTION), channel=harness.channel)
    replies = sent_messages()
    assert len(replies) >= 3
    assert all(not r.embeds and 0 < len(r.content) <= MESSAGE_LIMIT for r in replies)
    # Every part starts on a paragraph; nothing is lost or reordered.
    assert all(r.content.startswith(("Paragraphe", "Sources:")) for r in replies)
    joined = "\n\n".join(r.content for r in replies)
    assert joined.startswith(long_answer.text)
    assert "[1] Titre (Le Monde · 2023-02) <https://ex.fr/a1>" in joined and quote in joined


async def test_corpus_text_never_pings_anyone(
    make_harness: HarnessFactory, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article_file(
        corpus / "appel-everyone.txt",
        "Appel général au rassemblement à Bamako",
        "Le message « @everyone @here rassemblement devant la mairie de Bamako » a circulé "
        "sur les réseaux sociaux mardi. Les autorités de Bamako ont démenti tout rassemblement.",
        outlet="exemple",
    )
    harness: Harness = await make_harness(build(tmp_path / "index", [corpus], real_embedder))
    # dpytest swaps the connection state (and with it the bot-wide default): what protects
    # these payloads is the explicit AllowedMentions.none() on every send.
    payloads = capture_payloads(harness.bot)
    question = "Quel message a circulé sur le rassemblement devant la mairie de Bamako ?"

    await dpytest.message(mention(harness, question), channel=harness.channel)
    [reply] = sent_messages()
    assert "@everyone" in str(reply.embeds[0].to_dict())  # the quote really carries it…
    assert payloads[-1]["allowed_mentions"] == {"parse": []}  # …and Discord is told to ping nobody
    assert reply.mention_everyone is False

    interaction = harness.interaction()
    await harness.ask.ask.callback(harness.ask, interaction, question=question)  # type: ignore[arg-type]
    sent = interaction.last("followup.send")
    assert "@everyone" in str(sent["embed"].to_dict())
    assert sent["allowed_mentions"].to_dict() == {"parse": []}


def test_gateway_intents_are_minimal_and_mentions_off_by_default(harness: Harness) -> None:
    intents = minimal_intents()
    assert not (intents.message_content or intents.members or intents.presences)
    assert intents.guild_messages and intents.dm_messages and intents.guilds
    fresh = NewsBot(
        settings=harness.settings,
        service=harness.bot.service,
        feedback=harness.bot.feedback,
        reindexer=harness.bot.reindexer,
    )
    assert fresh.intents.value == intents.value
    assert fresh.allowed_mentions is not None
    assert fresh.allowed_mentions.to_dict() == {"parse": []}
