"""The reader quotes the sentence that answers, leads with its answer, refuses what is not said.

A small real corpus (written for these tests, in the manner of wire news) where, for each kind
of question, one sentence shares the most words with the question and its neighbour holds the
answer; retrieval and reading use the real model and the fitted reader model.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import TYPE_CHECKING

import pytest

from bot.answer.service import AnswerOptions, AnswerService
from index.builder import BuildConfig, build_index
from index.embedding import SentenceTransformerEmbedder
from index.store import IndexStore
from tests.invariants import check_invariants

if TYPE_CHECKING:
    from bot.answer.reader import Candidate

ARTICLES = [
    {
        "id": "commission",
        "title": "Nigeria : une commission d'enquête sur les inondations de Lagos",
        "text": (
            "Le gouvernement nigérian a créé une commission d'enquête sur les inondations qui "
            "ont frappé Lagos cette année. La commission d'enquête sur les inondations doit "
            "remettre son rapport sur les causes des inondations avant la fin de l'année. "
            "Elle est présidée par l'ancienne juge Amina Okonkwo, nommée par le président. "
            "Les inondations ont fait 43 morts et détruit plus de 2 000 maisons dans la ville. "
            "Les habitants du quartier de Makoko ont été les plus touchés par les inondations."
        ),
    },
    {
        "id": "barrage",
        "title": "Éthiopie : le grand barrage de la Renaissance commence à produire",
        "text": (
            "Le grand barrage de la Renaissance, sur le Nil Bleu, est au centre d'un différend "
            "entre l'Éthiopie, l'Égypte et le Soudan. Le barrage de la Renaissance a commencé à "
            "produire de l'électricité le 20 février 2022, selon le Premier ministre Abiy Ahmed. "
            "Sa construction, lancée en 2011, a coûté environ 4,2 milliards de dollars. "
            "Le barrage devrait produire à terme plus de 5 000 mégawatts. "
            "L'Égypte craint que le barrage ne réduise sa part des eaux du Nil."
        ),
    },
    {
        "id": "startup",
        "title": "Sierra Leone : un étudiant transforme le mouvement des piétons en électricité",
        "text": (
            "Un jeune inventeur sierra-léonais veut fournir de l'électricité propre aux écoles "
            "de Freetown grâce au mouvement des piétons. Sa start-up s'appelle Optim Energy et "
            "elle a déjà équipé une quinzaine d'écoles. "
            "Le jeune inventeur a reçu le prix mondial des étudiants en 2021 pour son projet. "
            "Il espère étendre son projet d'électricité à tout le pays d'ici cinq ans."
        ),
    },
    {
        # The English question's words that carry it ("hours", "outage") share no letters
        # with the French that answers ("heures", "panne"): only the bilingual lexicon joins them.
        "id": "panne",
        "title": "WhatsApp inaccessible en Afrique de l'Ouest",
        "text": (
            "Les services de messagerie WhatsApp ont été inaccessibles lundi dans plusieurs "
            "pays d'Afrique de l'Ouest. L'entreprise a présenté ses excuses à ses utilisateurs "
            "et promis une enquête interne. La panne a duré six heures avant que le service "
            "ne soit rétabli. Les opérateurs de téléphonie mobile affirment ne pas être en cause."
        ),
    },
    {
        # "German" is "allemand": without the lexicon the question would name a country the
        # article never mentions, a constraint it seems to lack.
        "id": "transfert",
        "title": "Football : un attaquant sénégalais change de championnat",
        "text": (
            "L'attaquant sénégalais Ibrahima Ndiaye quitte la France après cinq saisons. "
            "Il a signé jeudi un contrat de quatre ans avec le club allemand du Werder Brême. "
            "Le montant du transfert n'a pas été communiqué par les deux clubs. "
            "Le joueur portera le numéro 9 lors de la prochaine saison."
        ),
    },
    {
        # The topical sentences repeat the question's words; the one that answers says the
        # asked noun ("stade") next to the name that answers.
        "id": "finale",
        "title": "Cameroun : la finale de la Coupe de la Cémac se jouera dimanche",
        "text": (
            "La finale de la Coupe de la Cémac opposera dimanche le Cameroun et le Gabon. "
            "Les supporters gabonais sont attendus nombreux pour cette finale de la Coupe "
            "de la Cémac, la première depuis 2014. La rencontre se disputera au stade "
            "Omnisports Ahmadou Ahidjo, rénové l'an dernier. Les billets sont vendus depuis "
            "lundi dans les agences de la ville."
        ),
    },
]


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> AnswerService:
    folder = tmp_path_factory.mktemp("reader-corpus")
    corpus = folder / "news.jsonl"
    corpus.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), "utf-8")
    root = folder / "index"
    build_index(IndexStore(root), [corpus], real_embedder, BuildConfig())
    return AnswerService(IndexStore(root), real_embedder, AnswerOptions())


def _quotes(text: str) -> list[str]:
    return re.findall(r"[“«]\s?(.+?)\s?[”»]", text)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Who chairs the inquiry commission on the Lagos floods?", "Amina Okonkwo"),
        ("Qui préside la commission d'enquête sur les inondations ?", "Amina Okonkwo"),
        ("When did the Renaissance dam start producing electricity?", "20 février 2022"),
        ("Le barrage de la Renaissance produit de l'électricité depuis quelle date ?",
         "20 février 2022"),
        ("How many people died in the Lagos floods?", "43 morts"),
        ("Combien a coûté la construction du barrage de la Renaissance ?",
         "4,2 milliards de dollars"),
        ("Which start-up did the young Sierra Leonean inventor create?", "Optim Energy"),
        ("Where were people hit hardest by the Lagos floods?", "Makoko"),
        ("How many hours did the WhatsApp outage last?", "six heures"),
        ("Which German club did the Senegalese striker Ibrahima Ndiaye sign for?",
         "Werder Brême"),
        ("Dans quel stade se joue la finale de la Coupe de la Cémac ?", "Ahmadou Ahidjo"),
        ("In which stadium will the Cemac Cup final be played?", "Ahmadou Ahidjo"),
    ],
)  # fmt: skip
def test_the_quoted_sentence_holds_the_answer_and_the_lead_comes_from_it(
    service: AnswerService, question: str, answer: str
) -> None:
    reply = service.answer(question)
    assert not reply.abstained, reply.text
    check_invariants(reply.text, reply.citations, abstained=False)
    quotes = _quotes(reply.text)
    assert any(answer in quote for quote in quotes), reply.text
    lead = reply.text.split("“")[0].split("«")[0].rstrip(" :")
    if lead:
        assert any(lead in quote for quote in quotes), f"lead {lead!r} is not quoted"


@pytest.mark.parametrize(
    "question",
    [
        # a year the corpus contradicts
        "When did the Renaissance dam start producing electricity in 2019?",
        "Qui préside la commission d'enquête sur les inondations de Lagos de 2015 ?",
        # a "when" question whose quotes hold no date: the article never says when
        "When did the company apologise to its WhatsApp users for the outage?",
        "Quand l'entreprise a-t-elle présenté ses excuses aux utilisateurs de WhatsApp ?",
    ],
)
def test_what_the_corpus_does_not_say_is_refused_with_closest_articles(
    service: AnswerService, question: str
) -> None:
    reply = service.answer(question)
    assert reply.abstained, reply.text
    assert reply.citations, "an abstention still shows the closest articles"
    check_invariants(reply.text, reply.citations, abstained=True)


def test_the_rank_model_fit_puts_the_answering_sentence_first() -> None:
    """The listwise fit (scripts/fit_reader.py) learns which feature marks the answer within a
    question, although a question-wide feature differs more between questions."""
    import numpy as np

    from bot.answer.reader import FEATURES, Candidate, ReaderModels, rank
    from scripts.fit_reader import Collected, Example, fit_listwise

    rng = np.random.default_rng(0)
    answer = FEATURES.index("type_match")
    shared = FEATURES.index("article_cov")

    def question(i: int) -> Collected:
        found = []
        for j in range(6):
            row = rng.normal(0.0, 1.0, len(FEATURES))
            row[shared] = i  # the same for every sentence of a question
            row[answer] = 1.0 if j == 2 else 0.0
            found.append(Candidate("a", 0, j, j, j + 1, f"s{j}", row))
        example = Example(f"q{i}", "fr", ("x",), True, False)
        return Collected(example, found, [j == 2 for j in range(6)])

    data = [question(i) for i in range(40)]
    model = fit_listwise(data)
    assert model.weights[answer] > 0
    models = ReaderModels(0, model, model)
    assert all(rank(d.found, models)[0].index == 2 for d in data[:10])


def test_a_translated_training_question_is_held_out_with_its_original() -> None:
    """scripts/reader_train_piaf_en.jsonl translates piaf-train questions: a held-out score
    would be flattered if a question were fitted in one language and scored in the other."""
    from scripts.fit_reader import is_held_out
    from tests.support import REPO

    lines = (REPO / "scripts/reader_train_piaf_en.jsonl").read_text("utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) > 300 and all(i.endswith("-en") for i in ids)
    assert all(is_held_out(i) == is_held_out(i.removesuffix("-en")) for i in ids)
    assert 0.1 < sum(map(is_held_out, ids)) / len(ids) < 0.3


def test_the_written_news_training_questions_never_touch_news_dev_and_quote_their_article() -> None:
    """The reader is scored on news-dev: a training question over one of its articles, or an
    answer its article does not hold verbatim, would teach the models the wrong thing."""
    from bot.evaluation.metrics import match_form
    from scripts.fit_reader import NEWS_CORPUS, SETS
    from tests.support import REPO, shared_path

    dev = shared_path("eval", "news-dev", "questions.jsonl").read_text("utf-8").splitlines()
    held = {json.loads(line)["article_id"] for line in dev} - {None}
    corpus = shared_path("corpus", "masakhanews-fra.jsonl").read_text("utf-8").splitlines()
    texts = {a["id"]: match_form(f"{a['title']}\n{a['text']}") for a in map(json.loads, corpus)}
    written = [
        q for corpus, q in SETS.values() if corpus == NEWS_CORPUS and q.parent == REPO / "scripts"
    ]
    rows = [json.loads(line) for path in written for line in path.read_text("utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == len(rows) > 600
    for row in rows:
        assert row["article_id"] not in held and row.get("near") not in held, row["id"]
        if row["article_id"] is None:
            assert row["answers"] == [], row["id"]
        else:
            text = texts[row["article_id"]]
            assert any(match_form(a) in text for a in row["answers"]), row["id"]


def test_the_gap_features_mark_the_question_word_an_article_never_uses() -> None:
    """ "When was the minister acquitted?" over an article on his indictment: the article holds
    the names, not the event; the reader's gap features say so, for the decision model."""
    from bot.answer.reader import FEATURES, candidates, split_article
    from index.lexical import Tokenizer

    tokenize = Tokenizer("fr")
    text = (
        "L'ancien ministre kényan des Finances Henry Rotich a été inculpé lundi à Nairobi. "
        "Il est accusé d'avoir attribué un contrat de barrages à une société italienne."
    )
    article = split_article("a", "Kenya : Henry Rotich inculpé", text, "fr", tokenize)
    terms = {"rotich": 5.0, "acquitt": 4.0, "ministr": 1.0}  # "acquitt": in no sentence
    found = candidates(
        "Quand Henry Rotich a-t-il été acquitté ?", "fr", [], [article],
        terms=terms,
    )  # fmt: skip
    gap = FEATURES.index("article_gap")
    assert found and all(c.features[gap] == 4.0 / 5.0 for c in found)
    found = candidates(
        "Quand Henry Rotich a-t-il été inculpé ?", "fr", [], [article],
        terms={"rotich": 5.0, "inculp": 4.0, "ministr": 1.0},
    )  # fmt: skip
    assert all(c.features[gap] == 0.0 for c in found)


