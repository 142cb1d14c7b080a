"""Answer types of English and French questions, and the answer spans found in sentences."""

from __future__ import annotations

import json
import re

import pytest

from bot.answer.answer_types import (
    asked_nouns,
    best_span,
    classify,
    constraints,
    found_terms,
    money_asked,
    names_a_person,
    noun_span,
    noun_spans,
    share_of,
    spans,
    type_match,
)
from bot.answer.extract import _DATE, _plausible, by_first_letter, may_hold_date
from index.sentences import sentence_spans
from index.text import fold
from tests.support import shared_path


def found_share(terms: list[str] | tuple[str, ...], folded_text: str) -> float:
    """Share of ``terms`` the text holds, as the reader's constraint features count it."""
    return share_of(terms, found_terms(terms, folded_text))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did Zimbabwe's striker get his marketing degree?", "date"),
        ("L'avion s'est écrasé dans la Manche quel jour ?", "date"),
        ("En quelle année le traité a-t-il été signé ?", "date"),
        ("How many hours were Facebook and WhatsApp down?", "number"),
        ("Combien de personnes sont mortes dans l'accident ?", "number"),
        ("Quel est le nouveau budget de l'Unesco ?", "number"),  # a measured quantity
        ("What was the total area of the farm?", "number"),
        ("Quelles sont les valeurs de l'entreprise ?", "thing"),  # not a quantity
        # the first interrogative asks; a later "quand" or "qui" opens a clause
        ("Qui dirigeait l'équipe quand Schillinger l'a rejointe ?", "person"),
        ("Quel âge avait-il quand il a quitté Lagos ?", "number"),
        ("A quelle vitesse court le guépard quand il chasse ?", "number"),
        ("Quelle est la profession de celui qui a porté plainte ?", "thing"),
        ("What did the minister say when he arrived?", "thing"),
        ("Le club a été racheté par qui ?", "person"),
        ("Who chairs the commission on the canal?", "person"),
        ("Qui a fondé l'entreprise ?", "person"),
        ("Where did the rocket debris land?", "place"),
        ("Dans quel bidonville les femmes ont-elles été formées ?", "place"),
        ("Which club checked the racist tweet?", "thing"),
        ("C'est quoi le nom de la start-up ?", "thing"),
        ("Why was the canal blocked?", "reason"),
        ("Pourquoi le match a-t-il été suspendu ?", "reason"),
        ("Que faire pour se protéger du soleil quand on a la peau claire ?", "reason"),  # advice
        ("What should people do when the alarm sounds?", "reason"),
        ("Tell me about the canal", "other"),
    ],
)
def test_questions_are_classified_in_english_and_french(question: str, expected: str) -> None:
    assert classify(question) == expected


SENTENCE = (
    "Les débris de la fusée Longue Marche 5B sont tombés dans l'océan Indien, près des "
    "Maldives, le 9 mai 2021, a annoncé Xie Zhenhua, six heures après 40 % des prévisions."
)


def test_spans_of_each_type_are_verbatim_slices() -> None:
    for kind in ("date", "number", "person", "place", "thing"):
        for span in spans(SENTENCE, kind):
            assert SENTENCE[span.start : span.end] == span.text
    assert [s.text for s in spans(SENTENCE, "date")] == ["9 mai 2021"]
    assert {"six heures", "40 %"} <= {s.text for s in spans(SENTENCE, "number")}
    assert "Xie Zhenhua" in {s.text for s in spans(SENTENCE, "person")}
    places = {s.text for s in spans(SENTENCE, "place")}
    assert "Maldives" in places and "océan Indien" in places


