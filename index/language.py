"""Which language a text is in (the stemmer for it: ``index.stemming``).

py3langid alone is unreliable on the short questions users type ("Who invited Lavrov?" comes out
Italian): a character n-gram model has too little to go on. Two cheap fixes make it dependable:
the model only chooses among languages users plausibly write in, and on short texts the function
words it contains (who/qui/quién, the/le/el...) each add a fixed bonus to their languages' scores.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import py3langid.langid as langid

#: Languages detect_language chooses among unless told otherwise: the corpus's, the users' and
#: their neighbours. Fewer candidates means fewer absurd answers on short texts.
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "fr", "en", "es", "de", "it", "pt", "nl", "ar", "ru", "uk", "pl", "ro", "sv", "tr", "zh", "ja",
)  # fmt: skip

# Question words and the commonest function words. A word listed for several languages helps
# none of them against the others, so overlaps are harmless.
_CUE_WORDS: Mapping[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "fr": "qui que quoi quand où ou pourquoi comment combien quel quelle quels quelles "
        "lequel laquelle le la les un une des du de au aux et est sont a ont été il elle ils "
        "elles ce cette ces qu' l' d' n' c' s' dans pour sur avec par ne pas se son sa ses leur",
        "en": "who whom whose what when where why how which the a an of to in on at and is are "
        "was were did does do has have had been be by for with from that this it its",
        "es": "quién quiénes qué cuándo dónde por cómo cuál cuáles cuánto el la los las un una "
        "de del al y es son fue fueron ha han en con para se su",
        "de": "wer was wann wo warum wie welche welcher welches der die das den dem des ein eine "
        "und ist sind war waren hat haben wurde im in mit von zu auf für",
        "it": "chi che cosa quando dove perché come quale quali quanto il lo la gli le un una di "
        "del della dei e è sono era ha hanno stato nel con per da",
        "pt": "quem que quando onde por como qual quais quanto o a os as um uma de do da dos das "
        "e é são foi foram tem em no na com para",
        "nl": "wie wat wanneer waar waarom hoe welke de het een van en is zijn was waren heeft "
        "hebben werd in op met voor",
    }.items()
}
_CUE_BONUS = 1.5  # log-probability added per cue word: two cue words outweigh a 20:1 model verdict
_SHORT_TEXT_WORDS = 20  # beyond this the n-gram model is reliable on its own
_MIN_CONFIDENCE = 0.3  # below this, with no cue word either, the text is just a name: say so
_WORD = re.compile(r"\w+['’]?")


def detect_language(
    text: str, *, candidates: Sequence[str] | None = None, default: str = "en"
) -> str:
    """Return the ISO 639-1 code of ``text``'s language, or ``default`` when there is no telling.

    ``candidates`` restricts the answer (default: ``DEFAULT_CANDIDATES``); an unknown code raises
    ``ValueError``. Text without letters, or a bare name such as "Lavrov ?", gives ``default``.
    """
    words = [match.group().lower().replace("’", "'") for match in _WORD.finditer(text)]
    if not any(char.isalpha() for word in words for char in word):
        return default
    ranked: list[tuple[str, float]] = _identifier(_language_key(candidates)).rank(text)
    if len(words) > _SHORT_TEXT_WORDS:
        return ranked[0][0]
    return _best_with_cues(ranked, words, default)


def _best_with_cues(ranked: list[tuple[str, float]], words: list[str], default: str) -> str:
    """Add the cue-word bonus to each language's log-probability and pick the best."""
    best_lang, best_score, any_cue = default, -math.inf, False
    for lang, probability in ranked:
        cues = _CUE_WORDS.get(lang, frozenset())
        hits = sum(word in cues for word in words)
        any_cue = any_cue or hits > 0
        score = math.log(max(probability, 1e-12)) + _CUE_BONUS * hits
        if score > best_score:
            best_lang, best_score = lang, score
    if not any_cue and ranked[0][1] < _MIN_CONFIDENCE:
        return default
    return best_lang


def _language_key(candidates: Sequence[str] | None) -> tuple[str, ...]:
    """A canonical, hashable form of the candidate list, so equal sets share one identifier."""
    if candidates is None:
        return DEFAULT_CANDIDATES
    key = tuple(sorted({code.strip().lower() for code in candidates}))
    if not key:
        raise ValueError("candidates is empty; pass None to use DEFAULT_CANDIDATES")
    return key


@functools.cache
def _full_identifier() -> Any:
    """The model over all its languages, loaded once (about half a second)."""
    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


@functools.cache
def _identifier(languages: tuple[str, ...]) -> Any:
    """A copy of the model restricted to ``languages``; set_languages replaces, never mutates, the
    arrays, so a shallow copy leaves the full model intact for other candidate sets."""
    identifier = copy.copy(_full_identifier())
    identifier.set_languages(languages)
    return identifier
