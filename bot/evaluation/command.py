"""`newsbot eval`: the command line over ``bot.evaluation.runner``.

Importing this module stays cheap (click and settings): the model and the index load when the
command runs, so `newsbot --help` never pays for torch. The shared command-line pieces come
from ``bot.cli_common``; ``bot.cli`` registers this command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli_common import command_settings, handle_errors

if TYPE_CHECKING:
    from bot.evaluation.metrics import Summary
    from bot.evaluation.runner import EvalReport

EPILOG = """\b
Examples:
  newsbot eval --corpus ../shared/eval/xling-dev/corpus.jsonl \\
               --questions ../shared/eval/xling-dev/questions.jsonl --json xling.json
  newsbot eval --corpus data/sample --questions my-questions.jsonl --k 1,3,10

\b
Questions file: JSON Lines, {"id", "question", "lang", "answers": [str], "article_id"}.
A question without article_id is one the corpus does not answer: abstaining is right.
The JSON report has one "recall@K" key per --k value; MRR looks at the largest K.
Baselines (BM25 alone, dense alone) report only n, recall@K and mrr.
"""


def parse_ks(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
    """`1,5,20` → (1, 5, 20), sorted and deduplicated; anything else is a usage error."""
    try:
        ks = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of integers like 1,5,20") from None
    if not ks or ks[0] < 1:
        raise click.BadParameter(f"{value!r}: give positive integers like 1,5,20")
    return tuple(ks)


@click.command("eval", epilog=EPILOG)
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="File or folder the indexer reads (repeatable).",
)
@click.option(
    "--questions",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON Lines questions file.",
)
@click.option(
    "--k",
    "ks",
    default="1,5,20",
    show_default=True,
    callback=parse_ks,
    help="Cut-offs for recall@k, comma-separated; MRR uses the largest.",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as JSON to this file ('-' for stdout).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where built indexes are kept (default: NEWSBOT_EVAL_CACHE_DIR or .newsbot/eval-cache).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Ask only the first N.")
@click.option(
    "--details",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write one JSON line per question (question, gold, answer, hit, type, top articles).",
)
@handle_errors
def eval_command(
    corpus: tuple[Path, ...],
    questions: Path,
    ks: tuple[int, ...],
    json_out: Path | None,
    cache_dir: Path | None,
    limit: int | None,
    details: Path | None,
) -> None:
    """Score newsbot on a question set: recall@k, MRR, answer hits, abstentions, latency.

    Builds (or reuses) an index of --corpus in the cache, asks every question through the same
    answering service as the console and Discord, and scores BM25 alone and dense alone on the
    same chunks beside it.
    """
    report = _run(corpus, questions, ks, cache_dir, limit, details)
    if json_out is not None and str(json_out) == "-":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(describe(report))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
        click.echo(f"wrote {json_out}", err=True)


def _run(
    corpus: tuple[Path, ...],
    questions: Path,
    ks: tuple[int, ...],
    cache_dir: Path | None,
    limit: int | None,
    details: Path | None = None,
) -> EvalReport:
    from bot.evaluation.runner import EvalConfig, run_eval

    settings = command_settings()
    config = EvalConfig(
        corpus=corpus,
        questions=questions,
        cache_dir=cache_dir or settings.eval_cache_dir,
        ks=ks,
        limit=limit,
        details=details,
    )
    return run_eval(settings, config)


def describe(report: EvalReport) -> str:
    """A table for people: newsbot and each baseline, per language and overall."""
    header = ["lang", "system", "n", *(f"R@{k}" for k in report.ks), "MRR", "hit"]
    header += ["f-abst", "abst-un"]
    rows: list[list[str]] = []
    groups = [*report.by_lang.items(), ("overall", report.overall)]
    for lang, summary in groups:
        rows.append([lang, "newsbot", *_cells(summary, report.ks, answers=True)])
        for name, by_lang in report.baselines.items():
            base = report.baseline_overall[name] if lang == "overall" else by_lang[lang]
            rows.append(["", name, *_cells(base, report.ks, answers=False)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    latency = report.latency()
    reused = "reused" if report.settings.get("index_reused") else "built"
    return "\n".join(
        [
            f"{report.overall.n} questions over {report.articles} articles "
            f"({report.chunks} chunks); index {reused} in {report.settings.get('index_dir')}",
            *(_row(row, widths) for row in [header, *rows]),
            f"latency per question (retrieve + answer): p50 {latency['p50']} ms, "
            f"p95 {latency['p95']} ms",
            _by_type(report),
            _leads(report),
        ]
    )


def _leads(report: EvalReport) -> str:
    """How often a reply opens with a lead, and how often that lead is an accepted answer."""
    leads = report.leads
    precision = "–" if leads.precision is None else f"{leads.precision:.3f}"
    return (
        f"leads: {leads.led} of {leads.answered} answers open with one; "
        f"{leads.right} name an accepted answer (precision {precision})"
    )


def _by_type(report: EvalReport) -> str:
    """Answer hit per answer type (bot.answer.answer_types), answerable questions only."""
    parts = [f"{kind} {hit:.3f} ({n})" for kind, (n, hit) in report.by_type.items()]
    return "answer hit by type: " + (", ".join(parts) or "no answerable questions")


def _row(cells: list[str], widths: list[int]) -> str:
    """Two left-aligned label columns, then right-aligned numbers."""
    return "  ".join(
        cell.ljust(width) if column < 2 else cell.rjust(width)
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def _cells(summary: Summary, ks: tuple[int, ...], *, answers: bool) -> list[str]:
    values = [*(summary.recall.get(k) for k in ks), summary.mrr]
    if answers:
        values += [summary.answer_hit, summary.false_abstain, summary.abstain_unanswerable]
    else:
        values += [None, None, None]
    return [str(summary.n), *("-" if v is None else f"{v:.3f}" for v in values)]
