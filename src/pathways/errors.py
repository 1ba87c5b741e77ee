"""The exceptions pathways raises, rooted at :class:`PathwaysError`; every one is defined here.

Every error carries enough context for the person who caused it to act on it
(the file and line, the case and stage, the field). Entry points map the
branches to exit codes and HTTP statuses::

    PathwaysError                    exit 1, HTTP 500
    ├── InvalidInput                 exit 2, HTTP 422: the request itself is wrong
    │   ├── DefinitionError          a pathway file is refused (file, line, what to change)
    │   ├── FieldError               a decision's field value is missing or invalid (field)
    │   ├── FieldErrors              several fields refused at once (each FieldProblem)
    │   ├── InvalidIdentifier        SIREN / SIRET / BCE check failed
    │   ├── InvalidTerritory         unknown territory code
    │   └── ImportRefused            rows of a CSV import are invalid (every line and column)
    ├── NotFound                     exit 3, HTTP 404: a case, person, project, pathway...
    ├── Refused                      exit 4, HTTP 409: valid input the current state refuses
    │   ├── TransitionNotAllowed     outcome not offered at this stage, case closed...
    │   ├── RuleViolation            a programme rule refuses the decision (rule named)
    │   ├── Conflict                 someone else changed the case first (optimistic lock)
    │   │   ├── DecidedMeanwhile     ...naming the decisions recorded since the version seen
    │   │   └── EditedMeanwhile      ...a project or person: who changed which fields, when
    │   ├── Forbidden                HTTP 403: the role does not allow the action
    │   ├── TooManyAttempts          HTTP 429: too many failed logins (retry after)
    │   └── LinkExpired              HTTP 410: a project owner's link is too old
    ├── Unauthenticated              exit 5, HTTP 401: no valid session or token
    ├── Unavailable                  HTTP 503: the database cannot be reached now; retry
    └── RenderError                  a message template is missing, broken or refused
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

_SHOWN: Final = 50  # problems an ImportRefused spells out (all of them are in `problems`)


class PathwaysError(Exception):
    """Root of every error pathways raises on purpose.

    `message` and `hint` are English. `code` (``case_not_found``) names the error's words in the
    readers' catalogues, with `params` their values (``{"ref": "DIAG-2026-0001"}``), so that the
    command line says it in ``PATHWAYS_LANG`` (pathways.web.error_texts); without a code, or
    for a code without words, the English is said.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code
        self.params: Mapping[str, str] = {key: str(value) for key, value in (params or {}).items()}

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidInput(PathwaysError):
    """The request is malformed: fix the input and try again."""

    exit_code = 2


class DefinitionError(InvalidInput):
    """A pathway definition is refused; names the file and line."""

    def __init__(self, message: str, *, file: str, line: int | None = None, hint: str | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}", hint=hint)


class FieldError(InvalidInput):
    """A field value is missing or invalid; names the field.

    `code` and `params` say why in words a page translates (:attr:`problem`); `message` is English.
    """

    code: str  # always set: "invalid" when the raiser names no better reason

    def __init__(
        self,
        field: str,
        message: str,
        *,
        hint: str | None = None,
        code: str = "invalid",
        params: Mapping[str, str] | None = None,
    ) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"field '{field}': {message}", hint=hint, code=code, params=params)

    @property
    def problem(self) -> FieldProblem:
        """This error as one :class:`FieldProblem` (a list item's is about its list: ``params["item"]``)."""
        name, _, rest = self.field.partition("[")
        params = dict(self.params)
        if rest.rstrip("]").isdigit():
            params.setdefault("item", str(int(rest.rstrip("]")) + 1))
        return FieldProblem(name, self.code or "invalid", self.reason, self.hint, params)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """Why one field is refused: `message` (English) for the CLI and the API, `code` and
    `params` for the pages to say it in the reader's language (a key of their catalogue)."""

    field: str
    code: str
    message: str
    hint: str | None = None
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)


class FieldErrors(InvalidInput):
    """Several fields refused at once, each named (:class:`FieldProblem`); nothing was written.

    ``field`` is the first one's, as a :class:`FieldError` has it.
    """

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        self.field = self.problems[0].field if self.problems else None
        lines = "\n".join(
            f"  {p.field}: {p.message}" + (f" ({p.hint})" if p.hint else "") for p in self.problems
        )
        count = len(self.problems)
        super().__init__(f"{count} field{'s' if count != 1 else ''} refused, nothing was changed:\n{lines}")


class InvalidIdentifier(InvalidInput):
    """A SIREN, SIRET or BCE/KBO number fails its format or check digits."""


class InvalidTerritory(InvalidInput):
    """A territory code that no calendar knows."""


class Unavailable(PathwaysError):
    """Something the command needs (the database) cannot be reached now: try again shortly.

    Nothing was written. The web answers 503 with a Retry-After header.
    """


class NotFound(PathwaysError):
    """The thing named does not exist (or is not visible to the caller)."""

    exit_code = 3


class Refused(PathwaysError):
    """The input is valid but the current state does not allow it."""

    exit_code = 4


class TransitionNotAllowed(Refused):
    """The outcome is not offered at the case's current stage, or the case is closed."""


