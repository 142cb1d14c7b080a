"""`newsbot serve`: fails fast and clearly, and never lets the token out."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest
from click.testing import CliRunner
from discord.ext.test import backend

from bot.cli import main
from bot.discord_bot.serve import RedactToken
from bot.settings import load_settings
from index.embedding import SentenceTransformerEmbedder

from .discord_support import Harness, HarnessFactory, make_harness_fixture  # noqa: F401

NEWSBOT = "from bot.cli import main; main()"  # exactly what the `newsbot` script runs
TOKEN = "MTA5ODc2NTQzMjEw.Gx-secret.token-value-never-shown"


def run_serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NEWSBOT, "serve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_serve_without_token_exits_at_once_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    started = time.perf_counter()
    result = run_serve(env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: DISCORD_TOKEN is not set; put the bot token in .env (see docs/discord.md)"
    ]
    assert result.stdout == ""
    assert time.perf_counter() - started < 15  # no model, no discord import


def test_serve_without_index_names_the_fix_and_not_the_token(tmp_path: Path) -> None:
    env = {**os.environ, "DISCORD_TOKEN": TOKEN}
    result = run_serve(env, "--index-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: no index in {tmp_path / 'nowhere'}; build one first:")
    assert TOKEN not in result.stderr + result.stdout


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (
            discord.LoginFailure(f"Improper token has been passed: {TOKEN}"),
            "error: Discord rejected DISCORD_TOKEN; reset the token in the developer portal\n",
        ),
        (
            OSError(f"Cannot connect to host discord.com:443 token={TOKEN}"),
            "error: cannot reach Discord (OSError: Cannot connect to host discord.com:443 "
            "token=[token]); check the network\n",
        ),
    ],
)
def test_a_failing_login_never_shows_the_token(
    failure: Exception,
    expected: str,
    sample_index_dir: Path,
    real_embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    restore_logging: None,
) -> None:
    """Even when the error itself echoes the token (discord.py's does not; a proxy's might)."""

    async def login(self: discord.Client, token: str) -> None:
        assert token == TOKEN  # the real token reaches login, and only login
        raise failure

    monkeypatch.setattr("bot.runtime.make_embedder", lambda settings: real_embedder)
    monkeypatch.setattr(discord.Client, "login", login)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(main, ["serve", "--index-dir", str(sample_index_dir)])
    assert result.exit_code == 1
    assert result.output.endswith(expected)
    assert TOKEN not in result.output
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def test_settings_repr_and_dump_hide_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.token() == TOKEN
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert TOKEN not in shown


def test_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"bad {TOKEN}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "login with %s", (TOKEN,), exc_info)
    assert RedactToken(TOKEN).filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted
    assert "login with [token]" in formatted and "RuntimeError: bad [token]" in formatted


async def test_commands_sync_to_each_configured_guild_or_globally(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    synced: list[int | None] = []

    async def sync(*, guild: discord.abc.Snowflake | None = None) -> list[object]:
        synced.append(guild.id if guild else None)
        if guild is not None and guild.id == 222:
            raise discord.Forbidden(backend.FakeRequest(403, "Forbidden"), "Missing Access")
        return []

    harness: Harness = await make_harness(discord_guild_ids=[111, 222])
    monkeypatch.setattr(harness.bot.tree, "sync", sync)
    with caplog.at_level(logging.WARNING):
        await harness.bot.sync_commands()  # one guild failing does not stop the bot
    assert synced == [111, 222]
    assert "cannot sync commands to guild 222" in caplog.text
    names = {c.name for c in harness.bot.tree.get_commands(guild=discord.Object(111))}
    assert {"ask", "newsbot-admin", "Ask newsbot"} <= names

    everywhere: Harness = await make_harness()
    monkeypatch.setattr(everywhere.bot.tree, "sync", sync)
    synced.clear()
    await everywhere.bot.sync_commands()
    assert synced == [None]
