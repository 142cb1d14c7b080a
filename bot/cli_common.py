"""The one command-line edge: what every `newsbot` command shares (errors, --index-dir, settings).

``bot.cli`` registers the front ends' commands; the front ends import these pieces from here,
never ``bot.cli``, so the import graph stays one-way (``bot.cli`` → front ends → this module).
A NewsbotError becomes one line on stderr and exit code 1; click reports bad options (exit 2).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from bot.settings import Settings, load_settings
from index.errors import NewsbotError

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(NewsbotError):
    """A problem a command finds before doing any work (a missing token, an absent index)."""


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 1: the shape of every user-facing command failure."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def handle_errors(func: F) -> F:
    """Turn domain errors into one line and exit code 1: no traceback for a user mistake."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NewsbotError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def index_dir_option(func: F) -> F:
    """Every command takes --index-dir, overriding NEWSBOT_INDEX_DIR for this call."""
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index directory (default: NEWSBOT_INDEX_DIR or .newsbot/index).",
    )(func)


def command_settings(index_dir: Path | None = None, **overrides: Any) -> Settings:
    """Settings for one command call: options given on the command line win over the env.

    Raises SettingsError (a NewsbotError), so under ``handle_errors`` a bad setting is one line.
    """
    return load_settings(index_dir=index_dir, **overrides)
