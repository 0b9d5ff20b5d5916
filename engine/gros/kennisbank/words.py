"""Dutch words for the kennisbank: the Snowball stemmer that makes *grensarbeiders* find *grensarbeider*
and *belastingen* find *belasting*, on SQLite (FTS5 holds the stemmed text) as PostgreSQL's ``dutch``
configuration does; and the matches marked in the original text, the same way on both databases."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"\w+")
# PostgreSQL's dutch stop words that matter in a query; leaving them out keeps "belasting van
# grensarbeiders" from requiring the word "van".
STOPWORDS = frozenset({
    "aan", "al", "alles", "als", "bij", "daar", "dan", "dat", "de", "der", "deze", "die", "dit", "door", "dus",
    "een", "en", "er", "haar", "het", "hij", "hun", "ik", "in", "is", "je", "maar", "met", "naar", "niet", "nog",
    "of", "om", "omdat", "ook", "op", "over", "te", "tot", "uit", "van", "voor", "was", "wat", "wel", "wie",
    "zij", "zijn", "zo", "zich"
})
_STEMMER = snowballstemmer.stemmer("dutch")
Segment = tuple[str, bool]  # a piece of text, and whether it matches the query


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word.lower())


def stems(text: str) -> list[str]:
    """The stems of the words of ``text`` that are no stop words, in order."""
    return [stem(word) for word in WORD.findall(text.lower()) if word not in STOPWORDS]


def stemmed(text: str) -> str:
    """``text`` as FTS5 stores it: its stems, separated by spaces."""
    return " ".join(stems(text))


def marked(text: str, query: set[str]) -> list[Segment]:
    """``text`` cut into pieces, each word whose stem is in ``query`` a piece of its own marked True."""
    segments: list[Segment] = []
    start = 0
    for match in WORD.finditer(text):
        if stem(match.group()) in query:
            segments += [(text[start:match.start()], False), (match.group(), True)]
            start = match.end()
    segments.append((text[start:], False))
    return [segment for segment in segments if segment[0]]


def excerpt(text: str, query: set[str], width: int = 240) -> list[Segment]:
    """A window of ``text`` around its first match (or its start), marked."""
    first = next((m.start() for m in WORD.finditer(text) if stem(m.group()) in query), 0) if query else 0
    begin = max(0, first - width // 3)
    piece = text[begin:begin + width]
    prefix, suffix = ("…" if begin else ""), ("…" if begin + width < len(text) else "")
    return marked(prefix + piece + suffix, query)