def test_an_answer_inside_an_over_long_sentence_is_still_quotable() -> None:
    """Encyclopaedic run-ons exceed what a reply can quote; they are cut at clause breaks, not
    dropped, so the clause that answers is a quotable, verbatim piece."""
    from bot.answer.reader import MAX_SENTENCE_CHARS, split_article
    from index.lexical import Tokenizer

    run_on = (
        "La ville, fondée au XIIe siècle sur la rive gauche du fleuve, "
        + "connut une longue période de prospérité marchande, " * 12
        + "puis fut ravagée par un incendie en 1666 ; elle fut reconstruite sous la direction "
        "de l'architecte Christopher Wren, qui dessina aussi la cathédrale Saint-Paul."
    )
    text = f"Une courte phrase ouvre l'article ici. {run_on} Une phrase suit enfin ici."
    assert len(run_on) > MAX_SENTENCE_CHARS
    article = split_article("a", "Ville", text, "fr", Tokenizer("fr"))
    assert all(len(t) <= MAX_SENTENCE_CHARS for t in article.texts)
    assert all(text[s:e] == t for (s, e), t in zip(article.spans, article.texts, strict=True))
    assert any("Christopher Wren" in t for t in article.texts)
    assert sum(len(t) for t in article.texts) >= len(run_on) - 20  # nothing of it dropped


