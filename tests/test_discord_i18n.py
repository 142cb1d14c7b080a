"""The string tables: every sentence exists in both languages and takes the same values."""

from __future__ import annotations

import string

from bot.discord_bot.i18n import STRINGS, t


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_english_sentence_has_a_french_one_with_the_same_values() -> None:
    missing = [key for key, (english, french) in STRINGS.items() if not french.strip()]
    assert missing == []
    # A French reader never sees a raw "{name}", nor a sentence short of a value.
    mismatched = [key for key, (en, fr) in STRINGS.items() if fields(en) != fields(fr)]
    assert mismatched == []
    for key, (english, _) in STRINGS.items():
        values = dict.fromkeys(fields(english), "7")
        assert t("fr", key, **values) and t("en", key, **values)
