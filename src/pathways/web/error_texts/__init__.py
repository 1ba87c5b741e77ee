"""Errors said in the reader's language by their code (:attr:`pathways.errors.PathwaysError.code`).

An error raised with a code and its values (``NotFound("no case 'X'", code="case_not_found",
params={"ref": "X"})``) is said here in French or Dutch, its message and what to do (the hint),
from the web's catalogues: the command line says it so in ``PATHWAYS_LANG``
(:func:`pathways.web.problems.said_in`). English keeps the error's own message and hint, as
they have always read; a code without words here, or missing one of its values, too.

The words are grouped by area: :mod:`.cases` (cases, their pathways, sharing, collective
actions), :mod:`.directory` (organisations, people, projects, accounts, links, registration
numbers), :mod:`.commands` (a command's options and files, messages). A code is in one of them;
tests/unit/test_error_texts.py checks that every code raised in ``src/`` has words, in French and
Dutch, naming exactly the values it is raised with.

The hints name commands as they are typed: `pathways due` stays as it is in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pathways.errors import PathwaysError
from pathways.web.error_texts import cases, commands, directory
from pathways.web.error_texts.words import Said, Words
from pathways.web.i18n import SOURCE_LANG, texts

__all__ = ["WORDS", "Said", "Words", "said"]


def _merged(*areas: Mapping[str, Words]) -> Mapping[str, Words]:
    merged: dict[str, Words] = {}
    for area in areas:
        twice = sorted(merged.keys() & area.keys())
        if twice:
            raise ValueError(f"error codes with words in two areas: {', '.join(twice)}")
        merged.update(area)
    return merged


WORDS: Final[Mapping[str, Words]] = _merged(cases.WORDS, directory.WORDS, commands.WORDS)
"""The codes said in every language, and their words."""


def said(error: PathwaysError, lang: str) -> Said | None:
    """`error` in `lang` by its code; None in English, or when its code has no words (or lacks a value)."""
    words = WORDS.get(error.code or "")
    if lang == SOURCE_LANG or words is None:
        return None
    try:
        return words(texts(lang), error.params)
    except KeyError:  # raised without one of its values: said in English rather than half
        return None
