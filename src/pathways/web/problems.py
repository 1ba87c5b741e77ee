"""What an API error says besides its message: every refused field, and who changed a case meanwhile.

A refused decision names each field at once (``errors``: field, code, message, params), so
an integration can show them all, in its own words if it likes (``code``). A decision made on
a case that moved on (409) says who recorded what, and when (``conflict``), not only that it
failed.

The error speaks the request's ``Accept-Language`` (fr, nl; English without one, or for any
other): ``title`` says what kind of problem it is; ``detail`` and each field's ``message`` are
translated for refused fields (by their ``code``), for a case changed meanwhile, for "not found"
and for a role that does not allow the request (one answer each, whatever was asked for), and
for any other error raised with a code (web/error_texts/: a closed case, an unknown option...).
An error without one (a rule of the programme...) keeps its English ``detail``, under a
translated ``title``; a ``hint`` names commands and stays English. ``Content-Language`` says
which language the body is in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pathways.domain import fields
from pathways.domain.spec import LANGS
from pathways.errors import (
    DecidedMeanwhile,
    EditedMeanwhile,
    FieldError,
    FieldErrors,
    FieldProblem,
    Forbidden,
    InvalidInput,
    NotFound,
    PathwaysError,
    Refused,
    Unauthenticated,
)
from pathways.web import error_texts, forms
from pathways.web.cases import casework_view
from pathways.web.cases.conflictview import meanwhile_lines
from pathways.web.directory.editconflict import edited_lines
from pathways.web.i18n import Texts, texts

API_DEFAULT_LANG = "en"  # an integration that asks for no language reads English, as it always has


class FieldProblemPublic(BaseModel):
    """One refused field: `code` says why (required, date, choice, ...), `message` in English."""

    field: str
    code: str
    message: str
    hint: str | None = None
    params: dict[str, str] = Field(default_factory=dict, description="values the message names (item: line)")


class DecisionMeanwhile(BaseModel):
    """A decision recorded on the case after the version the refused one was made on."""

    by: str | None = Field(description="who recorded it (their name), if known")
    stage: str
    outcome: str
    at: datetime
    version: int = Field(description="the case's version it made")
    kind: str = Field(
        "decision", description="decision, case_assigned (stage and outcome empty) or case_migrated"
    )
    officer: str | None = Field(None, description="case_assigned: who was given the case")


class EditPublic(BaseModel):
    """An edit of the project or person saved after the version the refused change was made on."""

    by: str | None = Field(description="who saved it (their name), if known")
    at: datetime
    fields: list[str] = Field(description="the fields it changed")
    version: int = Field(description="the version it made")


class EditConflictPublic(BaseModel):
    """Why a change on `expected_version` of a project or person was refused: it is at `version` now."""

    expected_version: int
    version: int
    meanwhile: list[EditPublic]


class ConflictPublic(BaseModel):
    """Why a decision on `expected_version` was refused: the case is at `version` now."""

    expected_version: int
    version: int
    meanwhile: list[DecisionMeanwhile]


def api_language(accept_language: str | None) -> str:
    """The language of an API error: the first of ``Accept-Language`` the application speaks, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return API_DEFAULT_LANG


