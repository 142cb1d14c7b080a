"""Discord front end: slash commands, mentions, DMs, admin commands and feedback buttons.

Named ``discord_bot`` so it never shadows the ``discord`` library. It only parses input, calls
the answering service and renders its ``Answer``; nothing here knows how answers are made.
"""