@pytest.mark.parametrize(
    ("sentence", "dates"),
    [
        ("En mai, une chute lors des Quatre Jours de Dunkerque lui cause une entorse.", ["En mai"]),
        ("La population n'a retrouvé son niveau qu'au 17ème siècle.", ["17ème siècle"]),
        ("Au XIXe siècle, la ville s'étend jusqu'au fleuve.", ["XIXe siècle"]),
        ("Prices may rise in May, the minister said.", ["in May"]),
        ("L'ambassadeur a été expulsé en janvier 2022.", ["janvier 2022"]),  # as before
        ("Il a dit qu'il se pourrait que les prix montent.", []),
        ("Les événements de mai 68 restent dans les mémoires.", []),
    ],
)  # fmt: skip
def test_a_month_said_alone_and_a_century_are_dates(sentence: str, dates: list[str]) -> None:
    assert [s.text for s in spans(sentence, "date")] == dates


def test_the_quick_date_check_never_hides_a_date_of_real_news() -> None:
    """``may_hold_date`` skips the date grammar for most sentences; a date it missed would be
    a "when" answer refused. Every date the grammar finds in BBC Afrique text is still found."""
    path = shared_path("corpus", "masakhanews-fra.jsonl")
    tricky = [
        "Il est arrivé fin août à Dakar.",
        "Au XIXe siècle, la ville s'étend.",
        "Elle partira début juillet.",
        "It happened on March 10th, they said.",
    ]
    sentences = list(tricky)
    for line in path.read_text("utf-8").splitlines()[:300]:
        text = json.loads(line)["text"]
        sentences += [text[a:b] for a, b in sentence_spans(text)]
    with_dates = [s for s in sentences if any(_plausible(m.group()) for m in _DATE.finditer(s))]
    assert len(with_dates) > 500 and all(may_hold_date(s) for s in with_dates)
    assert all(s in with_dates for s in tricky)
    assert sum(map(may_hold_date, sentences)) < 0.5 * len(sentences)  # it does skip


def test_grouping_an_alternation_by_first_letter_keeps_every_match() -> None:
    """The number and month patterns are grouped for speed; which words they match, and which
    alternative wins where one word begins another, must not move."""
    words = "quatre|quatre-vingts?|quatre-vingt-dix|un|une|deux|dix|dizaines?|mai|mars|Mardi"
    text = ("Quatre-vingt-dix soldats, une dizaine de morts, quatre-vingts blessés, un quatre "
            "mai, Mars et mardi: deux dizaines ou dix.")  # fmt: skip
    for suffix in (r"\b", "", r"\s+\w+"):
        plain = re.compile(rf"\b(?:{words}){suffix}", re.IGNORECASE)
        grouped = re.compile(rf"\b(?:{by_first_letter(words)}){suffix}", re.IGNORECASE)
        assert grouped.findall(text) == plain.findall(text)
        assert len(plain.findall(text)) >= 6
    with pytest.raises(ValueError, match="letter"):
        by_first_letter("un|[dD]eux")


def test_the_span_to_lead_with_is_new_to_the_question_and_near_its_terms() -> None:
    sentence = "Fondée en 1998, la commission est présidée depuis le 3 mars 2021 par Amina Diallo."
    who = best_span(sentence, "person", "Who chairs the commission?")
    assert who is not None and who.text == "Amina Diallo"
    when = best_span(sentence, "date", "Depuis quand la commission est-elle présidée ?",
                     [fold("présidée")])  # fmt: skip
    assert when is not None and when.text == "3 mars 2021"
    # A name the question already gives is not an answer to it.
    assert best_span("Amina Diallo a parlé mardi.", "person", "Qu'a dit Amina Diallo ?") is None


@pytest.mark.parametrize(
    ("sentence", "place"),
    [  # BBC Afrique sentences that answer "où…?" with no place preposition before the name
        ("Des femmes enceintes qui travaillent dans les rizières de West Kiang, en Gambie, "
         "restent dans les champs sous le chaud soleil pendant huit heures.", "West Kiang"),
        ("Selon PortSEurope, la ferme commerciale de NP sera basée à l'intérieur des terres, "
         "près du port de Las Palmas, dans les îles Canaries.", "port de Las Palmas"),
        ("Selon PortSEurope, la ferme commerciale de NP sera basée à l'intérieur des terres, "
         "près du port de Las Palmas, dans les îles Canaries.", "îles Canaries"),
    ],
)  # fmt: skip
def test_a_place_is_found_after_a_geographic_noun_or_before_its_country(
    sentence: str, place: str
) -> None:
    found = {s.text for s in spans(sentence, "place")}
    assert place in found
    assert type_match(sentence, "place", "Où a été menée l'étude ?") == 1.0


