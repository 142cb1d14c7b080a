"""Conversations in threads and DMs, "more sources", French end to end, the channel allowlist."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import sys
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend

from bot.discord_bot.cogs.ask import AskCog
from bot.discord_bot.render import shorten
from bot.discord_bot.views import RecentAnswers
from index.embedding import SentenceTransformerEmbedder

from .discord_support import (  # noqa: F401  (fixtures)
    MALI_QUESTION,
    Harness,
    HarnessFactory,
    TreeDriver,
    build,
    driver_fixture,
    harness_fixture,
    make_driver,
    make_harness_fixture,
    mention,
    sent_messages,
)
from .support import REPO, SAMPLE_DIR

FIXTURE_CORPUS = REPO / "tests" / "fixtures" / "eval" / "corpus.jsonl"

LAVROV_QUESTION = "Who invited Sergueï Lavrov to Mali?"
FOLLOW_UP = "Where does he go after Bamako?"


def thread_payload(harness: Harness, thread_id: int, name: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).isoformat()
    owner = harness.bot.user.id if harness.bot.user else 1
    return {
        "id": str(thread_id),
        "guild_id": str(harness.guild.id),
        "parent_id": str(harness.channel.id),
        "owner_id": str(owner),
        "name": name,
        "type": 11,
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": now,
            "locked": False,
        },
    }


class ThreadServer:
    """Discord's side of threads for one test: creates them and records what is sent there.

    ``refuse`` answers thread creation with 403, as Discord does without the permission.
    """

    def __init__(self, harness: Harness, driver: TreeDriver, *, refuse: bool = False) -> None:
        self.harness = harness
        self.driver = driver
        self.refuse = refuse
        self.threads: list[discord.Thread] = []
        self.origins: list[int] = []  # the message each thread was started from
        self.sent: list[dict[str, Any]] = []  # in threads
        self.sent_elsewhere: list[dict[str, Any]] = []  # in channels, buttons included
        self._ids = itertools.count(1_400_000_000_000_000_000)
        http = harness.bot.http
        self._send = http.send_message
        http.start_thread_with_message = self.start_thread  # type: ignore[method-assign]
        http.send_message = self.send_message  # type: ignore[method-assign]

    async def start_thread(self, channel_id: int, message_id: int, **fields: Any) -> Any:
        if self.refuse:
            raise discord.Forbidden(backend.FakeRequest(403, "Forbidden"), "Missing Permissions")  # type: ignore[arg-type]
        self.origins.append(message_id)
        data = thread_payload(self.harness, next(self._ids), str(fields["name"]))
        thread = discord.Thread(
            guild=self.harness.guild,
            state=self.harness.bot._connection,
            data=data,  # type: ignore[arg-type]
        )
        self.harness.guild._add_thread(thread)  # what the THREAD_CREATE event does
        self.threads.append(thread)
        return data

    async def send_message(self, channel_id: int, *, params: Any) -> Any:
        if any(thread.id == channel_id for thread in self.threads):
            self.sent.append(dict(params.payload or {}))
            message = self.driver.adapter.message(params.payload or {})
            message["channel_id"] = str(channel_id)
            return message
        self.sent_elsewhere.append(dict(params.payload or {}))
        # dpytest finds the target channel in its caller's locals: keep a `channel` here.
        channel = sys._getframe(1).f_locals.get("channel")  # noqa: F841
        return await self._send(channel_id, params=params)


def custom_id(replies: list[Any], prefix: str, suffix: str = "") -> str:
    [found] = [
        i for r in replies for i in r.custom_ids() if i.startswith(prefix) and i.endswith(suffix)
    ]
    return found


async def test_a_follow_up_in_a_thread_keeps_the_names_and_filters(driver: TreeDriver) -> None:
    harness = driver.harness
    server = ThreadServer(harness, driver)
    first = await driver.dispatch(
        driver.command("ask", options={"question": LAVROV_QUESTION, "since": "2024"})
    )
    assert "match these filters" in first[-1].embeds[0]["description"]  # the article is 2023

    opened = await driver.dispatch(driver.click(custom_id(first, "newsbot:thread:")))
    assert [r.kind for r in opened] == ["defer", "followup"]  # acknowledged before HTTP work
    [thread] = server.threads
    assert thread.name == f"Follow-up: {LAVROV_QUESTION}"
    assert f"<#{thread.id}>" in opened[-1].content and opened[-1].ephemeral
    assert "keeps the names" in server.sent[0]["content"]

    follow = await driver.dispatch(
        driver.command("ask", options={"question": FOLLOW_UP}, channel=thread)
    )
    embed = follow[-1].embeds[0]
    assert embed["title"] == f"{FOLLOW_UP} (Sergueï Lavrov, Mali)"  # the person carried over
    assert "match these filters" in embed["description"]  # and the 2024 filter with it

    widened = await driver.dispatch(
        driver.command("ask", options={"question": FOLLOW_UP, "since": "2023"}, channel=thread)
    )
    embed = widened[-1].embeds[0]
    assert "match these filters" not in embed["description"]  # its own filter replaced it
    assert "Sergueï Lavrov attendu à Bamako" in embed["fields"][0]["value"]

    elsewhere = await driver.dispatch(driver.command("ask", options={"question": FOLLOW_UP}))
    assert elsewhere[-1].embeds[0]["title"] == FOLLOW_UP  # a plain channel has no context


def allow_threads(harness: Harness) -> None:
    """Give everyone (the bot included) the right to start public threads and talk in them."""
    everyone = harness.guild.default_role
    granted = discord.Permissions(everyone.permissions.value)
    granted.create_public_threads = True
    granted.send_messages_in_threads = True
    backend.update_role(everyone, permissions=granted.value)


def button_ids(payload: dict[str, Any]) -> list[str]:
    """The custom ids of the buttons a sent message carries (dpytest's messages drop them)."""
    rows = payload.get("components") or []
    return [str(b["custom_id"]) for row in rows for b in row["components"] if "custom_id" in b]


async def test_a_mention_opens_a_thread_where_the_bot_may_and_follow_ups_keep_the_context(
    harness: Harness,
) -> None:
    allow_threads(harness)
    server = ThreadServer(harness, await make_driver(harness))
    await dpytest.message(mention(harness, LAVROV_QUESTION), channel=harness.channel)
    [answer] = sent_messages()
    assert "Abdoulaye Diop" in (answer.embeds[0].description or "")
    ids = button_ids(server.sent_elsewhere[-1])
    assert any(i.startswith("newsbot:feedback:") for i in ids)
    assert not any(i.startswith("newsbot:thread:") for i in ids)  # the thread is already there

    [thread] = server.threads
    assert server.origins == [answer.id]  # started from the answer itself
    assert thread.name == f"Follow-up: {LAVROV_QUESTION}"
    assert "keeps the names" in server.sent[0]["content"]

    await dpytest.message(mention(harness, FOLLOW_UP), channel=thread)
    [reply] = server.sent[1:]
    embed = reply["embeds"][0]
    assert embed["title"] == f"{FOLLOW_UP} (Sergueï Lavrov, Mali)"  # the person carried over
    assert "Sergueï Lavrov attendu à Bamako" in embed["fields"][0]["value"]
    assert len(server.threads) == 1  # no thread is opened from inside a thread


async def test_a_french_mention_gets_a_french_thread(harness: Harness) -> None:
    allow_threads(harness)
    server = ThreadServer(harness, await make_driver(harness))
    await dpytest.message(mention(harness, MALI_QUESTION), channel=harness.channel)
    [thread] = server.threads
    assert thread.name == shorten(f"Suite : {MALI_QUESTION}", 100)
    assert server.sent[0]["content"].startswith("Posez la suite ici (mentionnez-moi)")


async def test_a_long_question_names_its_thread_within_discords_limit(harness: Harness) -> None:
    allow_threads(harness)
    server = ThreadServer(harness, await make_driver(harness))
    question = "Who invited Sergueï Lavrov to Mali " + "and why " * 30 + "?"
    await dpytest.message(mention(harness, question), channel=harness.channel)
    [thread] = server.threads
    assert len(thread.name) <= 100 and thread.name.startswith("Follow-up: Who invited")
    assert thread.name.endswith("…")


@pytest.mark.parametrize(
    ("auto_threads", "thread_rights"),
    [(True, False), (False, True)],
    ids=["without-the-right", "setting-off"],
)
async def test_otherwise_the_button_is_offered_and_no_thread_is_opened(
    make_harness: HarnessFactory, auto_threads: bool, thread_rights: bool
) -> None:
    harness: Harness = await make_harness(auto_threads=auto_threads)
    if thread_rights:
        allow_threads(harness)
    driver = await make_driver(harness)
    server = ThreadServer(harness, driver)
    await dpytest.message(mention(harness, LAVROV_QUESTION), channel=harness.channel)
    [answer] = sent_messages()
    assert "Abdoulaye Diop" in (answer.embeds[0].description or "")
    [payload] = server.sent_elsewhere
    assert any(i.startswith("newsbot:thread:") for i in button_ids(payload))
    assert server.threads == [] and server.sent == []


async def test_ask_keeps_the_button_even_where_the_bot_may_open_threads(
    driver: TreeDriver,
) -> None:
    allow_threads(driver.harness)
    server = ThreadServer(driver.harness, driver)
    asked = await driver.dispatch(driver.command("ask", options={"question": LAVROV_QUESTION}))
    assert custom_id(asked, "newsbot:thread:")
    assert server.threads == []


async def test_a_refused_thread_leaves_the_answer_and_is_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    allow_threads(harness)
    server = ThreadServer(harness, await make_driver(harness), refuse=True)
    with caplog.at_level(logging.WARNING):
        await dpytest.message(mention(harness, LAVROV_QUESTION), channel=harness.channel)
    [answer] = sent_messages()  # the answer, and no error notice after it
    assert "Abdoulaye Diop" in (answer.embeds[0].description or "")
    assert server.threads == [] and server.sent == []
    assert "cannot open a thread on answer" in caplog.text


async def test_a_dm_follow_up_is_understood_in_context(harness: Harness) -> None:
    dm = await harness.alice.create_dm()
    await dpytest.message(LAVROV_QUESTION, channel=dm, member=harness.alice)
    await dpytest.message(FOLLOW_UP, channel=dm, member=harness.alice)
    first, second = sent_messages()
    assert "Abdoulaye Diop" in (first.embeds[0].description or "")
    assert second.embeds[0].title == f"{FOLLOW_UP} (Sergueï Lavrov, Mali)"
    assert "Sergueï Lavrov attendu à Bamako" in (second.embeds[0].fields[0].value or "")


async def test_a_french_user_gets_french_end_to_end(driver: TreeDriver) -> None:
    [help_reply] = await driver.dispatch(driver.command("help", locale="fr"))
    assert help_reply.ephemeral and help_reply.content.startswith("**Posez vos questions")

    asked = await driver.dispatch(
        driver.command("ask", options={"question": MALI_QUESTION}, locale="fr")
    )
    embed = asked[-1].embeds[0]
    assert embed["footer"]["text"].startswith("1 articles indexés · index construit le")
    vote = await driver.dispatch(
        driver.click(custom_id(asked, "newsbot:feedback:", ":up"), locale="fr")
    )
    assert vote[-1].content == "Merci pour votre avis 👍"

    refused = await driver.dispatch(
        driver.command("ask", options={"question": MALI_QUESTION, "since": "bientôt"}, locale="fr")
    )
    assert refused[-1].content.startswith("`depuis` : “bientôt” n’est pas une date")

    about = await driver.dispatch(driver.command("about", group="newsbot", locale="fr"))
    assert [r.kind for r in about] == ["defer", "followup"] and not about[-1].ephemeral
    fields = {f["name"]: f["value"] for f in about[-1].embeds[0]["fields"]}
    assert about[-1].embeds[0]["title"] == "Ce que newsbot connaît"
    assert fields["Articles"] == "1" and fields["Médias (1)"] == "journaldebangui (1)"
    assert fields["Dates"] == "2023-02 → 2023-02"


async def test_english_question_from_a_french_client_is_answered_in_english(
    driver: TreeDriver,
) -> None:
    asked = await driver.dispatch(
        driver.command("ask", options={"question": LAVROV_QUESTION}, locale="fr")
    )
    assert asked[-1].embeds[0]["footer"]["text"].startswith("1 articles indexed")


async def test_the_channel_allowlist_covers_ask_mentions_and_threads(
    make_harness: HarnessFactory,
) -> None:
    probe: Harness = await make_harness()
    allowed_id = probe.channel.id + 1  # another channel
    harness: Harness = await make_harness(channels=[allowed_id])
    driver = await make_driver(harness)
    [refused] = await driver.dispatch(driver.command("ask", options={"question": MALI_QUESTION}))
    assert refused.ephemeral and refused.content == (
        f"Je réponds aux questions dans <#{allowed_id}> (ou en message privé)."
    )
    assert harness.bot.user is not None
    await dpytest.message(f"<@{harness.bot.user.id}> {MALI_QUESTION}", channel=harness.channel)
    assert sent_messages() == []  # mentions elsewhere are ignored, silently

    cog = harness.ask
    inside = discord.Thread(
        guild=harness.guild,
        state=harness.bot._connection,  # type: ignore[arg-type]
        data=thread_payload(harness, 55, "t") | {"parent_id": str(allowed_id)},  # type: ignore[arg-type]
    )
    assert cog.channel_allowed(inside) and not cog.channel_allowed(harness.channel)
    dm = await harness.alice.create_dm()
    assert cog.channel_allowed(dm)


async def test_threads_fall_back_to_plain_text_without_embed_links(harness: Harness) -> None:
    everyone = harness.guild.default_role
    denied = discord.Permissions(everyone.permissions.value)
    denied.embed_links = False
    backend.update_role(everyone, permissions=denied.value)
    thread = discord.Thread(
        guild=harness.guild,
        state=harness.bot._connection,  # type: ignore[arg-type]
        data=thread_payload(harness, 77, "t"),  # type: ignore[arg-type]
    )
    harness.guild._add_thread(thread)
    message = await dpytest.message("hello", channel=harness.channel)
    message.channel = thread  # the same message, posted in a thread
    assert AskCog._can_embed(message) is False


async def test_more_sources_lists_the_next_ranked_articles(
    make_harness: HarnessFactory,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    index_dir = build(tmp_path / "index", [SAMPLE_DIR, FIXTURE_CORPUS], real_embedder)
    harness: Harness = await make_harness(index_dir=index_dir)
    driver = await make_driver(harness)
    asked = await driver.dispatch(
        driver.command("ask", options={"question": MALI_QUESTION}, locale="fr")
    )
    embed = asked[-1].embeds[0]
    cited = len(embed["fields"])
    more_id = custom_id(asked, "newsbot:more:")
    [button] = [
        b
        for row in asked[-1].body["components"]
        for b in row["components"]
        if b.get("custom_id") == more_id
    ]
    assert button["label"] == "Plus de sources"  # a French question: French buttons

    [listing] = await driver.dispatch(driver.click(more_id, locale="fr"))
    assert listing.kind == "message" and listing.ephemeral
    lines = listing.content.splitlines()
    assert lines[0] == f"Articles suivants pour « {MALI_QUESTION} » :"
    numbered = [line for line in lines if line.startswith("[")]
    assert len(numbered) == 5  # the next five of the seven articles, numbered on
    assert numbered[0].startswith(f"[{cited + 1}] ")
    assert "Lavrov" not in listing.content  # the cited article is not repeated
    assert all(line.startswith("> ") for line in lines[2::2])  # each with its best sentence

    harness.bot.recent = RecentAnswers()  # a restart: the ranking is no longer in memory
    [forgotten] = await driver.dispatch(driver.click(more_id, locale="fr"))
    assert forgotten.ephemeral and forgotten.content.startswith("Ces sources ne sont plus")
