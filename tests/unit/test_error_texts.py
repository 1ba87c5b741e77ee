"""Errors with a code are said in the reader's language (web/error_texts/); English stays as it was.

Every code raised in ``src/`` (``code="..."`` on an error other than a refused field, whose
codes are the pages' field catalogue) has words in French and Dutch, and its words name exactly
the values it is raised with (``params``): found by reading the sources, so a new code without
words, or words naming a value its raiser does not give, fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from pathways import errors
from pathways.domain.programme import CHECKS
from pathways.errors import FieldError, Forbidden, NotFound, PathwaysError, Refused, RuleViolation
from pathways.services.casework import lookup, scoped
from pathways.services.people import permits
from pathways.web import error_texts
from pathways.web.i18n import group_labels, texts
from pathways.web.problems import hint_in, problem_body, said_in

SOURCES = Path(__file__).resolve().parents[2] / "src" / "pathways"
# The errors whose `code` names words here: every PathwaysError but a refused field's.
CODED = {
    name
    for name, kind in vars(errors).items()
    if isinstance(kind, type) and issubclass(kind, PathwaysError) and not issubclass(kind, FieldError)
} - {"FieldErrors"}


# What the variable of a code written as an f-string stands for (code=f"{kind}_not_found_here").
KINDS = {"kind": ("organisation", "person", "project"), "what": ("org", "person", "project")}


@dataclass(frozen=True)
class Raised:
    """One error raised with a code in src/: where, its code (each one, for an f-string), its values."""

    where: str
    codes: tuple[str, ...]
    params: frozenset[str]


def _codes(node: ast.expr, where: str) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    assert isinstance(node, ast.JoinedStr), f"{where}: the code is not written literally"
    codes = [""]
    for part in node.values:
        if isinstance(part, ast.Constant):
            codes = [code + str(part.value) for code in codes]
            continue
        assert isinstance(part, ast.FormattedValue), where
        assert isinstance(part.value, ast.Name), f"{where}: a code's variable part is one name"
        assert part.value.id in KINDS, f"{where}: say in KINDS what {{{part.value.id}}} stands for"
        codes = [code + kind for code in codes for kind in KINDS[part.value.id]]
    return tuple(codes)


def _in_errors(path: Path, name: str, code: ast.expr) -> bool:
    """A class of pathways/errors.py giving its own code (``super().__init__(..., code="...")``)."""
    return path == SOURCES / "errors.py" and name == "__init__" and isinstance(code, ast.Constant)


def raised_with_codes() -> Iterator[Raised]:
    """Every call of a coded error class in src/ that gives a `code` (web/error_texts itself aside)."""
    for path in sorted(SOURCES.rglob("*.py")):
        if "error_texts" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if "code" not in keywords or not (name in CODED or _in_errors(path, name, keywords["code"])):
                continue
            where = f"{path.relative_to(SOURCES)}:{node.lineno}"
            params = keywords.get("params")
            assert params is None or (
                isinstance(params, ast.Dict)
                and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in params.keys)
            ), f"{where}: params is not a dict literal with literal keys"
            names = (
                [k.value for k in params.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                if params
                else []
            )
            yield Raised(where, _codes(keywords["code"], where), frozenset(names))


# A value the words can say (a rule has a sentence); any other value is its name in brackets.
SAMPLES = {"rule": "diagnosis_eligibility"}


def sample(name: str) -> str:
    return SAMPLES.get(name, f"<{name}>")


class Given(Mapping[str, str]):
    """An error's values as its raiser gives them; records which ones its words read."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        if name not in self.names:
            raise KeyError(name)
        self.read.add(name)
        return sample(name)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.names))

    def __len__(self) -> int:
        return len(self.names)


RAISED = tuple(raised_with_codes())


def test_the_sources_are_read_for_codes() -> None:
    codes = {code for r in RAISED for code in r.codes}
    assert {"case_not_found", "territory_unknown", "lang_unsupported", "link_expired"} <= codes
    assert len(RAISED) > 100


@pytest.mark.parametrize("raised", RAISED, ids=lambda r: r.where)
@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_code_raised_has_words_naming_exactly_its_values(raised: Raised, lang: str) -> None:
    for code in raised.codes:
        assert code in error_texts.WORDS, f"{raised.where}: no words for code {code!r} (web/error_texts/)"
        given = Given(raised.params)
        try:
            error_texts.WORDS[code](texts(lang), given)
        except KeyError as missing:
            pytest.fail(f"{raised.where}: the words of {code} name {missing}, not given in params")
        assert given.read == raised.params, (
            f"{raised.where}: {code} says none of {raised.params - given.read}"
        )


def test_every_code_with_words_is_raised_somewhere() -> None:
    unused = [code for code in error_texts.WORDS if not any(code in r.codes for r in RAISED)]
    assert unused == []


@pytest.mark.parametrize("code", sorted(error_texts.WORDS))
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_code_is_said_in_french_and_dutch_naming_its_values(code: str, lang: str) -> None:
    values = next(r.params for r in RAISED if code in r.codes)
    params = {name: sample(name) for name in values}
    error = NotFound("english text", hint="english hint", code=code, params=params)
    said = error_texts.said(error, lang)
    assert said is not None
    assert said.message != error.message
    assert said.hint != "english hint"
    english = error_texts.WORDS[code](texts("en"), params)
    assert said.message != english.message  # translated, not the catalogue's English
    assert (said.hint is None) == (english.hint is None)
    assert said.hint is None or said.hint != english.hint
    for value in params.values():  # every value the English names, the translation names too
        assert (value in english.message) == (value in said.message), (value, said.message)
        assert (value in (english.hint or "")) == (value in (said.hint or "")), (value, said.hint)


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
    person = permits.absent("person", 12)
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


def test_the_api_says_a_coded_refusal_in_the_requests_language_but_not_found_stays_one_answer() -> None:
    closed = Refused("case X-1 is closed", code="case_is_closed", params={"ref": "X-1"})
    assert problem_body(closed, "fr")["detail"] == "Le dossier X-1 est clôturé."
    assert problem_body(closed, "nl")["detail"] == "Dossier X-1 is afgesloten."
    assert problem_body(closed)["detail"] == "case X-1 is closed"  # no Accept-Language: English
    missing = lookup.no_case("NOPE-2026-0001")  # the same answer as for another organisation's case
    assert (
        problem_body(missing, "fr")["detail"]
        == "Introuvable, ou dans une structure où vous n'avez pas de rôle."
    )


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_every_programme_rule_refusal_is_said_in_french_and_dutch_with_its_english_details(rule: str) -> None:
    error = RuleViolation(rule, "no resource person recorded", hint="record resource_person at matching")
    assert error.message == f"rule '{rule}': no resource person recorded"  # English as it has always read
    for lang in ("fr", "nl"):
        assert said_in(error, lang) == group_labels(lang)["rule"][rule]
        assert "no resource person recorded (record resource_person at matching)" in (
            hint_in(error, lang) or ""
        )
    assert said_in(RuleViolation("no_such_rule", "refused"), "fr") == "rule 'no_such_rule': refused"