def test_a_geographic_noun_before_lower_case_words_names_no_place() -> None:
    sentence = "Il est revenu dans la ville de son enfance, au bord de la mer agitée."
    assert spans(sentence, "place") == []


@pytest.mark.parametrize(
    ("sentence", "question", "person"),
    [  # sentences of BBC Afrique articles, where a country or a journal sat in the lead's place
        ("La Russie a réagi aux propos du pape, a dit Maria Zakharova.",
         "Qui côté russe a traité de perversion les propos du pape ?", "Maria Zakharova"),
        ("Au Royaume-Uni, l'usine est dirigée par Steve Mahon.",
         "Who's the boss of the plastic recycling plant?", "Steve Mahon"),
        ("Selon The Lancet, le terme est dû à Merrill Singer.",
         "Who came up with the term syndemic?", "Merrill Singer"),
    ],
)  # fmt: skip
def test_a_who_question_leads_with_a_person_not_a_country_or_a_journal(
    sentence: str, question: str, person: str
) -> None:
    assert [s.text for s in spans(sentence, "person")] == [person]
    lead = best_span(sentence, "person", question)
    assert lead is not None and lead.text == person
    # The country is still a place where a preposition introduces it, and a thing otherwise.
    if sentence.startswith("Au "):
        assert [s.text for s in spans(sentence, "place")] == ["Royaume-Uni"]


@pytest.mark.parametrize(
    ("question", "sentence", "count"),
    [
        ("How many hours were Facebook, Instagram and WhatsApp down?",
         "Ces applications font 20 % du trafic et ont été en panne pendant six heures.",
         "six heures"),
        ("L'Algérie a gagné combien de places au classement Fifa ?",
         "Le Bénin a gagné 12 points, l'Algérie 28 places.", "28 places"),
        ("How many people died in the floods?",
         "Les pluies ont touché 40 % du pays et tué 112 personnes.", "112 personnes"),
    ],
)  # fmt: skip
def test_a_how_many_question_leads_with_a_count_of_what_it_counts(
    question: str, sentence: str, count: str
) -> None:
    lead = best_span(sentence, "number", question)
    assert lead is not None and lead.text == count
    assert type_match(sentence, "number", question) == 1.0
    # A sentence with numbers but none counting the asked noun is a weaker match.
    assert type_match("Le taux a atteint 20 %.", "number", question) == 0.5


def test_a_question_about_money_wants_a_sum_not_another_number() -> None:
    question = "Combien le Royaume-Uni verse-t-il d'abord au Rwanda pour le plan ?"
    topical = "Le Rwanda accueille près de 1 000 demandeurs d'asile bloqués en Libye."
    answering = "Un versement initial de 120 millions de livres sterling au Rwanda est prévu."
    assert type_match(topical, "number", question) == 0.5
    assert type_match(answering, "number", question) == 1.0
    lead = best_span("En 2022, 120 millions de livres ont été versés.", "number", question)
    assert lead is not None and lead.text == "120 millions de livres"
    assert money_asked("How much did Chelsea pay Rennes to sign Mendy?")
    assert money_asked("Quel est le montant de l'amende ?")
    assert not money_asked("How much of the forest was lost?")
    assert not money_asked("L'Algérie a gagné combien de places au classement ?")  # a count
    # "soldats" is not "sold"
    assert not money_asked("Sur les 12 000 soldats retirés, combien rentrent aux États-Unis ?")


def test_constraints_are_the_years_figures_and_names_a_question_pins_down() -> None:
    found = constraints("Who won the men's title at Roland-Garros in 2023?")
    assert found.years == ("2023",)
    assert "roland" in found.names and "garros" in found.names
    article = fold("Rafael Nadal a remporté Roland-Garros en 2019.")
    assert found_share(found.years, article) == 0.0
    assert found_share(found.names, article) == 1.0