def _ranked_quotes(*texts: str) -> list[Candidate]:
    """One article's quotes as the reader chose them, best first (scores n, n - 1, ... 1)."""
    import numpy as np

    from bot.answer.reader import Candidate

    count = len(texts)
    return [
        Candidate("a", 0, i, 0, len(t), t, np.zeros(1), score=float(count - i))
        for i, t in enumerate(texts)
    ]


def test_a_which_question_leads_with_the_name_beside_its_noun_not_the_best_quote_s_name() -> None:
    """news-dev-012's shape: the best quote names a city, the second names the start-up."""
    from bot.answer.reader import Reading, lead

    question = "C'est quoi le nom de la start-up de Jeremiah Thoronka en Sierra Leone ?"
    texts = [
        "Jeremiah Thoronka a commencé à développer le dispositif alors qu'il était à "
        "l'université de Kigali, au Rwanda, à 17 ans.",
        "Lorsqu'il avait 17 ans, Thoronka a fondé Optim Energy, une start-up innovante.",
    ]
    chosen = _ranked_quotes(*texts)
    reading = Reading("thing", chosen, 0.9, {}, "fr")
    assert lead(question, reading, chosen) == "Optim Energy"
    # Without an asked noun the best quote's own span still leads.
    plain = "Où Jeremiah Thoronka a-t-il développé le dispositif ?"
    assert lead(plain, Reading("place", chosen, 0.9, {}, "fr"), chosen) == "Kigali"


