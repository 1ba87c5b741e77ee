"""Errors with a code are said in the reader's language (web/error_texts.py); English stays as it was."""

from __future__ import annotations

import pytest

from pathways.errors import FieldError, Forbidden, NotFound, PathwaysError
from pathways.services.casework import lookup, scoped
from pathways.services.people import edit_checks
from pathways.web import error_texts
from pathways.web.i18n import texts
from pathways.web.problems import hint_in, said_in

# A value for every parameter the codes use, each recognisable in the text said.
VALUES = {
    "ref": "NOPE-2026-0001",
    "pathway": "nowhere",
    "known": "diagnosis, ongoing_support",
    "version": "7",
    "versions": "1, 2",
    "result": "abandoned",
    "outcome": "maybe",
    "stage": "intake",
    "outcomes": "relevant, not_relevant",
    "job": "42",
}


@pytest.mark.parametrize("code", sorted(error_texts.WORDS))
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_code_is_said_in_french_and_dutch_naming_its_values(code: str, lang: str) -> None:
    error = NotFound("english text", hint="english hint", code=code, params=VALUES)
    said = error_texts.said(error, lang)
    assert said is not None
    assert said.message != error.message
    assert said.hint != "english hint"
    english = error_texts.WORDS[code](texts("en"), VALUES)
    assert said.message != english.message  # translated, not the catalogue's English
    for value in VALUES.values():  # every value the English names, the translation names too
        assert (value in english.message) == (value in said.message), (value, said.message)


def test_a_case_not_found_names_the_case_and_what_to_do_in_each_language() -> None:
    error = lookup.no_case("NOPE-2026-0001")
    assert (said_in(error, "en"), hint_in(error, "en")) == (error.message, error.hint)
    assert error.message == "no case 'NOPE-2026-0001'"  # English as it has always read
    assert said_in(error, "fr") == "Il n'y a pas de dossier « NOPE-2026-0001 »."
    assert "`pathways due`" in (hint_in(error, "fr") or "")
    assert said_in(error, "nl") == "Er is geen dossier ‘NOPE-2026-0001’."
    assert "DIAG-2026-0001" in (hint_in(error, "nl") or "")


def test_the_scoped_answers_carry_their_codes() -> None:
    case = scoped.absent(" X-1 ")
    assert (case.code, dict(case.params)) == ("case_not_found_here", {"ref": "X-1"})
    assert "X-1" in said_in(case, "fr")
    person = edit_checks.absent("person", 12)
    assert (person.code, dict(person.params)) == ("person_not_found_here", {"ref": "12"})
    assert said_in(person, "nl") == "Er is geen persoon ‘12’."


def test_without_words_or_a_value_the_english_is_said() -> None:
    bare = Forbidden("your role does not allow this", hint="ask a manager")
    assert (said_in(bare, "fr"), hint_in(bare, "fr")) == ("your role does not allow this", "ask a manager")
    unknown = NotFound("no thing 'x'", code="thing_not_found", params={"ref": "x"})
    assert said_in(unknown, "nl") == "no thing 'x'"
    lacking = NotFound("no case 'x'", hint="h", code="case_not_found")  # raised without its ref
    assert (said_in(lacking, "fr"), hint_in(lacking, "fr")) == ("no case 'x'", "h")


def test_a_code_without_a_hint_says_none_rather_than_the_english_one() -> None:
    error = Forbidden(
        "your role does not allow changing case X", code="case_change_forbidden", params={"ref": "X"}
    )
    assert said_in(error, "fr") == "Votre rôle ne permet pas de modifier le dossier X."
    assert hint_in(error, "fr") is None


def test_field_errors_keep_their_own_codes_and_params() -> None:
    error = FieldError("met_on", "not a date", code="date", params={"value": "2026-13-40"})
    assert (error.code, dict(error.params)) == ("date", {"value": "2026-13-40"})
    assert error.problem.code == "date"
    assert isinstance(error, PathwaysError)
    assert PathwaysError("plain").code is None
