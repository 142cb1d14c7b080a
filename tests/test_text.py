"""index.text: the clean-up every article goes through, and the helpers matching relies on."""

from __future__ import annotations

import datetime as dt

import pytest

from index.text import MONTH_NAMES, fold, normalise_text, parse_date

# --- run-together paragraphs (OrangeSum) ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "dans la nuit de mercredi à jeudi.Le gouvernement avait",
            "dans la nuit de mercredi à jeudi.\n\nLe gouvernement avait",
        ),
        # A closing quote before the full stop stays with the sentence it closes.
        (
            "la balle est dans le camp de l'exécutif\".Le montant",
            "la balle est dans le camp de l'exécutif\".\n\nLe montant",
        ),
        # Quotes balanced so far: the quote after the stop opens the next paragraph's quotation.
        (
            'n\'étaient "pas à la hauteur des revendications"."Le ministre a souhaité',
            'n\'étaient "pas à la hauteur des revendications".\n\n"Le ministre a souhaité',
        ),
        (
            '"Six milliards", a-t-il souligné."Bien sûr',
            '"Six milliards", a-t-il souligné.\n\n"Bien sûr',
        ),
        # A quotation still open: the quote after the stop closes it.
        ('il a crié "Va-t\'en!"De retour', 'il a crié "Va-t\'en!"\n\nDe retour'),
        ("a-t-il ajouté.Interrogé jeudi", "a-t-il ajouté.\n\nInterrogé jeudi"),  # accented capital
        ("en médecine.L'enveloppe globale", "en médecine.\n\nL'enveloppe globale"),
        ("la marque.« Une voiture", "la marque.\n\n« Une voiture"),
        ("la visite ».L'habit", "la visite ».\n\nL'habit"),
        ("un supplément?S'il faut", "un supplément?\n\nS'il faut"),
        ("en 2008.Mais la crise", "en 2008.\n\nMais la crise"),
        ("selon l'AFP.Aucune victime", "selon l'AFP.\n\nAucune victime"),
        ("de l'OCLCIFF).Le parquet", "de l'OCLCIFF).\n\nLe parquet"),
        ("une hausse de 10%.Enfin", "une hausse de 10%.\n\nEnfin"),
        ("pointe de 250 km/h.La boîte", "pointe de 250 km/h.\n\nLa boîte"),
        ("ouvert jusqu'à 17h.Dans la soirée", "ouvert jusqu'à 17h.\n\nDans la soirée"),
        ("le site plaintecovid.fr.Ces plaintes", "le site plaintecovid.fr.\n\nCes plaintes"),
        ("couple de 670 Nm.Toutes ces", "couple de 670 Nm.\n\nToutes ces"),
        ("un an.Le texte", "un an.\n\nLe texte"),
    ],
)
def test_run_together_paragraphs_are_split(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "les U.S.A ont voté",  # initials
        "M.Dupont a parlé",  # a single capital is an initial
        "Mme.Dupont a parlé",  # a title
        "voir www.Site.com pour",  # a domain
        "voir https://exemple.fr/Page.Html pour",
        "écrire à contact@Site.Com",
        "une hausse de 3.5 points",  # a decimal
        "titulaire d'un Ph.D en physique",  # short capitalised word: an abbreviation
        "né en 63 av.J.-C. à Rome",
        "la S.A.R.L. Dupont",
        "le procureur Thien Ho.Il a",  # a short name is too ambiguous: left alone on purpose
        "il a dit. Le gouvernement",  # already spaced: nothing to do
        "fin.",
    ],
)
def test_abbreviations_initials_urls_and_numbers_are_left_alone(text: str) -> None:
    assert normalise_text(text) == text


