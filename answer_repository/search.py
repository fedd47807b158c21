"""French-aware text normalisation shared by indexing, search and suggestions (pure).

PostgreSQL's 'french' configuration stems words but keeps accents; SQLite's FTS5
tokenizer drops accents but does not stem. Indexing a normalised copy of the text
(accents removed, plural endings folded) and normalising the query the same way makes
"reglement" find "Règlement" and "formations" find "formation" on both databases.
"""

import re
import unicodedata

_TAG = re.compile(r"<[^>]+>")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def text_normalise(text: str) -> str:
    """Lower case, no accents, no markup, words separated by single spaces."""
    text = _TAG.sub(" ", text or "")
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(_NON_WORD.split(text)).strip()


def word_fold(word: str) -> str:
    """A crude French plural fold: "formations" -> "formation", "sociaux" -> "social"."""
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx" and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def search_text(text: str) -> str:
    """The normalised, folded words of `text`, for indexing and for queries."""
    return " ".join(word_fold(w) for w in text_normalise(text).split())


def words(text: str) -> list[str]:
    return search_text(text).split()
