"""Which Snowball stemmer suits a language: the one map from ISO codes to PyStemmer names."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

#: ISO 639-1 code -> PyStemmer algorithm name (see ``Stemmer.algorithms()``).
SUPPORTED_STEMMERS: Mapping[str, str] = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "eo": "esperanto", "es": "spanish", "et": "estonian",
    "eu": "basque", "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "nb": "norwegian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip


def stemmer_language(code: str) -> str | None:
    """PyStemmer's algorithm name for an ISO code ("fr", "fr-FR", "EN"), or None if it has none."""
    base = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return SUPPORTED_STEMMERS.get(base)


@cache
def stemmer(code: str) -> Any:
    """A PyStemmer stemmer for the language (one per language per process), or None."""
    name = stemmer_language(code)
    if name is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(name)
