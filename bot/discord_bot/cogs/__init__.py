"""One cog per concern: asking (slash, context menu, mentions, DMs) and administration."""
