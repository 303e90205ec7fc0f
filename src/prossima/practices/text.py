"""Words of practices and of searches, stemmed the same way for every database.

Stemming is done here with the Snowball stemmers (the algorithms PostgreSQL's
``italian`` and ``english`` configurations use), not by the database: the
stored terms and the query terms are then identical on PostgreSQL and SQLite,
and each engine only matches plain tokens. A search word is tried in both
languages, so "furti" and "burglary" each find what their language calls it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

# Function words that carry no meaning for a search (Snowball's lists, abridged).
_ITALIAN_STOP = """
a ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall
dagl dalla dalle di del dello dei degli dell degl della delle in nel nello nei
negli nell negl nella nelle su sul sullo sui sugli sull sugl sulla sulle per tra
fra il lo la i gli le l un uno una e ed o od ma se che chi cui non piu come anche
ci si ne vi mi ti li questo questa questi queste quello quella quelli quelle sono
è era essere ha hanno ho suo sua suoi sue loro nostro nostra vostro vostra molto
poco tutto tutti tutte ogni quando dove perche
"""
_ENGLISH_STOP = """
a an the and or but if of in on at by for with about against between into
through during before after above below to from up down out off over under again
further then once here there when where why how all any both each few more most
other some such no nor not only own same so than too very s t can will just don
should now is are was were be been being have has had having do does did doing i
me my we our you your he him his she her it its they them their what which who
whom this that these those am as until while
"""
STOP_WORDS: dict[str, frozenset[str]] = {
    "it": frozenset(_ITALIAN_STOP.split()),
    "en": frozenset(_ENGLISH_STOP.split()),
}
LANGUAGES = ("it", "en")
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMERS = {"it": snowballstemmer.stemmer("italian"), "en": snowballstemmer.stemmer("english")}


def _plain(word: str) -> str:
    """Return ``word`` without accents (città → citta), so typing without them still finds."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Return the lower-cased words of ``text`` (letters and digits; apostrophes split)."""
    return _WORD.findall((text or "").lower())


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """Return the Snowball stem of a lower-cased word, without accents."""
    return _plain(_STEMMERS[language].stemWord(word))


def terms(text: str, language: str) -> list[str]:
    """Return the stems of the meaningful words of ``text`` in ``language``."""
    stop = STOP_WORDS[language]
    return [stem(w, language) for w in words(text) if w not in stop and _plain(w) not in stop]


def padded(stems: Iterable[str]) -> str:
    """Return distinct stems as one string padded with spaces (" a b "), for matching."""
    unique = list(dict.fromkeys(s for s in stems if s))
    return f" {' '.join(unique)} " if unique else ""


def query_alternatives(query: str) -> list[list[str]]:
    """Return, for each meaningful word of a search, its stems in every language.

    A word that is a stop word in either language ("in", "the", "or") is
    dropped: the search does not know which language it is written in, and a
    word every text holds would only narrow the results by accident.
    """
    result: list[list[str]] = []
    for word in words(query):
        if any(word in STOP_WORDS[lang] or _plain(word) in STOP_WORDS[lang] for lang in LANGUAGES):
            continue
        alternatives = list(dict.fromkeys(stem(word, lang) for lang in LANGUAGES))
        alternatives = [a for a in alternatives if a]
        if alternatives and alternatives not in result:
            result.append(alternatives)
        if len(result) == MAX_QUERY_WORDS:
            break
    return result
