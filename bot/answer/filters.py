"""The one parser for what a user can restrict a question to: dates, a date range, outlets.

Console, Discord and the conversation memory call it; each front end only decides how a
``FilterError`` looks (a usage error naming the option, an ephemeral Discord reply). Dates
accept whatever ``index.text.parse_date`` reads in articles (2023, 2023-02, "février 2023"), so
a user may type a date the way the news prints it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.errors import NewsbotError
from index.models import SearchFilters
from index.text import fold, parse_date

ECHO_LIMIT = 60  # user input repeated in a message is cut here (Discord caps messages at 2,000)
CLOSE_NAMES = 5
CHOICE_LIMIT = 100  # Discord's longest autocomplete value
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


class FilterError(NewsbotError):
    """A filter value that cannot be used; ``field`` is "since", "until" or "source".

    ``str()`` is the English message; ``code`` ("date", "range", "outlet") and ``params`` let a
    front end say the same in the user's language.
    """

    def __init__(self, message: str, *, field: str, code: str, **params: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.params = params


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """User input quoted for an error message, cut so a pasted essay cannot flood the reply."""
    text = " ".join(value.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”"


def parse_date_filter(value: str | None, field: str) -> str | None:
    """Partial ISO date ("2023", "2023-02", "2023-02-06") from a user's spelling, or None."""
    if value is None or not value.strip():
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise FilterError(
            f"{echo(value)} is not a date; write it like 2023, 2023-02, 2023-02-06 or février 2023",
            field=field,
            code="date",
            value=echo(value),
        )
    return parsed


def check_range(since: str | None, until: str | None) -> None:
    """Refuse a range that selects nothing. "2023-02" to "2023" is fine: 2023 ends in December."""
    if since is None or until is None:
        return
    common = min(len(since), len(until))
    if since[:common] > until[:common]:
        raise FilterError(
            f"since ({since}) is after until ({until})",
            field="since",
            code="range",
            since=since,
            until=until,
        )


def outlet_key(name: str) -> str:
    """What two spellings of one outlet share: "Journal de Bangui" ~ "journaldebangui"."""
    return _NOT_ALNUM.sub("", fold(name))


def match_outlet(name: str, known: Sequence[str]) -> str:
    """The indexed outlet ``name`` means (case, accents, spaces and dots ignored).

    Raises FilterError naming the closest indexed names, so the user can pick one.
    """
    by_key: dict[str, str] = {}
    for outlet in known:
        by_key.setdefault(outlet_key(outlet), outlet)
    key = outlet_key(name)
    if key and key in by_key:
        return by_key[key]
    if len(name) >= CHOICE_LIMIT:  # Discord cuts autocomplete values at 100 characters
        longer = [outlet for outlet in known if outlet.startswith(name)]
        if len(longer) == 1:
            return longer[0]
    return _unknown_outlet(name, key, by_key)


def _unknown_outlet(name: str, key: str, by_key: dict[str, str]) -> str:
    contains = [outlet for k, outlet in by_key.items() if key and (key in k or k in key)]
    similar = [by_key[k] for k in difflib.get_close_matches(key, list(by_key), CLOSE_NAMES, 0.6)]
    close = list(dict.fromkeys([*similar, *contains]))[:CLOSE_NAMES]
    examples = list(by_key.values())[:CLOSE_NAMES]
    if close:
        hint = "close names: " + ", ".join(close)
    elif by_key:
        hint = "indexed outlets include: " + ", ".join(examples)
    else:
        hint = "the index records no outlet names"
    raise FilterError(
        f"no indexed outlet is called {echo(name)}; {hint}",
        field="source",
        code="outlet",
        value=echo(name),
        close=", ".join(close),
        known=", ".join(examples),
    )


@dataclass(frozen=True)
class DateRange:
    since: str | None
    until: str | None


def parse_dates(since: str | None, until: str | None) -> DateRange:
    """Both ends parsed and checked against each other (cheap: no index needed)."""
    start = parse_date_filter(since, "since")
    end = parse_date_filter(until, "until")
    check_range(start, end)
    return DateRange(start, end)


def parse_filters(
    since: str | None,
    until: str | None,
    sources: Iterable[str],
    known_sources: Sequence[str],
) -> SearchFilters:
    """User-typed filters → ``SearchFilters`` with canonical outlet names, or FilterError."""
    dates = parse_dates(since, until)
    outlets = [match_outlet(s, known_sources) for s in sources if s and s.strip()]
    return SearchFilters(
        since=dates.since, until=dates.until, sources=tuple(dict.fromkeys(outlets))
    )