# --- whitespace and invisible characters -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("e\u0301te\u0301", "été"),  # NFC
        ("\ufeffLe\u200b texte\u200d\u00ad", "Le texte"),  # BOM, zero-width chars, soft hyphen
        ("a\x00b\x07c\x1bd\x7f", "abcd"),  # control characters
        ("un\r\ndeux\rtrois", "un\ndeux\ntrois"),  # CRLF and CR
        ("un  \t deux\u00a0\u202ftrois", "un deux trois"),  # spaces, tabs, exotic spaces
        ("ligne un   \n   ligne deux", "ligne un\nligne deux"),  # line-end spaces
        ("§1\n\n\n\n§2\n \n \n§3", "§1\n\n§2\n\n§3"),  # at most one blank line
        ("  \n\n texte \n\n ", "texte"),
        ("", ""),
    ],
)
def test_whitespace_and_invisible_characters(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_normalise_is_idempotent() -> None:
    raw = 'Il a dit "non".Le lendemain,\r\n\r\n\r\n  la   CGT."Malgré tout", jeudi.Vendredi\u200b'
    once = normalise_text(raw)
    assert normalise_text(once) == once


# --- fold --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Affaires Etrangères", "affaires etrangeres"),
        ("ÉTRANGÈRES", "etrangeres"),
        ("Œuvre, cœur, Ægée", "oeuvre, coeur, aegee"),
        ("Straße", "strasse"),
        ("l’État d‘urgence", "l'etat d'urgence"),
        ("Sergueï Lavrov à Bamako", "serguei lavrov a bamako"),
        ("plain ASCII", "plain ascii"),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_fold_lets_an_answer_match_whatever_its_accents() -> None:
    assert fold("Etrangères") in fold("Le Ministre des Affaires étrangères de la Russie")


# --- parse_date --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-02-06", "2023-02-06"),
        ("2023-02-06T10:00:00Z", "2023-02-06"),
        ("2023-02-06 10:00:00", "2023-02-06"),
        ("2023/02/06", "2023-02-06"),
        ("06/02/2023", "2023-02-06"),  # day first, the French way
        ("6.2.2023", "2023-02-06"),
        ("20230206", "2023-02-06"),
        ("2023-2", "2023-02"),
        ("2023-02", "2023-02"),
        ("02/2023", "2023-02"),
        ("2023", "2023"),
        (2023, "2023"),
        ("février 2023", "2023-02"),
        ("Février 2023", "2023-02"),
        ("6 février 2023", "2023-02-06"),
        ("1er févr. 2023", "2023-02-01"),
        ("lundi 6 fevrier 2023", "2023-02-06"),
        ("February 2023", "2023-02"),
        ("February 6, 2023", "2023-02-06"),
        ("Mon, 06 Feb 2023 10:00:00 +0000", "2023-02-06"),  # RSS pubDate
        ("29 août 2020", "2020-08-29"),
        ("29/02/2024", "2024-02-29"),  # leap day
        (dt.date(2023, 2, 6), "2023-02-06"),
        (dt.datetime(2023, 2, 6, 10, 0), "2023-02-06"),
        (1675677600, "2023-02-06"),  # Unix seconds
        (1675677600000, "2023-02-06"),  # Unix milliseconds
    ],
)
def test_parse_date(value: object, expected: str) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2023-13",
        "2023-00-10",
        "2023-02-30",
        "29/02/2023",
        "31/04/2023",
        "32 janvier 2023",
        "hier",
        "",
        "n/a",
        None,
        True,
        42,
        [2023],
        {"date": "2023"},
    ],
)
def test_parse_date_rejects_what_is_not_a_real_date(value: object) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize(("number", "names"), list(enumerate(MONTH_NAMES, start=1)))
def test_every_month_spelling_parses(
    number: int, names: tuple[str, str, tuple[str, ...], tuple[str, ...]]
) -> None:
    french, english, dotted, short = names
    for name in (french, fold(french), english, english.title(), *dotted, *short):
        assert parse_date(f"6 {name} 2023") == f"2023-{number:02d}-06", name
    for abbreviation in dotted:
        assert parse_date(f"6 {abbreviation}. 2023") == f"2023-{number:02d}-06", abbreviation
