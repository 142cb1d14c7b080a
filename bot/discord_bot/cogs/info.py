"""/help and the public /newsbot about: what to ask, and what the bot knows.

Both answer in the user's Discord locale (there is no question to read a language from).
/help is ephemeral (it only concerns the asker); /newsbot about is public, so a channel can see
what the answers rest on. The admin ``status`` stays under /newsbot-admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.i18n import interaction_language, t
from bot.discord_bot.render import shorten
from bot.discord_bot.replies import NO_MENTIONS, reported, send_private
from index.stats import IndexStats, read_stats

if TYPE_CHECKING:
    from bot.discord_bot.client import NewsBot

ABOUT_OUTLETS = 15
ABOUT_COLOUR = discord.Colour.blurple()


def about_embed(stats: IndexStats, language: str) -> discord.Embed:
    """Articles, outlets, date range, languages and last update, in ``language``."""
    embed = discord.Embed(title=t(language, "about_title"), colour=ABOUT_COLOUR)
    embed.add_field(name=t(language, "about_articles"), value=f"{stats.articles:,}")
    dates = (
        f"{stats.date_min} → {stats.date_max}" if stats.date_min else t(language, "about_no_dates")
    )
    embed.add_field(name=t(language, "about_dates"), value=dates)
    updated = stats.built_at.replace("T", " ").removesuffix("Z")[:16] + " UTC"
    embed.add_field(name=t(language, "about_updated"), value=updated)
    if stats.languages:
        langs = ", ".join(f"{code} {count:,}" for code, count in stats.languages.items())
        embed.add_field(name=t(language, "about_languages"), value=shorten(langs, 1024))
    if stats.outlets:
        shown = ", ".join(f"{name} ({count:,})" for name, count in stats.outlets[:ABOUT_OUTLETS])
        rest = len(stats.outlets) - ABOUT_OUTLETS
        if rest > 0:
            shown += " " + t(language, "about_more_outlets", count=rest)
        embed.add_field(
            name=f"{t(language, 'about_outlets')} ({len(stats.outlets):,})",
            value=shorten(shown, 1024),
            inline=False,
        )
    return embed


class InfoCog(commands.Cog):
    about_group = app_commands.Group(name="newsbot", description="About newsbot and its news index")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What to ask newsbot, the options, and examples")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        language = interaction_language(interaction)
        async with reported(interaction, language):
            await send_private(interaction, t(language, "help"))

    @about_group.command(
        name="about", description="What newsbot has indexed: articles, outlets, dates, last update"
    )
    async def about(self, interaction: discord.Interaction[Any]) -> None:
        language = interaction_language(interaction)
        async with reported(interaction, language):
            await interaction.response.defer(thinking=True)  # SQLite next: acknowledge first
            stats = await self.bot.db.run(read_stats, self.bot.reindexer.store.root)
            await interaction.followup.send(
                embed=about_embed(stats, language), allowed_mentions=NO_MENTIONS
            )


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(InfoCog(bot))
