"""The exceptions pathways raises, rooted at :class:`PathwaysError`.

Every error carries enough context for the person who caused it to act on it
(the file and line, the case and stage, the field). Entry points map the
branches to exit codes and HTTP statuses::

    PathwaysError
    ├── InvalidInput                 exit 2, HTTP 422: the request itself is wrong
    │   ├── DefinitionError          a pathway file is refused (file, line, what to change)
    │   ├── FieldError               a decision's field value is missing or invalid (field)
    │   ├── InvalidIdentifier        SIREN / SIRET / BCE check failed
    │   └── InvalidTerritory         unknown territory code
    ├── NotFound                     exit 3, HTTP 404: a case, person, project, pathway...
    └── Refused                      exit 4, HTTP 409: valid input the current state refuses
        ├── TransitionNotAllowed     outcome not offered at this stage, case closed...
        ├── RuleViolation            a programme rule refuses the decision (rule named)
        └── Conflict                 someone else changed the case first (optimistic lock)
"""

from __future__ import annotations


class PathwaysError(Exception):
    """Root of every error pathways raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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
    """A field value is missing or invalid; names the field."""

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        self.field = field
        super().__init__(f"field '{field}': {message}", hint=hint)


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
        super().__init__(f"rule '{rule}': {message}", hint=hint)


class Conflict(Refused):
    """The case changed since it was read; reload and decide again."""
