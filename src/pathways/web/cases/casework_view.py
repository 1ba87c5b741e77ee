"""What the case page shows of the work on a case that decides nothing (templates ``_case_*.html``).

The next reminder and escalation, the linked cases (parent, hand-offs, children), the
attachments, and the forms to add a note or a file and to reassign the case, with what was
typed and each refused field's message (in the page's language) when a form comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from babel.numbers import format_decimal
from sqlalchemy import Connection

from pathways.bootstrap import App
from pathways.errors import FieldProblem
from pathways.services.casework import assign, attachments, filetype, notes, related
from pathways.services.casework.views import CaseView
from pathways.services.people.accounts import Permission, Principal
from pathways.web.i18n import texts

__all__ = ["CaseWork", "WorkForm", "case_work", "problem_text"]

ACCEPT: Final = ",".join(f".{ext}" for ext in filetype.ACCEPTED_EXTENSIONS)
DONE: Final = frozenset({"note", "meeting", "attachment", "assigned"})


@dataclass(frozen=True, slots=True)
class WorkForm:
    """A form of the case page sent back: which one, what was typed, each refused field's message."""

    name: str  # note | attachment | assign
    entered: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = None  # a refusal that is about no field (the case closed meanwhile...)
    meanwhile: tuple[str, ...] = ()  # the case changed since the form was shown: each change, in words


@dataclass(frozen=True, slots=True)
class CaseWork:
    """Everything the ``_case_links.html`` and ``_case_work.html`` partials show."""

    around: related.Around
    attachments: tuple[attachments.AttachmentInfo, ...]
    candidates: tuple[assign.Candidate, ...]
    can_write: bool
    can_assign: bool
    max_mb: str
    accept: str
    kinds: tuple[str, ...]
    form: WorkForm | None
    done: str | None  # what was just recorded: note, meeting, attachment, assigned


def case_work(
    app: App,
    conn: Connection,
    user: Principal,
    case: CaseView,
    *,
    lang: str,
    form: WorkForm | None = None,
    done: str | None = None,
) -> CaseWork:
    """The partials' context for `case` (one the user may read), read on `conn`."""
    # Notes and files are welcome on a closed case too (a follow-up call); its officer no longer changes.
    can_write = user.can(Permission.WRITE, case.organisation_id)
    can_assign = can_write and case.status == "open" and assign.may_reassign(user, case)
    people = tuple(assign.candidates(conn, user, case)) if can_assign else ()
    return CaseWork(
        around=related.around(conn, app.catalog, case, lang=lang),
        attachments=tuple(attachments.attachments_of(conn, case.id)),
        candidates=people,
        can_write=can_write,
        can_assign=can_assign,
        max_mb=megabytes(app.settings.max_attachment_bytes, lang),
        accept=ACCEPT,
        kinds=notes.KINDS,
        form=form,
        done=done if done in DONE else None,
    )


def N_(text: str) -> str:  # noqa: N802  gettext's name for "mark for extraction, translate later"
    """`text` itself: marks it for ``pybabel extract`` (babel.cfg), translated where it is shown."""
    return text


# Each refusal code of the case-work use cases, in the reader's words (%(...)s: its params).
_SAID: Final[Mapping[str, str]] = {
    "work.error.text_required": N_("Write the note."),
    "work.error.too_long": N_("Too long: at most %(max)s characters."),
    "work.error.control": N_("The text holds characters that cannot be shown."),
    "work.error.kind_unknown": N_("Choose a note or a meeting report."),
    "work.error.date": N_("Give the day as YYYY-MM-DD."),
    "work.error.date_future": N_("The day cannot be after today."),
    "work.error.too_large": N_("%(name)s is larger than %(limit)s MB."),
    "work.error.empty": N_("%(name)s is empty."),
    "work.error.kind": N_(
        "%(name)s is not a file accepted here (PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX or plain text)."
    ),
    "work.error.extension": N_("%(name)s holds a %(kind)s file: its name must end with .%(ext)s."),
    "work.error.file_required": N_("Choose a file."),
    "work.error.officer_required": N_("Choose who takes the case."),
    "work.error.no_officer": N_("Choose an officer or a manager of the case's organisation."),
    "work.error.not_staff": N_("Choose an officer or a manager of the case's organisation."),
    "work.error.same_officer": N_("%(who)s is already in charge of this case."),
}
_PARAMS: Final = dict.fromkeys(("max", "name", "limit", "limit_bytes", "kind", "ext", "who"), "")


def megabytes(size: int | str, lang: str) -> str:
    """A size in MB in the reader's locale, to two decimals at most ("10", "0,06")."""
    return str(format_decimal(int(size) / (1024 * 1024), "#,##0.##", locale=lang))


def problem_text(problem: FieldProblem, lang: str) -> str:
    """Why a field of these forms was refused, in `lang` (the English message for another code)."""
    text = _SAID.get(problem.code)
    if text is None:
        return problem.message
    params = _PARAMS | dict(problem.params)
    if problem.params.get("limit_bytes", "").isdigit():
        params["limit"] = megabytes(problem.params["limit_bytes"], lang)
    return texts(lang)(text, **params)


def errors_by_field(problems: Iterable[FieldProblem], lang: str) -> dict[str, str]:
    """One message a field (the first), in `lang`."""
    said: dict[str, str] = {}
    for problem in problems:
        said.setdefault(problem.field, problem_text(problem, lang))
    return said