def problem_body(error: PathwaysError, lang: str = API_DEFAULT_LANG) -> dict[str, Any]:
    """The JSON body of an API error (:class:`pathways.web.api.schemas.Problem`), in `lang`."""
    t = texts(lang)
    problems = fields.problems_of(error) if isinstance(error, FieldError | FieldErrors) else ()
    body: dict[str, Any] = {
        "title": _title(t, error),
        "detail": error.message if lang == API_DEFAULT_LANG else _detail(t, error, problems),
        "hint": error.hint,
        "field": getattr(error, "field", None),
    }
    if problems:
        body["errors"] = [
            FieldProblemPublic(
                field=p.field, code=p.code, message=_field_text(p, lang), hint=p.hint, params=dict(p.params)
            ).model_dump(mode="json")
            for p in problems
        ]
    if isinstance(error, DecidedMeanwhile):
        body["conflict"] = ConflictPublic(
            expected_version=error.expected,
            version=error.now,
            meanwhile=[
                DecisionMeanwhile(
                    by=m.by,
                    stage=m.stage,
                    outcome=m.outcome,
                    at=m.at,
                    version=m.version,
                    kind=m.kind,
                    officer=m.officer,
                )
                for m in error.meanwhile
            ],
        ).model_dump(mode="json")
    if isinstance(error, EditedMeanwhile):
        body["edited"] = EditConflictPublic(
            expected_version=error.expected,
            version=error.now,
            meanwhile=[
                EditPublic(by=m.by, at=m.at, fields=list(m.fields), version=m.edit) for m in error.meanwhile
            ],
        ).model_dump(mode="json")
    return body


def _title(t: Texts, error: PathwaysError) -> str:
    """What kind of problem it is, in a few words (the first kind that fits, the narrowest first)."""
    kinds: tuple[tuple[type[PathwaysError] | tuple[type[PathwaysError], ...], str], ...] = (
        (DecidedMeanwhile, t("The case changed since you read it")),
        (EditedMeanwhile, t("Changed by someone else since you read it")),
        ((FieldError, FieldErrors, InvalidInput), t("Invalid input")),
        (NotFound, t("Not found")),
        (Unauthenticated, t("No valid API token")),
        (Forbidden, t("Your role does not allow this")),
        (Refused, t("Refused by the current state")),
    )
    return next(
        (title for kind, title in kinds if isinstance(error, kind)), t("The request could not be done")
    )


def _detail(t: Texts, error: PathwaysError, problems: tuple[FieldProblem, ...]) -> str:
    """The error's message in `t`'s language where it can be said in it, else as it is (English)."""
    if problems:
        return "; ".join(f"{p.field}: {_field_text(p, t.lang)}" for p in problems)
    if isinstance(error, DecidedMeanwhile):
        said = t(
            "Case %(ref)s changed since you read it (version %(expected)s, now %(now)s).",
            ref=error.ref,
            expected=error.expected,
            now=error.now,
        )
        lines = meanwhile_lines(None, None, error, t.lang, "UTC") or ()
        return " ".join([said, *lines])
    if isinstance(error, EditedMeanwhile):
        said = t(
            "Changed by someone else since you read it (version %(expected)s, now %(now)s).",
            expected=error.expected,
            now=error.now,
        )
        return " ".join([said, *(edited_lines(error, t.lang, "UTC") or ())])
    if isinstance(error, NotFound):
        return t("Not found, or in an organisation you have no role in.")
    if isinstance(error, Forbidden):
        return t("Your role in this organisation does not allow this.")
    coded = error_texts.said(error, t.lang)
    return coded.message if coded is not None else error.message


def said_in(error: PathwaysError, lang: str) -> str:
    """The error's message for the command line in `lang`: refused fields, a case changed
    meanwhile and an error with a code (web/error_texts/) in its words, anything else as it
    is (English)."""
    problems = fields.problems_of(error) if isinstance(error, FieldError | FieldErrors) else ()
    if problems or isinstance(error, DecidedMeanwhile | EditedMeanwhile):
        return _detail(texts(lang), error, problems)
    coded = error_texts.said(error, lang)
    return coded.message if coded is not None else error.message


def hint_in(error: PathwaysError, lang: str) -> str | None:
    """The error's hint for the command line in `lang`: its code's words, else as it is (English)."""
    coded = error_texts.said(error, lang)
    return coded.hint if coded is not None else error.hint


def _field_text(problem: FieldProblem, lang: str) -> str:
    """Why a field was refused, in `lang` (by its code; the English message for a code without words)."""
    if lang == API_DEFAULT_LANG:
        return problem.message
    if problem.code.startswith("work."):
        return casework_view.problem_text(problem, lang)
    return forms.problem_text(problem, lang)
