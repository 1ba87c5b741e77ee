"""Errors said in the reader's language by their code (:attr:`pathways.errors.PathwaysError.code`).

An error raised with a code and its values (``NotFound("no case 'X'", code="case_not_found",
params={"ref": "X"})``) is said here in French or Dutch, its message and what to do (the hint),
from the web's catalogues: the command line says it so in ``PATHWAYS_LANG``
(:func:`pathways.web.problems.said_in`). English keeps the error's own message and hint, as
they have always read; a code without words here, or missing one of its values, too.

The hints name commands as they are typed: `pathways due` stays as it is in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from pathways.errors import PathwaysError
from pathways.web.i18n import SOURCE_LANG, Texts, texts


@dataclass(frozen=True, slots=True)
class Said:
    """An error's message and hint in one language."""

    message: str
    hint: str | None = None


Words = Callable[[Texts, Mapping[str, str]], Said]


def _case(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no case “%(ref)s”.", ref=p["ref"]),
        t("Case references look like DIAG-2026-0001; `pathways due` lists the cases due."),
    )


def _case_here(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no case “%(ref)s”.", ref=p["ref"]),
        t("Case references look like DIAG-2026-0001; only cases of your organisations can be found."),
    )


def _org(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no organisation “%(ref)s”.", ref=p["ref"]),
        t("`pathways org list` lists the organisations."),
    )


def _person(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no person “%(ref)s”.", ref=p["ref"]), t("`pathways person list` lists the people.")
    )


def _project(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no project “%(ref)s”.", ref=p["ref"]), t("`pathways project list` lists the projects.")
    )


def _person_here(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no person “%(ref)s”.", ref=p["ref"]),
        t("Use their id, handle or e-mail; only people of your organisations can be found."),
    )


def _project_here(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no project “%(ref)s”.", ref=p["ref"]),
        t("Use its id; only projects of your organisations can be found."),
    )


def _pathway(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no pathway “%(pathway)s”.", pathway=p["pathway"]),
        t("Known pathways: %(known)s.", known=p["known"]),
    )


def _pathway_version(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("Pathway “%(pathway)s” has no version %(version)s.", pathway=p["pathway"], version=p["version"]),
        t("Its versions: %(versions)s.", versions=p["versions"]),
    )


def _change_forbidden(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(t("Your role does not allow changing case %(ref)s.", ref=p["ref"]))


def _closed(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("The case is closed (%(result)s): no decision can be recorded.", result=p["result"]),
        t("Open a new case to support the project again."),
    )


def _not_an_outcome(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("“%(outcome)s” is not an outcome of stage “%(stage)s”.", outcome=p["outcome"], stage=p["stage"]),
        t("Choose one of: %(outcomes)s.", outcomes=p["outcomes"]),
    )


def _changed_deciding(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("Case %(ref)s was changed by someone else while you decided.", ref=p["ref"]),
        t("Read the case again (`pathways case show %(ref)s`) and decide again.", ref=p["ref"]),
    )


def _changed_closing(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("Case %(ref)s was changed by someone else while you closed it.", ref=p["ref"]),
        t(
            "Read the case again (`pathways case show %(ref)s`) and close it again if it still stands.",
            ref=p["ref"],
        ),
    )


def _message(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("There is no message %(job)s.", job=p["job"]),
        t("`pathways messages --failed` lists the messages that could not be sent."),
    )


WORDS: Final[Mapping[str, Words]] = {
    "case_not_found": _case,
    "case_not_found_here": _case_here,
    "org_not_found": _org,
    "person_not_found": _person,
    "project_not_found": _project,
    "person_not_found_here": _person_here,
    "project_not_found_here": _project_here,
    "pathway_not_found": _pathway,
    "pathway_version_not_found": _pathway_version,
    "case_change_forbidden": _change_forbidden,
    "case_closed": _closed,
    "not_an_outcome": _not_an_outcome,
    "case_changed_deciding": _changed_deciding,
    "case_changed_closing": _changed_closing,
    "message_not_found": _message,
}
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