class RuleViolation(Refused):
    """A programme rule refuses the decision."""

    def __init__(self, rule: str, message: str, *, hint: str | None = None) -> None:
        self.rule = rule
        super().__init__(
            f"rule '{rule}': {message}",
            hint=hint,
            code="rule_refused",  # said as the rule's sentence, the details as they are (English)
            params={"rule": rule, "detail": f"{message} ({hint})" if hint else message},
        )


class Conflict(Refused):
    """The case changed since it was read; reload and decide again."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one line of an import file cannot be imported (the file's own line number)."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}" + (f", {self.column}" if self.column else "") + f": {self.reason}"


class ImportRefused(InvalidInput):
    """Some rows (or the header) are invalid: nothing was imported. `problems` lists every one.

    `columns` (the header was refused) names the accepted columns, ``*`` after a required one.
    """

    def __init__(
        self, what: str, problems: Sequence[RowProblem], *, rows: int, columns: Sequence[str] = ()
    ) -> None:
        self.problems = tuple(problems)
        self.lines = sorted({p.line for p in self.problems})
        shown = "\n".join(f"  {p}" for p in self.problems[:_SHOWN])
        more = f"\n  ... and {len(self.problems) - _SHOWN} more" if len(self.problems) > _SHOWN else ""
        if columns:
            message = f"the header line is refused; nothing was imported:\n{shown}"
            hint = f"columns (* required): {', '.join(columns)}; see docs/IMPORT.md"
        else:
            message = (
                f"{len(self.lines)} of {rows} {what} rows are invalid (lines {_ranges(self.lines)}); "
                f"nothing was imported:\n{shown}{more}"
            )
            hint = "fix these lines, or import the other rows with --skip-invalid"
        super().__init__(message, hint=hint)


def _ranges(lines: Sequence[int]) -> str:
    shown = ", ".join(map(str, lines[:20]))
    return shown + (f" and {len(lines) - 20} more" if len(lines) > 20 else "")


@dataclass(frozen=True, slots=True)
class Meanwhile:
    """A decision recorded on a case after someone read it: who, what, when."""

    seq: int  # its audit event, in the organisation's chain
    by: str | None
    stage: str
    outcome: str
    at: datetime
    version: int  # the case's version it made
    kind: str = "decision"  # or case_assigned (stage and outcome empty), case_migrated
    officer: str | None = None  # case_assigned: who was given the case

    def __str__(self) -> str:
        by, at = self.by or "someone", f"{self.at:%Y-%m-%d %H:%M} UTC"
        if self.kind == "case_assigned":
            return f"{by} gave the case to {self.officer or 'someone'} on {at}"
        if self.kind == "case_migrated":
            return f"{by} moved the case to a new version of its pathway on {at}"
        return f"{by} recorded '{self.outcome}' at {self.stage} on {at}"


class DecidedMeanwhile(Conflict):
    """The case moved on from the version a form or command was made on; names each change since."""

    def __init__(self, ref: str, *, expected: int, now: int, meanwhile: tuple[Meanwhile, ...]) -> None:
        self.ref = ref
        self.expected = expected
        self.now = now
        self.meanwhile = meanwhile
        who = "; ".join(str(m) for m in meanwhile)
        super().__init__(
            f"case {ref} changed since you read it (version {expected}, now {now})"
            + (f": {who}" if who else ""),
            hint=f"read the case again (`pathways case show {ref}`, GET /api/v1/cases/{ref}) and, if your "
            f"decision still stands, send it with expected version {now}",
        )


@dataclass(frozen=True, slots=True)
class EditMeanwhile:
    """An edit of a project or person recorded after someone read it: who, when, which fields."""

    edit: int  # its directory_edit row: the version it made
    by: str | None
    at: datetime
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.by or 'someone'} changed {', '.join(self.fields)} on {self.at:%Y-%m-%d %H:%M} UTC"


class EditedMeanwhile(Conflict):
    """A project or person was edited since the version a form or command was made on; names each edit."""

    def __init__(
        self, what: str, subject_id: int, *, expected: int, now: int, meanwhile: tuple[EditMeanwhile, ...]
    ) -> None:
        self.what = what  # project | person
        self.subject_id = subject_id
        self.expected = expected
        self.now = now
        self.meanwhile = meanwhile
        who = "; ".join(str(m) for m in meanwhile)
        super().__init__(
            f"{what} {subject_id} changed since you read it (version {expected}, now {now})"
            + (f": {who}" if who else ""),
            hint=f"read the {what} again (GET /api/v1/{'projects' if what == 'project' else 'people'}/"
            f"{subject_id}) and, if your change still stands, send it with expected version {now}",
        )


class Forbidden(Refused):
    """The account sees this organisation but its role does not allow the action (HTTP 403)."""


class TooManyAttempts(Refused):
    """Too many failed logins for this account, or from this address (HTTP 429, ``Retry-After``)."""

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: int, per_address: bool = False
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after  # seconds until an attempt is counted again
        self.per_address = per_address  # the address's cap, not one account's


class LinkExpired(Refused):
    """A project owner's link is past its expiry (HTTP 410)."""


class Unauthenticated(PathwaysError):
    """No valid session or token (HTTP 401)."""

    exit_code = 5


class RenderError(PathwaysError):
    """A template is missing, malformed, or uses a variable the message does not have."""
