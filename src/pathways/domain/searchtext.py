"""What an officer types in the search box, read as words, identifier digits and a case reference.

Matching is accent- and case-insensitive: a text and a query are both *folded* the same way
(accents dropped, ligatures spelt out, lower case), here for the query and by the database's
search indexes for the names (:mod:`pathways.store.search`, built from :data:`LIGATURES` and
:func:`accent_table`, so that both sides agree).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Final

# Letters NFKD does not decompose, spelt out as people type them without the key.
LIGATURES: Final = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}
MAX_WORDS: Final = 8  # more words narrow nothing further, and each costs an index probe
MAX_WORD: Final = 40
MAX_TEXT: Final = 200
_WORD: Final = re.compile(r"[^\W_]+")
_IDENTIFIER: Final = re.compile(r"[0-9][0-9 .\-\u00a0\u202f]*")
_REFERENCE: Final = re.compile(r"[A-Z0-9][A-Z0-9\-]*")


def fold(text: str) -> str:
    """`text` without accents, with ligatures spelt out, in lower case ("Œuvre Élan" → "oeuvre elan")."""
    spelt = "".join(LIGATURES.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", spelt)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@cache
def accent_table() -> tuple[str, str]:
    """(from, to) for SQL ``translate()``: each accented Latin letter and the plain lower-case one.

    Covers Latin-1 and Latin Extended-A and B (the letters of French, Dutch and their neighbours'
    names), i.e. every letter there that :func:`fold` turns into one ASCII letter.
    """
    source, target = [], []
    for code in range(0x00C0, 0x0250):
        ch = chr(code)
        if ch in LIGATURES:
            continue
        folded = fold(ch)
        if len(folded) == 1 and folded.isascii() and folded.isalpha() and folded != ch:
            source.append(ch)
            target.append(folded)
    return "".join(source), "".join(target)


@dataclass(frozen=True, slots=True)
class SearchText:
    """A search, read every way it may be meant; each reading is tried, any match counts."""

    text: str
    words: tuple[str, ...]
    """Folded words, all of which a name must contain (each as the start of one of its words)."""
    digits: str | None
    """The digits of a SIRET, SIREN or BCE number typed with or without spaces or dots (≥ 3)."""
    reference: str | None
    """The start of a case reference (DIAG-2026-0001), upper case."""


def parse_search(text: str | None) -> SearchText | None:
    """The readings of what was typed; None when there is nothing to search for."""
    text = " ".join((text or "").split())[:MAX_TEXT]
    if not text:
        return None
    words = tuple(dict.fromkeys(w[:MAX_WORD] for w in _WORD.findall(fold(text))))[:MAX_WORDS]
    digits = None
    if _IDENTIFIER.fullmatch(text):
        only = re.sub(r"[^0-9]", "", text)
        digits = only if 3 <= len(only) <= 14 else None
    upper = text.upper()
    reference = upper if _REFERENCE.fullmatch(upper) and len(upper) <= 32 else None
    if not words and digits is None and reference is None:
        return None
    return SearchText(text=text, words=words, digits=digits, reference=reference)
