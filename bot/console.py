"""Console front end: `newsbot ask` for one question, `newsbot chat` for an interactive loop.

Thin by design: parse options, call the answering service, render. Answers go to stdout,
diagnostics to stderr; ``--json`` prints ``Answer.to_json()`` exactly.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.answer.conversation import Conversations
from bot.answer.filters import FilterError, parse_date_filter, parse_dates, parse_filters
from bot.answer.messages import messages_for
from bot.cli_common import command_settings, handle_errors, index_dir_option
from index.models import SearchFilters

if TYPE_CHECKING:
    from bot.answer.models import Answer
    from bot.answer.service import AnswerService
    from bot.settings import Settings

EPILOG_ASK = """\b
Examples:
  newsbot ask "When was the French ambassador expelled from Mali?"
  newsbot ask "Qui a invité Lavrov ?" --since 2023-01 --source journaldebangui
  newsbot ask "Where does Lavrov go after Bamako?" --json
"""
QUIT_WORDS = frozenset({":quit", ":q", ":exit"})
CHAT_KEY = "console"
HISTORY_FILE = Path("~/.newsbot_history")


def _date_option(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Accept partial dates (2023, 2023-02, 2023-02-06) and common spellings ("février 2023")."""
    try:
        return parse_date_filter(value, param.name or "date")
    except FilterError as exc:
        raise click.BadParameter(str(exc)) from None


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--since/--until/--source/--k, shared by ask and chat."""
    func = click.option(
        "--k", "k", type=click.IntRange(1, 20), default=None,
        help="Passages read for the answer (default: NEWSBOT_TOP_K).",
    )(func)  # fmt: skip
    func = click.option(
        "--source", "sources", multiple=True,
        help="Only this outlet (repeatable; see `newsbot index stats`).",
    )(func)  # fmt: skip
    func = click.option(
        "--until", callback=_date_option, help="Only articles dated up to this (e.g. 2023-02)."
    )(func)
    return click.option(
        "--since", callback=_date_option, help="Only articles dated from this (e.g. 2023-01)."
    )(func)


def render(answer: Answer) -> str:
    """Human-readable answer: the text, then the numbered sources with their quotes."""
    messages = messages_for(answer.language)
    lines = [answer.text]
    if answer.citations:
        lines += ["", messages.closest if answer.abstained else messages.sources]
        for c in answer.citations:
            meta = " — ".join(part for part in (c.title, c.date, c.source, c.url) if part)
            lines.append(f"[{c.n}] {meta}")
            if c.quote:
                lines.append(f"    {messages.quote(c.quote)}")
    return "\n".join(lines)


def _check_dates(since: str | None, until: str | None) -> None:
    """A range that selects nothing is a usage error, found before the model loads."""
    try:
        parse_dates(since, until)
    except FilterError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None


def _filters(
    service: AnswerService, since: str | None, until: str | None, sources: tuple[str, ...]
) -> SearchFilters:
    """Outlets are matched against the open index (case and accents ignored)."""
    try:
        return parse_filters(since, until, sources, service.sources())
    except FilterError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None


def _service(settings: Settings) -> AnswerService:
    from bot.runtime import make_answer_service

    return make_answer_service(settings)


@click.command("ask", epilog=EPILOG_ASK)
@click.argument("question")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@index_dir_option
@handle_errors
def ask(
    question: str,
    since: str | None,
    until: str | None,
    sources: tuple[str, ...],
    k: int | None,
    as_json: bool,
    index_dir: Path | None,
) -> None:
    """Answer QUESTION from the indexed news, quoting and citing it."""
    if not question.strip():
        raise click.BadParameter("the question is empty", param_hint="QUESTION")
    _check_dates(since, until)
    service = _service(command_settings(index_dir))
    answer = service.answer(question, filters=_filters(service, since, until, sources), k=k)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render(answer))


@click.command("chat")
@filter_options
@index_dir_option
@handle_errors
def chat(
    since: str | None,
    until: str | None,
    sources: tuple[str, ...],
    k: int | None,
    index_dir: Path | None,
) -> None:
    """Ask questions one after another (the model loads once). :quit, :q or Ctrl-D exits.

    A question that names nobody ("and when did he leave?") continues the one before it.
    """
    _check_dates(since, until)
    click.echo("Loading the model and the index…", err=True)
    settings = command_settings(index_dir)
    service = _service(settings)
    filters = _filters(service, since, until, sources)
    conversation = Conversations(
        turns=settings.conversation_turns, ttl=settings.conversation_minutes * 60
    )
    history = _start_history()
    click.echo("Ask about the news (:quit to leave).", err=True)
    try:
        while True:
            try:
                question = input("> ").strip()
            except EOFError:
                click.echo("", err=True)
                break
            if question in QUIT_WORDS:
                break
            if question:
                # "and when did he leave?" carries the earlier turn's names and filters
                follow_up = conversation.ask(CHAT_KEY, question, filters)
                if follow_up.carried:
                    click.echo(f"(follow-up about {', '.join(follow_up.carried)})", err=True)
                answer = service.answer(follow_up.question, filters=follow_up.filters, k=k)
                conversation.record(CHAT_KEY, follow_up)
                click.echo(render(answer) + "\n")
    finally:
        _save_history(history)


def _start_history() -> Path | None:
    """Arrow-key history across sessions, for a terminal where the readline module exists."""
    if not sys.stdin.isatty():
        return None
    try:
        import readline
    except ImportError:  # Windows without pyreadline
        return None
    path = HISTORY_FILE.expanduser()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    return path


def _save_history(path: Path | None) -> None:
    if path is None:
        return
    import readline

    with contextlib.suppress(OSError):
        readline.write_history_file(path)