def test_an_english_questions_names_are_met_by_their_french_translations() -> None:
    """ "Brazilian", "World Cup" and "IPCC" are in a French article as "brésilienne", "Coupe du
    monde" and "GIEC": a constraint the article holds, not a name it lacks."""
    question = "Which Brazilian minister backed the World Cup bid and the IPCC report?"
    article = fold(
        "La ministre brésilienne a soutenu la candidature à la Coupe du monde "
        "et salué le rapport du GIEC."
    )
    assert found_share(constraints(question, "en").names, article) == 1.0
    assert found_share(constraints(question).names, article) < 0.5  # untranslated


def test_a_name_spelled_one_letter_apart_still_meets_its_constraint() -> None:
    """English "Elizabeth", French "Elisabeth": one person, so not a near miss to refuse."""
    names = constraints("C'est quand, les funérailles nationales d'Elizabeth II ?").names
    assert found_share(names, fold("Reine Elisabeth II : un guide complet des funérailles")) == 1
    assert found_share(names, fold("La reine Margaret est morte.")) == 0
    # two letters apart is another name
    assert found_share(constraints("Did Sergio Ramos sign?").names, fold("Sergei Ramov")) == 0


@pytest.mark.parametrize(
    ("question", "language", "noun"),
    [
        ("Dans quel stade se joue la finale ?", "fr", "stade"),
        ("C'est quoi le nom de la start-up de Jeremiah ?", "fr", "start-up"),
        ("Qui est le porte-parole de l'armée ?", "fr", "porte-parole"),
        ("In which Chinese city did he dig through flea markets?", "en", "ville"),
        ("Which company bought the port of Lomé?", "en", "entreprise"),
    ],
)
def test_the_noun_a_which_question_asks_for_is_found_with_its_translation(
    question: str, language: str, noun: str
) -> None:
    assert noun in asked_nouns(question, language)
    assert asked_nouns("What did the minister say?", "en") == ()


@pytest.mark.parametrize(
    ("question", "language", "sentence"),
    [  # BBC Afrique sentences naming the head of an organisation a question asks about
        ("Who's the boss of Mura Technology?", "en",
         "C'est un peu comme la cuisine, explique Steve Mahon, directeur général de Mura."),
        ("Who heads Marketers for an Open Web?", "en",
         "A regarder : Le directeur James Rosewell explique que Google n'a pas promis."),
        ("Qui doit présider le Conseil national de transition ?", "fr",
         "Il sera présidé par l'ancien chef d'Etat Henri Konan Bédié."),
    ],
)  # fmt: skip
def test_a_who_question_about_a_role_finds_the_name_beside_the_role_noun(
    question: str, language: str, sentence: str
) -> None:
    nouns = asked_nouns(question, language)
    assert noun_spans(sentence, "person", question, nouns) == 1.0
    # The same sentence without the role noun next to the name does not count.
    bare = "C'est un peu comme la cuisine, explique Steve Mahon à la BBC."
    assert noun_spans(bare, "person", question, nouns) == 0.0


def test_a_number_word_is_a_whole_word_and_keeps_its_count_after_an_article() -> None:
    # A BBC Afrique quote: "une centaine de fractures" answers "how many fractures", and the
    # "cent" inside "centaine" or "centenaire" is not a number of its own.
    sentence = (
        "En tout, j'ai subi une dizaine de chirurgies et ma mère dit que j'ai déjà subi une "
        "centaine de fractures, raconte l'élève, fille d'un centenaire."
    )
    assert [s.text for s in spans(sentence, "number")] == [
        "dizaine de chirurgies",
        "centaine de fractures",
    ]
    question = "How many fractures has Beatriz Fernandes da Silva had?"
    assert type_match(sentence, "number", question) == 1.0
    lead = best_span(sentence, "number", question)
    assert lead is not None and lead.text == "centaine de fractures"


