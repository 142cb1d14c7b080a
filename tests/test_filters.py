"""The one filter parser: the same dates, ranges and outlet names for console and Discord."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import runtime
from bot.answer.filters import (
    ECHO_LIMIT,
    FilterError,
    check_range,
    match_outlet,
    parse_date_filter,
    parse_filters,
)
from bot.cli import main
from index.embedding import SentenceTransformerEmbedder

OUTLETS = ["journaldebangui", "Le Monde", "Jeune Afrique", "RFI Afrique"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2023", "2023"),
        (" 2023-02 ", "2023-02"),
        ("2023-02-06", "2023-02-06"),
        ("février 2023", "2023-02"),
        ("Fevrier 2023", "2023-02"),
        ("February 2023", "2023-02"),
        ("6 février 2023", "2023-02-06"),
        ("", None),
        (None, None),
    ],
)
def test_dates_read_as_the_news_writes_them(typed: str | None, expected: str | None) -> None:
    assert parse_date_filter(typed, "since") == expected


@pytest.mark.parametrize("typed", ["soon", "2023-13", "2023-02-30", "février"])
def test_a_bad_date_names_the_field_and_the_value(typed: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_date_filter(typed, "until")
    assert caught.value.field == "until"
    assert f"“{typed}”" in str(caught.value) and "2023-02" in str(caught.value)


def test_echoed_input_is_trimmed() -> None:
    with pytest.raises(FilterError) as caught:
        parse_date_filter("x" * 5000, "since")
    assert len(str(caught.value)) < ECHO_LIMIT + 100


@pytest.mark.parametrize(
    ("since", "until"), [("2023", "2023"), ("2023-02", "2023"), ("2023", "2023-01-05")]
)
def test_ranges_that_overlap_are_accepted(since: str, until: str) -> None:
    check_range(since, until)


@pytest.mark.parametrize(("since", "until"), [("2024", "2023-12"), ("2023-03", "2023-02-28")])
def test_since_after_until_is_refused(since: str, until: str) -> None:
    with pytest.raises(FilterError, match=rf"since \({since}\) is after until \({until}\)"):
        check_range(since, until)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("le monde", "Le Monde"),
        ("LE MONDE", "Le Monde"),
        ("Journal de Bangui", "journaldebangui"),
        ("jeune-afrique", "Jeune Afrique"),
        ("Jéune Afrique", "Jeune Afrique"),
    ],
)
def test_outlets_match_ignoring_case_accents_and_spacing(typed: str, expected: str) -> None:
    assert match_outlet(typed, OUTLETS) == expected


def test_an_unknown_outlet_lists_close_names() -> None:
    with pytest.raises(FilterError) as caught:
        match_outlet("Jeune Afriqe", OUTLETS)
    assert caught.value.field == "source"
    assert "“Jeune Afriqe”" in str(caught.value) and "close names: Jeune Afrique" in str(
        caught.value
    )
    with pytest.raises(FilterError, match="indexed outlets include: journaldebangui"):
        match_outlet("Kathimerini", OUTLETS)


def test_parse_filters_gives_canonical_names() -> None:
    filters = parse_filters("février 2023", None, ["le monde", "LE MONDE", ""], OUTLETS)
    assert (filters.since, filters.until, filters.sources) == ("2023-02", None, ("Le Monde",))


# --- the console uses it ---------------------------------------------------------------------


@pytest.fixture
def _model_loaded_once(
    monkeypatch: pytest.MonkeyPatch, real_embedder: SentenceTransformerEmbedder
) -> None:
    monkeypatch.setattr(runtime, "make_embedder", lambda _settings: real_embedder)


@pytest.mark.usefixtures("_model_loaded_once")
def test_console_reads_spelled_dates_and_loose_outlet_names(sample_index_dir: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["ask", "Who invited Lavrov?", "--since", "février 2023", "--source", "Journal de Bangui",
         "--index-dir", str(sample_index_dir)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Abdoulaye Diop" in result.stdout


@pytest.mark.usefixtures("_model_loaded_once")
def test_console_refuses_a_backward_range_and_an_unknown_outlet(sample_index_dir: Path) -> None:
    backward = CliRunner().invoke(
        main, ["ask", "Lavrov ?", "--since", "2024", "--until", "2023", "--index-dir", "x"]
    )
    assert backward.exit_code == 2 and "--since" in backward.stderr
    assert "since (2024) is after until (2023)" in backward.stderr
    unknown = CliRunner().invoke(
        main, ["ask", "Lavrov ?", "--source", "Le Monde", "--index-dir", str(sample_index_dir)]
    )
    assert unknown.exit_code == 2 and "--source" in unknown.stderr
    assert "close names" not in unknown.stderr and "journaldebangui" in unknown.stderr
