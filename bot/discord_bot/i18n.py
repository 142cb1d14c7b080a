"""Every sentence the bot says on Discord, in English and French, and the command translator.

The language is the question's (its framing comes from ``bot.answer.messages``) or, where there
is no question (a button, /help), the user's Discord locale. Command and option names and
descriptions reach Discord in French through ``NewsbotTranslator`` when commands are synced.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.answer.filters import FilterError
from index.language import detect_language

LANGUAGES = ("en", "fr")

STRINGS: dict[str, tuple[str, str]] = {
    # --- refusals and notices ---------------------------------------------------------------
    "cooldown": (
        "Please wait {seconds} s before asking again (cooldown).",
        "Merci d’attendre {seconds} s avant de poser une autre question.",
    ),
    "busy": (
        "I’m answering many questions right now; please try again in a moment.",
        "Je réponds déjà à beaucoup de questions ; réessayez dans un instant.",
    ),
    "empty_question": (
        "Ask me a question, e.g. “When was the French ambassador expelled from Mali?”",
        "Posez-moi une question, par exemple « Quand l’ambassadeur de France a-t-il été "
        "expulsé du Mali ? »",
    ),
    "too_long": (
        "Your question is {length} characters long; the limit is {limit}. Shorten it and ask "
        "again.",
        "Votre question fait {length} caractères ; la limite est {limit}. Raccourcissez-la et "
        "reposez-la.",
    ),
    "no_text": (
        "That message has no text to ask about.",
        "Ce message ne contient pas de texte sur lequel poser une question.",
    ),
    "channel": (
        "I answer questions in {channels} (or in a DM).",
        "Je réponds aux questions dans {channels} (ou en message privé).",
    ),
    "error": (
        "Something went wrong on my side (error id `{error_id}`); please try again later.",
        "Un problème est survenu de mon côté (identifiant d’erreur `{error_id}`) ; réessayez "
        "plus tard.",
    ),
    "admin_error": (
        "{error} (error id `{error_id}`)",
        "{error} (identifiant d’erreur `{error_id}`)",
    ),
    "index_busy": (
        "The index is being rebuilt by another process; try again in a few minutes.",
        "L’index est en cours de reconstruction ; réessayez dans quelques minutes.",
    ),
    "server_only": (
        "This command only works in a server.",
        "Cette commande ne fonctionne que dans un serveur.",
    ),
    "not_allowed": (
        "You are not allowed to use this command.",
        "Vous n’avez pas le droit d’utiliser cette commande.",
    ),
    "admin_only": (
        "Only newsbot's configured admins can do that.",
        "Seuls les administrateurs configurés de newsbot peuvent faire cela.",
    ),
    "no_admins": (
        "No admins are configured yet: set NEWSBOT_ADMIN_USER_IDS or NEWSBOT_ADMIN_ROLE_IDS.",
        "Aucun administrateur n’est encore configuré : définissez NEWSBOT_ADMIN_USER_IDS ou "
        "NEWSBOT_ADMIN_ROLE_IDS.",
    ),
    # --- filter errors (bot.answer.filters codes) -----------------------------------------------
    "filter_date": (
        "`{field}`: {value} is not a date; write it like 2023, 2023-02, 2023-02-06 or "
        "February 2023.",
        "`{field}` : {value} n’est pas une date ; écrivez par exemple 2023, 2023-02, 2023-02-06 "
        "ou février 2023.",
    ),
    "filter_range": (
        "`since` ({since}) is after `until` ({until}).",
        "`depuis` ({since}) est postérieur à `jusqu-au` ({until}).",
    ),
    "filter_outlet": (
        "No indexed outlet is called {value}. {hint}",
        "Aucun média indexé ne s’appelle {value}. {hint}",
    ),
    "outlet_close": ("Close names: {names}.", "Noms proches : {names}."),
    "outlet_known": ("Indexed outlets include: {names}.", "Médias indexés, par exemple : {names}."),
    # --- answers --------------------------------------------------------------------------------
    "undated": ("undated", "sans date"),
    "unknown_outlet": ("unknown outlet", "média inconnu"),
    "sources_heading": ("Sources:", "Sources :"),
    "closest_heading": (
        "Closest matches (not an answer):",
        "Résultats les plus proches (pas une réponse) :",
    ),
    "footer": (
        "{articles} articles indexed · index built {when} UTC",
        "{articles} articles indexés · index construit le {when} UTC",
    ),
    "follow_up_about": ("Follow-up about {names}", "Suite de la question sur {names}"),
    # --- buttons ----------------------------------------------------------------------------------
    "more_button": ("More sources", "Plus de sources"),
    "thread_button": ("Continue in a thread", "Continuer dans un fil"),
    "more_heading": ("Next articles for “{question}”:", "Articles suivants pour « {question} » :"),
    "more_none": (
        "No further articles matched this question.",
        "Aucun autre article ne correspond à cette question.",
    ),
    "more_gone": (
        "These sources are no longer in memory (the bot restarted or the answer is old); "
        "ask again.",
        "Ces sources ne sont plus en mémoire (redémarrage ou réponse ancienne) ; reposez la "
        "question.",
    ),
    "thread_name": ("Follow-up: {question}", "Suite : {question}"),
    "thread_started": (
        "Ask your follow-up in {thread}, mentioning me; I remember this answer there.",
        "Posez la suite dans {thread} en me mentionnant ; je m’y souviens de cette réponse.",
    ),
    "thread_intro": (
        "Ask a follow-up here (mention me): “and when did that happen?” keeps the names and "
        "filters of the question above.",
        "Posez la suite ici (mentionnez-moi) : « et quand cela s’est-il passé ? » garde les noms "
        "et les filtres de la question ci-dessus.",
    ),
    "thread_failed": (
        "I cannot create a thread here; ask your follow-up by mentioning me in a DM instead.",
        "Je ne peux pas créer de fil ici ; posez la suite en me mentionnant en message privé.",
    ),
    "feedback_thanks": ("Thanks for the feedback {emoji}", "Merci pour votre avis {emoji}"),
    "feedback_gone": (
        "That answer is no longer on record, sorry.",
        "Cette réponse n’est plus enregistrée, désolé.",
    ),
    # --- /help and /newsbot about ---------------------------------------------------------------
    "help": (
        "**Ask newsbot about the indexed news.** Every answer quotes the articles it comes "
        "from, numbered [1], [2]…; when the news does not answer, it says so and shows the "
        "closest articles.\n\n"
        "**How to ask**\n"
        "• `/ask question:` … — options: `since`, `until` (2023, 2023-02, 2023-02-06 or "
        "“February 2023”), `source` (an outlet; start typing to pick one), `private` (only you "
        "see the answer).\n"
        "• Mention me with a question, or write to me in a DM.\n"
        "• Right-click a message → Apps → **Ask newsbot** asks its text.\n"
        "• Under an answer: **More sources** lists the next articles; **Continue in a thread** "
        "opens a thread where follow-ups like “and when did he leave?” keep the context.\n\n"
        "**Examples**\n"
        "• When was the French ambassador expelled from Mali?\n"
        "• Qui a invité Sergueï Lavrov au Mali ?\n"
        "• `/ask question: What did the minister announce? since: 2023-01 source: "
        "journaldebangui`\n\n"
        "`/newsbot about` shows what is indexed. Questions in French get French answers.",
        "**Posez vos questions sur l’actualité indexée.** Chaque réponse cite les articles "
        "dont elle vient, numérotés [1], [2]… ; quand l’actualité ne répond pas, newsbot le dit "
        "et montre les articles les plus proches.\n\n"
        "**Comment demander**\n"
        "• `/demander question:` … — options : `depuis`, `jusqu-au` (2023, 2023-02, 2023-02-06 "
        "ou « février 2023 »), `source` (un média ; commencez à taper pour choisir), `privé` "
        "(vous seul voyez la réponse).\n"
        "• Mentionnez-moi avec une question, ou écrivez-moi en message privé.\n"
        "• Clic droit sur un message → Applications → **Demander à newsbot** pose son texte.\n"
        "• Sous une réponse : **Plus de sources** liste les articles suivants ; **Continuer "
        "dans un fil** ouvre un fil où une suite comme « et quand est-il parti ? » garde le "
        "contexte.\n\n"
        "**Exemples**\n"
        "• Quand l’ambassadeur de France a-t-il été expulsé du Mali ?\n"
        "• Who invited Sergei Lavrov to Mali?\n"
        "• `/demander question: Qu’a annoncé le ministre ? depuis: 2023-01 source: "
        "journaldebangui`\n\n"
        "`/newsbot à-propos` montre ce qui est indexé. Une question en anglais reçoit une "
        "réponse en anglais.",
    ),
    "about_title": ("What newsbot knows", "Ce que newsbot connaît"),
    "about_articles": ("Articles", "Articles"),
    "about_outlets": ("Outlets", "Médias"),
    "about_dates": ("Dates", "Dates"),
    "about_updated": ("Last update", "Dernière mise à jour"),
    "about_languages": ("Languages", "Langues"),
    "about_no_dates": ("no dated articles", "aucun article daté"),
    "about_more_outlets": ("… and {count} more", "… et {count} autres"),
    # --- /newsbot-admin reindex: progress and summary ------------------------------------------
    "job_full": ("Full rebuild", "Reconstruction complète"),
    "job_update": ("Update", "Mise à jour"),
    "job_add": ("Adding article", "Ajout d’article"),
    "job_line": ("{job}: {progress}", "{job} : {progress}"),
    "phase_reading": ("Reading", "Lecture"),
    "phase_chunking": ("Chunking", "Découpage"),
    "phase_embedding": ("Embedding", "Vectorisation"),
    "phase_writing": ("Writing", "Écriture"),
    "unit_files": ("files", "fichiers"),
    "unit_articles": ("articles", "articles"),
    "unit_chunks": ("chunks", "passages"),
    "unit_steps": ("steps", "étapes"),
    "unit_items": ("items", "éléments"),
    "progress_starting": ("Starting… ({seconds} s)", "Démarrage… ({seconds} s)"),
    "progress_phase": ("{phase}… ({seconds} s elapsed)", "{phase}… ({seconds} s écoulées)"),
    "progress_line": (
        "{phase}: {percent}% ({done}/{total} {unit}) · {rate} {unit}/s · {eta} · {seconds} s "
        "elapsed",
        "{phase} : {percent} % ({done}/{total} {unit}) · {rate} {unit}/s · {eta} · {seconds} s "
        "écoulées",
    ),
    "eta": ("ETA {duration}", "fin prévue dans {duration}"),
    "eta_unknown": ("ETA unknown", "fin prévue inconnue"),
    "reindex_busy": (
        "A reindex is already running; try again when it is done.\n{progress}",
        "Une réindexation est déjà en cours ; réessayez quand elle sera terminée.\n{progress}",
    ),
    "no_corpus": (
        "No corpus paths to index; set NEWSBOT_CORPUS_PATHS.",
        "Aucun chemin de corpus à indexer ; définissez NEWSBOT_CORPUS_PATHS.",
    ),
    "reindex_failed": ("Reindex failed: {reason}", "La réindexation a échoué : {reason}"),
    "mode_build": ("build", "construction"),
    "mode_update": ("update", "mise à jour"),
    "report_head": (
        "{mode}: {articles} articles, {chunks} chunks in {index_dir}",
        "{mode} : {articles} articles, {chunks} passages dans {index_dir}",
    ),
    "report_changes": (
        "  added {added}, updated {updated}, unchanged {unchanged}, removed {removed}, "
        "duplicates skipped {duplicates}",
        "  ajoutés {added}, modifiés {updated}, inchangés {unchanged}, supprimés {removed}, "
        "doublons ignorés {duplicates}",
    ),
    "report_speed": (
        "  embedded {embedded} chunks (reused {reused}) in {seconds} s: {articles_rate} "
        "articles/s, {chunks_rate} chunks/s",
        "  {embedded} passages vectorisés ({reused} réutilisés) en {seconds} s : "
        "{articles_rate} articles/s, {chunks_rate} passages/s",
    ),
    "report_skipped": ("  skipped {count} input(s):", "  {count} entrée(s) ignorée(s) :"),
    "report_more_skipped": ("    … and {count} more", "    … et {count} de plus"),
    # --- /newsbot-admin add-article -------------------------------------------------------------
    "upload_unsupported": (
        "{filename} is not a file newsbot reads ({kinds}).",
        "{filename} n’est pas un fichier que newsbot sait lire ({kinds}).",
    ),
    "upload_too_big": (
        "{filename} is {size} bytes; the limit is {limit} (NEWSBOT_MAX_UPLOAD_BYTES).",
        "{filename} fait {size} octets ; la limite est {limit} (NEWSBOT_MAX_UPLOAD_BYTES).",
    ),
    "upload_over_limit": (
        "{filename} is larger than the upload limit.",
        "{filename} dépasse la taille maximale d’un envoi.",
    ),
    "upload_busy": (
        "A reindex is running; add the file when it is done.\n{progress}",
        "Une réindexation est en cours ; ajoutez le fichier quand elle sera terminée.\n{progress}",
    ),
    "upload_exists": (
        "{name} was uploaded before; run add-article again with replace: True to overwrite it.",
        "{name} a déjà été envoyé ; relancez add-article avec replace: True pour le remplacer.",
    ),
    "upload_not_utf8": ("{name} is not UTF-8 text.", "{name} n’est pas un texte UTF-8."),
    "upload_expanded": (
        "{name} decompresses to more than {limit} bytes (NEWSBOT_MAX_UPLOAD_EXPANDED_BYTES).",
        "{name} dépasse {limit} octets une fois décompressé (NEWSBOT_MAX_UPLOAD_EXPANDED_BYTES).",
    ),
    "upload_long_line": (
        "{name} has a line longer than {limit} characters (NEWSBOT_MAX_UPLOAD_LINE_CHARS).",
        "{name} a une ligne de plus de {limit} caractères (NEWSBOT_MAX_UPLOAD_LINE_CHARS).",
    ),
    "upload_gzip_truncated": (
        "{name} is a truncated gzip file.",
        "{name} est un fichier gzip tronqué.",
    ),
    "upload_gzip_invalid": (
        "{name} is not a valid gzip file.",
        "{name} n’est pas un fichier gzip valide.",
    ),
    "upload_nothing": (
        "Nothing to index in {filename}: {reasons}",
        "Rien à indexer dans {filename} : {reasons}",
    ),
    "upload_no_article": ("no article found", "aucun article trouvé"),
    "upload_taken": (
        "The index already holds article(s) {ids}; run add-article again with replace: True "
        "to overwrite them, or rename the file.",
        "L’index contient déjà le(s) article(s) {ids} ; relancez add-article avec "
        "replace: True pour les remplacer, ou renommez le fichier.",
    ),
    "upload_added": ("Indexed {count} article(s): {ids}", "{count} article(s) indexé(s) : {ids}"),
    "upload_added_more": (" and {count} more", " et {count} de plus"),
    # --- /newsbot-admin status (labels are padded into a column) -------------------------------
    "status_index": ("index", "index"),
    "status_articles": ("articles", "articles"),
    "status_chunks": ("chunks", "passages"),
    "status_model": ("model", "modèle"),
    "status_size": ("size", "taille"),
    "status_built": ("built", "construit"),
    "status_dates": ("dates", "dates"),
    "status_languages": ("languages", "langues"),
    "status_outlets": ("outlets", "médias"),
    "status_backend": ("backend", "stockage"),
    "status_cleaned": ("cleaned", "nettoyage"),
    "status_feedback": ("feedback", "avis"),
    "status_reindex": ("reindex", "réindexation"),
    "status_model_value": ("{model} ({dimension} dims)", "{model} ({dimension} dimensions)"),
    "status_built_value": ("{when} in {seconds} s", "le {when} en {seconds} s"),
    "status_no_dates": ("no dates", "aucune date"),
    "status_no_outlets": ("none known", "aucun connu"),
    "status_more_outlets": (", … {count} more", ", … et {count} autres"),
    "status_collection": (
        ", collection {collection} at {server}",
        ", collection {collection} sur {server}",
    ),
    "status_cleaned_value": (
        "{removed} characters of navigation/credits removed from {changed} of {articles} "
        "articles{share}",
        "{removed} caractères de navigation/crédits retirés de {changed} articles sur "
        "{articles}{share}",
    ),
    "status_cleaned_unknown": (
        "not recorded (built before cleaning was reported)",
        "non enregistré (index construit avant que le nettoyage soit rapporté)",
    ),
    "status_feedback_value": (
        "{answers} answers recorded, {up} 👍, {down} 👎",
        "{answers} réponses enregistrées, {up} 👍, {down} 👎",
    ),
    "status_idle": ("idle", "aucune en cours"),
}


def language_of_locale(locale: discord.Locale | str | None) -> str:
    return "fr" if locale is not None and str(locale).startswith("fr") else "en"


def language_of(text: str | None, fallback: str = "en") -> str:
    """The question's language when it tells ("fr" or "en"), else ``fallback`` (the locale's)."""
    if not text or not text.strip():
        return fallback
    return detect_language(text, candidates=LANGUAGES, default=fallback)


def warm_up() -> None:
    """Load the language identifier (about 2 s) before the first question, off the event loop.

    Detection itself takes 0.1 ms and runs on the loop; only its first call is slow.
    """
    language_of("Quand l’ambassadeur a-t-il été expulsé ? When was he expelled?")


def interaction_language(interaction: discord.Interaction[Any], text: str | None = None) -> str:
    return language_of(text, language_of_locale(getattr(interaction, "locale", None)))


def t(language: str, key: str, **params: Any) -> str:
    english, french = STRINGS[key]
    template = french if language == "fr" else english
    return template.format(**params) if params else template


def filter_message(language: str, error: FilterError) -> str:
    """A ``FilterError`` in the user's language (the English ``str()`` is the console's)."""
    params = dict(error.params)
    if error.code == "date":
        field = FRENCH_OPTIONS.get(error.field, error.field) if language == "fr" else error.field
        return t(language, "filter_date", field=field, value=params.get("value", ""))
    if error.code == "range":
        return t(language, "filter_range", since=params["since"], until=params["until"])
    if error.code == "outlet":
        if params.get("close"):
            hint = t(language, "outlet_close", names=params["close"])
        elif params.get("known"):
            hint = t(language, "outlet_known", names=params["known"])
        else:
            hint = ""
        return t(language, "filter_outlet", value=params.get("value", ""), hint=hint).strip()
    return str(error)


# --- command names and descriptions -------------------------------------------------------------

FRENCH_OPTIONS = {"since": "depuis", "until": "jusqu-au", "private": "privé"}

#: English source string → French, for names (lowercase, no spaces) and descriptions.
FRENCH_COMMANDS: dict[str, str] = {
    "ask": "demander",
    "Ask about the indexed news; the answer quotes and cites its sources.": (
        "Posez une question sur l’actualité indexée ; la réponse cite ses sources."
    ),
    "question": "question",
    "Your question, in French or English": "Votre question, en français ou en anglais",
    "since": "depuis",
    "Only articles from this date on (2023, 2023-02 or 2023-02-06)": (
        "Seulement les articles à partir de cette date (2023, 2023-02 ou 2023-02-06)"
    ),
    "until": "jusqu-au",
    "Only articles up to this date": "Seulement les articles jusqu’à cette date",
    "source": "source",
    "Only this outlet": "Seulement ce média",
    "private": "privé",
    "Only you see the answer": "Vous seul voyez la réponse",
    "Ask newsbot": "Demander à newsbot",
    "help": "aide",
    "What to ask newsbot, the options, and examples": (
        "Quoi demander à newsbot, les options et des exemples"
    ),
    "newsbot": "newsbot",
    "About newsbot and its news index": "À propos de newsbot et de son index d’actualités",
    "about": "à-propos",
    "What newsbot has indexed: articles, outlets, dates, last update": (
        "Ce que newsbot a indexé : articles, médias, dates, dernière mise à jour"
    ),
}


class NewsbotTranslator(app_commands.Translator):
    """French names and descriptions for French Discord clients; others see the English."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is not discord.Locale.french:
            return None
        return FRENCH_COMMANDS.get(string.message)
