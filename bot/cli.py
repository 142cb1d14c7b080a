"""`newsbot` command line: the index commands live here; front ends register theirs below.

Results go to stdout, diagnostics and progress to stderr. The shared pieces (error handling,
--index-dir, settings) are in ``bot.cli_common``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli_common import command_settings, handle_errors, index_dir_option
from bot.settings import Settings

EPILOG_INDEX = """\b
Examples:
  newsbot index build data/sample
  newsbot index update ../shared/corpus/seed --prune
  newsbot index stats --json
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsbot")
def main() -> None:
    """newsbot: answers questions about a news corpus, quoting and citing it.

    \b
    Quick start:
      newsbot index build data/sample
      newsbot ask "When was the French ambassador expelled?"
    """


@main.group(epilog=EPILOG_INDEX)
def index() -> None:
    """Build, update and inspect the search index."""


@index.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_dir_option
@handle_errors
def index_build(paths: tuple[Path, ...], index_dir: Path | None) -> None:
    """Build a new index from PATHS (files or folders; default: NEWSBOT_CORPUS_PATHS).

    The previous index keeps serving until the new one is complete.
    """
    settings = command_settings(index_dir)
    _run_build(settings, list(paths) or settings.corpus_paths, mode="build", prune=False)


@index.command("update")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Remove articles whose files disappeared.")
@index_dir_option
@handle_errors
def index_update(paths: tuple[Path, ...], prune: bool, index_dir: Path | None) -> None:
    """Add new or changed articles from PATHS; unchanged ones are not re-embedded."""
    settings = command_settings(index_dir)
    _run_build(settings, list(paths), mode="update", prune=prune)


@index.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@index_dir_option
@handle_errors
def index_stats(as_json: bool, index_dir: Path | None) -> None:
    """Articles, chunks, model, size on disk, date range and outlets of the index."""
    from index.stats import read_stats

    settings = command_settings(index_dir)
    stats = read_stats(settings.index_dir)
    if as_json:
        click.echo(json.dumps(stats.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(stats.describe())


def _run_build(settings: Settings, paths: list[Path], *, mode: str, prune: bool) -> None:
    from bot.progress import TerminalProgress
    from bot.runtime import make_build_config, make_embedder, make_store
    from index.builder import build_index

    if not paths:
        raise click.UsageError("give PATHS or set NEWSBOT_CORPUS_PATHS")
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise click.BadParameter(f"{missing[0]} does not exist", param_hint="PATHS")
    embedder = make_embedder(settings)
    with TerminalProgress() as progress:
        report = build_index(
            make_store(settings),
            paths,
            embedder,
            make_build_config(settings),
            mode="update" if mode == "update" else "build",
            prune=prune,
            progress=progress,
        )
    from bot.progress import describe_report

    click.echo(describe_report(report))


# Front ends register their commands here (one line each). They import ``bot.cli_common``,
# never this module, so there is no import cycle and `python -m bot.cli` loads each module once.
def _register_front_ends() -> None:
    from bot.console import ask, chat
    from bot.discord_bot.serve import serve
    from bot.evaluation.command import eval_command

    for command in (ask, chat, eval_command, serve):
        main.add_command(command)


_register_front_ends()