def test_the_lead_is_the_name_the_most_asked_words_describe() -> None:
    """Two quotes each name a defence minister; the question asks for the Russian one, so
    the lead is the name beside "russe" and "défense", even from the lower-scored quote."""
    from bot.answer.reader import Reading, lead

    question = "Which Russian defence minister accused Kyiv of planning a dirty bomb?"
    texts = [
        "Sergueï Choïgou a parlé au ministre britannique de la défense, Ben Wallace, lundi.",
        "Le ministre russe de la défense, Sergueï Choïgou, accuse Kiev sans preuves.",
    ]
    chosen = _ranked_quotes(*texts)
    reading = Reading("thing", chosen, 0.9, {}, "en")
    assert lead(question, reading, chosen) == "Sergueï Choïgou"


def test_a_what_question_leads_with_no_name_unless_one_stands_beside_its_noun() -> None:
    """A lead reads as the answer: a "what" question's quote often names other things."""
    from bot.answer.reader import Reading, lead

    text = "Son économie est fortement diversifiée, selon l'économiste Jane Smith à Melbourne."
    chosen = _ranked_quotes(text)
    question = "What is the nature of Victoria's economy?"
    assert lead(question, Reading("thing", chosen, 0.9, {}, "en"), chosen) is None
    # A "who" question still leads with the person its quote names.
    who = "Who says that Victoria's economy is diversified?"
    assert lead(who, Reading("person", chosen, 0.9, {}, "en"), chosen) == "Jane Smith"


