"""The smaller robustness items: notices, a failing feedback store, long names and links,
echoes, and what non-admins may see of an error."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord.ext.test as dpytest
import pytest

from bot.answer.filters import match_outlet
from bot.answer.models import Answer, Citation
from bot.discord_bot.render import FIELD_VALUE_LIMIT, answer_embed, answer_text
from bot.discord_bot.replies import REPLY_LIMIT, RefusedError, user_message
from index.errors import IndexNotFoundError

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    Harness,
    HarnessFactory,
    driver_fixture,
    harness_fixture,
    make_driver,
    make_harness_fixture,
    mention,
    sent_messages,
)


async def test_refused_mentions_get_one_notice_per_cooldown_window(
    make_harness: HarnessFactory,
) -> None:
    harness: Harness = await make_harness(cooldown_seconds=60)
    for _ in range(4):  # a user hammering the bot
        await dpytest.message(mention(harness, MALI_QUESTION), channel=harness.channel)
    answered, *notices = sent_messages()
    assert answered.embeds
    assert len(notices) == 1 and "Merci d’attendre" in notices[0].content


async def test_a_failing_feedback_store_still_delivers_the_answer(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(harness.bot.feedback, "record_answer", broken)
    driver = await make_driver(harness)
    with caplog.at_level(logging.WARNING):
        replies = await driver.dispatch(driver.command("ask", options={"question": MALI_QUESTION}))
    assert [r.kind for r in replies] == ["defer", "followup"]
    assert "janvier 2022" in replies[-1].embeds[0]["description"]
    assert not [i for i in replies[-1].custom_ids() if i.startswith("newsbot:feedback:")]
    assert "feedback store failed" in caplog.text


def test_a_truncated_autocomplete_value_still_names_its_outlet() -> None:
    long_name = "Agence de presse " + "très " * 30 + "longue"
    assert len(long_name) > 100
    assert match_outlet(long_name[:100], ["Le Monde", long_name]) == long_name


def test_a_very_long_url_is_not_turned_into_a_broken_link() -> None:
    url = "https://example.org/" + "a" * 3000
    citation = Citation(1, "a1", "Titre", "2023-02", "Le Monde", url, "Une phrase citée.")
    answer = Answer("Q ?", "fr", "Réponse [1].", [citation], abstained=False)
    embed = answer_embed(answer, "footer")
    value = embed.fields[0].value or ""
    assert len(value) <= FIELD_VALUE_LIMIT and "](" not in value and "**Titre**" in value
    assert url not in answer_text(answer)


def test_errors_are_trimmed_and_internal_text_is_for_admins_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert len(user_message(RefusedError("x" * 5000))) == REPLY_LIMIT
    error = IndexNotFoundError("no index in /srv/newsbot/secret/index; build one first")
    with caplog.at_level(logging.WARNING):
        public = user_message(error, "en")
    found = re.search(r"error id `([0-9a-f]{8})`", public)
    assert found is not None and "/srv" not in public
    assert found.group(1) in caplog.text and "/srv/newsbot" in caplog.text  # the log has it
    assert "/srv/newsbot/secret" in user_message(error, "en", admin=True)


async def test_long_outlet_echo_in_a_refusal_is_trimmed(harness: Harness) -> None:
    driver = await make_driver(harness)
    [reply] = await driver.dispatch(
        driver.command("ask", options={"question": "Who?", "source": "X" * 3000})
    )
    assert reply.ephemeral and len(reply.content) < 400 and "…" in reply.content