@pytest.mark.parametrize(
    "question",
    [
        "What share of the vote did Alassane Ouattara officially get in 2020?",
        "Quel pourcentage des voix Alassane Ouattara a-t-il obtenu en 2020 ?",
        "Quelle part des voix a obtenu Alassane Ouattara ?",
    ],
)
def test_a_share_question_wants_a_percentage(question: str) -> None:
    assert classify(question) == "number"
    sentence = "Alassane Ouattara, 78 ans, a obtenu 94,27 % des voix selon la commission."
    lead = best_span(sentence, "number", question)
    assert lead is not None and lead.text == "94,27 %"
    assert type_match("Alassane Ouattara a 78 ans.", "number", question) == 0.5


def test_no_lead_is_better_than_a_number_of_another_kind() -> None:
    # "20 ans" would be a wrong first word for a count of fractures or for a sum paid.
    sentence = (
        "Depuis qu'elle est bébé, l'étudiante, aujourd'hui âgée de 20 ans, doit faire attention."
    )
    assert best_span(sentence, "number", "How many fractures has she had?") is None
    assert best_span(sentence, "number", "How much did Chelsea pay Rennes?") is None
    assert best_span(sentence, "number", "Quel âge a l'étudiante ?") is not None


def test_a_name_in_apposition_before_the_asked_noun_counts_for_a_which_question() -> None:
    question = "C'est quoi le nom de la start-up de Jeremiah Thoronka en Sierra Leone ?"
    nouns = asked_nouns(question, "fr")
    sentence = (
        "Thoronka a fondé Optim Energy, une start-up innovante qui utilise l'énergie cinétique."
    )
    assert noun_spans(sentence, "thing", question, nouns) == 1.0
    far = "Optim Energy a grandi vite et il dit que sa start-up est innovante."
    assert noun_spans(far, "thing", question, nouns) == 0.0


def test_the_span_beside_the_asked_noun_is_a_person_first_for_a_person_question() -> None:
    question = "Quel président est accusé d'avoir aidé le prophète Shepherd Bushiri à fuir ?"
    sentence = (
        "Le gouvernement sud-africain dit avoir contacté le président du Malawi, Lazarus "
        "Chakwera, pour obtenir le retour du prophète."
    )
    span = noun_span(sentence, "person", question, asked_nouns(question, "fr"))
    assert span is not None and span.text == "Lazarus Chakwera"
    # As a named thing, the first name after the noun is the country.
    thing = noun_span(sentence, "thing", question, asked_nouns(question, "fr"))
    assert thing is not None and thing.text == "Malawi"


def test_a_who_answer_does_not_lead_with_an_acronym_or_a_name_with_digits() -> None:
    """The reader may take "AFC" for who won, but a reply must not open with "US", "WTA" or
    "Covid-19" as the person asked for."""
    sentence = (
        "Selon WTA, le virus Covid-19 a coûté 450 millions de dollars US au circuit, "
        "a déclaré Justin Lessler, de l'école Johns Hopkins."
    )
    assert {"WTA", "Covid-19", "US"} <= {s.text for s in spans(sentence, "person")}
    question = "Who spoke about what the virus cost the tennis circuit?"
    span = best_span(sentence, "person", question)
    assert span is not None and span.text == "Justin Lessler"
    assert names_a_person("Justin Lessler") and names_a_person("Emmanuel MACRON")
    assert not names_a_person("G20") and not names_a_person("AFC")


def test_the_asked_noun_itself_is_not_the_name_beside_it() -> None:
    """A fact sheet writes the role capitalised, "Coach : Olivier Niyungeko", after a word that
    starts like the asked noun ("sélection" / "sélectionneur")."""
    question = "Qui est le sélectionneur du Burundi pour la CAN ?"
    sentence = "Cette sélection à suivre : Coach : Olivier Niyungeko - Burundais (depuis 2016)."
    span = noun_span(sentence, "person", question, asked_nouns(question, "fr"))
    assert span is not None and span.text == "Olivier Niyungeko"