def _sample_article() -> tuple[str, str]:
    from index.corpus import read_corpus
    from tests.support import SAMPLE_DIR

    (article,) = read_corpus([SAMPLE_DIR / "mali-russie-lavrov-2023-02.txt"])
    return article.title, article.text


def test_an_article_is_folded_and_tokenised_as_its_sentences_one_by_one() -> None:
    """The reader folds an article once, piece by piece; what it keeps must equal folding and
    tokenising the whole text and each sentence on their own, which the features assume."""
    from bot.answer.reader import split_article
    from index.lexical import Tokenizer
    from index.text import fold

    title, text = _sample_article()
    tokenize = Tokenizer("fr")
    article = split_article("a", title, text, "fr", tokenize)
    assert len(article.texts) > 5
    assert article.folded == fold(f"{title}\n{text}")
    assert article.folded_texts == tuple(fold(t) for t in article.texts)
    assert article.tokens == tuple(tuple(tokenize(t)) for t in article.texts)
    assert article.all_tokens >= frozenset(tokenize(title)).union(*map(tokenize, article.texts))
    assert article.all_tokens <= frozenset(tokenize(f"{title}\n{text}"))


def _run_on_cut_inside(pair: tuple[str, str]) -> str:
    """A clause-less sentence over ``MAX_SENTENCE_CHARS`` whose cut falls between two words."""
    from bot.answer.reader import MAX_SENTENCE_CHARS

    words = ["Le", "groupe", "Wagner", "a", "changé"]
    while len(" ".join([*words, pair[0]])) < MAX_SENTENCE_CHARS - 8:
        words.append("de")
    return " ".join([*words, *pair, "et", "la", "suite", "sans", "aucune", "virgule"]) + "."


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Did Lavrov visit Bamako in February 2023?", "en"),  # a year and names
        ("Qui est le PDG de Wagner au Mali ?", "fr"),
        ("Who is the CEO of Wagner?", "en"),  # "CEO" has a two-word member, "directeur général"
        ("Quand Sergueï Lavrov est-il arrivé à Bamako ?", "fr"),
    ],
)
def test_a_sentence_s_constraint_feature_is_what_its_neighbourhood_says(
    question: str, language: str
) -> None:
    """``cons_sent`` is the share of the question's years, figures and names found in the
    sentence and its two neighbours. The reader searches each sentence once and joins the
    findings; the result must be that of searching the three sentences' text, also for a
    two-word name that an over-long sentence's cut splits."""
    from bot.answer.answer_types import constraints, found_terms, share_of
    from bot.answer.reader import FEATURES, candidates, split_article
    from index.lexical import Tokenizer

    title, text = _sample_article()
    text += "\n\n" + _run_on_cut_inside(("directeur", "général"))
    tokenize = Tokenizer("fr")
    article = split_article("a", title, text, "fr", tokenize)
    assert any(a.endswith("directeur") and b.startswith("général")
               for a, b in itertools.pairwise(article.texts))  # fmt: skip
    cons = constraints(question, language)
    terms = [*cons.years, *cons.figures, *cons.names]
    found = candidates(question, language, [], [article], terms={"x": 1.0})
    column = FEATURES.index("cons_sent")
    n = len(article.texts)
    expected = [
        share_of(terms, found_terms(terms, " ".join(article.folded_texts[max(0, i - 1) : i + 2])))
        for i in range(n)
    ]
    assert [c.features[column] for c in found] == expected
    assert 0 < sum(expected) < n  # the questions' terms are in some sentences, not all
