"""/ask and the "Ask newsbot" menu, driven through the real AskCog with the real model."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest

from bot.answer.models import Answer, Citation
from bot.discord_bot.render import EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from bot.discord_bot.views import TEMPLATE

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    Harness,
    HarnessFactory,
    harness_fixture,
    make_harness_fixture,
)


def custom_ids(view: discord.ui.View) -> list[str]:
    return [str(getattr(item, "custom_id", "")) for item in view.children]


async def test_ask_defers_before_answering_then_sends_a_cited_embed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    interaction = harness.interaction()
    seen_before_answer: list[list[str]] = []
    real_answer = harness.bot.service.answer

    def spy(question: str, **kwargs: Any) -> Answer:
        seen_before_answer.append(list(interaction.names))
        return real_answer(question, **kwargs)

    monkeypatch.setattr(harness.bot.service, "answer", spy)
    cog = harness.ask
    await cog.ask.callback(cog, interaction, question=MALI_QUESTION)

    assert seen_before_answer == [["response.defer"]]  # deferred before any blocking work
    assert interaction.names == ["response.defer", "followup.send"]
    assert interaction.last("response.defer") == {"ephemeral": False, "thinking": True}
    sent = interaction.last("followup.send")
    assert sent["ephemeral"] is False
    assert sent["allowed_mentions"].to_dict() == {"parse": []}
    embed: discord.Embed = sent["embed"]
    assert embed.title == MALI_QUESTION
    assert "janvier 2022" in (embed.description or "") and "[1]" in (embed.description or "")
    first = embed.fields[0]
    assert first.name == "[1] journaldebangui · 2023-02"
    assert "Mali : Sergueï Lavrov attendu à Bamako" in (first.value or "")
    assert "expulsion en janvier 2022" in (first.value or "")
    assert embed.footer.text is not None and embed.footer.text.startswith("1 articles indexés")
    ids = [i for i in custom_ids(sent["view"]) if i.startswith("newsbot:feedback:")]
    assert len(ids) == 2 and all(re.fullmatch(TEMPLATE, i) for i in ids)


async def test_private_ask_is_ephemeral_throughout(harness: Harness) -> None:
    interaction = harness.interaction()
    cog = harness.ask
    await cog.ask.callback(cog, interaction, question=MALI_QUESTION, private=True)
    assert interaction.last("response.defer") == {"ephemeral": True, "thinking": True}
    assert interaction.last("followup.send")["ephemeral"] is True


async def test_abstention_is_answered_not_silenced(harness: Harness) -> None:
    interaction = harness.interaction()
    cog = harness.ask
    await cog.ask.callback(cog, interaction, question="Who won the 2018 football World Cup?")
    embed: discord.Embed = interaction.last("followup.send")["embed"]
    assert "does not answer" in (embed.description or "")
    assert embed.colour == discord.Colour.light_grey()


async def test_filters_are_validated_and_applied(harness: Harness) -> None:
    cog = harness.ask
    bad = harness.interaction()
    await cog.ask.callback(cog, bad, question=MALI_QUESTION, since="soon")
    assert bad.names == ["response.send_message"]
    reply = bad.last("response.send_message")
    assert reply["ephemeral"] is True and "2023-02" in reply["content"]
    assert "`depuis` : “soon” n’est pas une date" in reply["content"]  # a French question

    backwards = harness.interaction()
    await cog.ask.callback(cog, backwards, question=MALI_QUESTION, since="2024", until="2023-05")
    assert "est postérieur à" in backwards.last("response.send_message")["content"]

    unknown = harness.interaction()
    await cog.ask.callback(cog, unknown, question=MALI_QUESTION, source="Le Monde")
    refusal = unknown.last("response.send_message")["content"]
    assert "Aucun média indexé ne s’appelle “Le Monde”" in refusal and "journaldebangui" in refusal

    spelled = harness.interaction()  # the console's spellings work here too
    await cog.ask.callback(
        cog, spelled, question=MALI_QUESTION, since="février 2023", source="Journal de Bangui"
    )
    assert "janvier 2022" in (spelled.last("followup.send")["embed"].description or "")

    later = harness.interaction()
    await cog.ask.callback(
        cog, later, question=MALI_QUESTION, since="2024", source="JournalDeBangui"
    )
    embed: discord.Embed = later.last("followup.send")["embed"]
    assert embed.colour == discord.Colour.light_grey()  # an abstention: the article is from 2023
    assert "filtres" in (embed.description or "")

    choices = await cog.source_autocomplete(harness.interaction(), "bang")
    assert [c.value for c in choices] == ["journaldebangui"]


async def test_overlong_question_is_refused_with_the_limit(make_harness: HarnessFactory) -> None:
    harness: Harness = await make_harness(max_question_chars=50)
    interaction = harness.interaction()
    cog = harness.ask
    await cog.ask.callback(cog, interaction, question="x " * 40)
    assert interaction.names == ["response.send_message"]
    reply = interaction.last("response.send_message")
    assert reply["ephemeral"] is True
    assert "79 characters long; the limit is 50" in reply["content"]


async def test_cooldown_is_per_user_and_says_how_long(make_harness: HarnessFactory) -> None:
    harness: Harness = await make_harness(cooldown_seconds=30)
    cog = harness.ask
    first, second = harness.interaction(), harness.interaction()
    other = harness.interaction(harness.bob)
    await cog.ask.callback(cog, first, question=MALI_QUESTION)
    await cog.ask.callback(cog, second, question=MALI_QUESTION)
    await cog.ask.callback(cog, other, question=MALI_QUESTION)
    assert first.names == ["response.defer", "followup.send"]
    assert second.names == ["response.send_message"]
    refusal = second.last("response.send_message")
    assert refusal["ephemeral"] is True
    assert re.search(r"Merci d’attendre (29|30) s", refusal["content"])
    assert other.names == ["response.defer", "followup.send"]


async def test_unexpected_error_gives_an_id_and_logs_the_traceback(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(question: str, **kwargs: Any) -> Answer:
        raise RuntimeError("faiss exploded")

    monkeypatch.setattr(harness.bot.service, "answer", broken)
    interaction = harness.interaction()
    cog = harness.ask
    with caplog.at_level(logging.ERROR):
        await cog.ask.callback(cog, interaction, question=MALI_QUESTION)
    # The public "thinking…" placeholder is removed so the error stays private.
    assert interaction.names == ["response.defer", "delete_original_response", "followup.send"]
    reply = interaction.last("followup.send")
    assert reply["ephemeral"] is True
    error_id = re.search(r"identifiant d’erreur `([0-9a-f]{8})`", reply["content"])
    assert error_id is not None
    assert "faiss" not in reply["content"] and "Traceback" not in reply["content"]
    logged = [r for r in caplog.records if error_id.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "faiss exploded" in str(logged[0].exc_info[1])


async def test_message_menu_asks_the_message_text(harness: Harness) -> None:
    import discord.ext.test as dpytest

    message = await dpytest.message(MALI_QUESTION, channel=harness.channel, member=harness.bob)
    interaction = harness.interaction()
    await harness.ask.menu.callback(interaction, message)  # type: ignore[call-arg]
    assert interaction.names == ["response.defer", "followup.send"]
    embed: discord.Embed = interaction.last("followup.send")["embed"]
    assert embed.title == MALI_QUESTION and "janvier 2022" in (embed.description or "")
    assert dpytest.verify().message().nothing()  # a plain channel message is not for the bot


async def test_very_long_answer_is_trimmed_to_discord_limits(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    q = "Une phrase très longue tirée d'un article de presse, répétée. " * 40
    citations = [
        Citation(n, f"a{n}", f"Titre {n} " * 30, "2023-02-06", "Le Monde", f"https://e.fr/{n}", q)
        for n in range(1, 31)
    ]
    huge = Answer(MALI_QUESTION * 10, "fr", "Réponse [1]. " * 800, citations, abstained=False)
    monkeypatch.setattr(harness.bot.service, "answer", lambda q, **kw: huge)
    interaction = harness.interaction()
    cog = harness.ask
    await cog.ask.callback(cog, interaction, question=MALI_QUESTION)
    embed: discord.Embed = interaction.last("followup.send")["embed"]
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert 0 < len(embed.fields) <= 25
    assert all(len(f.value or "") <= FIELD_VALUE_LIMIT for f in embed.fields)
    assert all(len(f.name or "") <= 256 for f in embed.fields)
    assert "[Titre 1" in (embed.fields[0].value or "") and "(https://e.fr/1)" in (
        embed.fields[0].value or ""
    )
    embed.to_dict()  # serialisable
