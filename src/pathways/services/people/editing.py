"""Change a project: its name, identifiers, legal form, jobs, owner and phase (one use case).

Validated as :func:`~pathways.services.people.directory.add_project` validates a new project
(SIRET and BCE checked by python-stdnum, unique in the organisation; the owner a member of
it), every problem reported at once. A SIRET or BCE number given to a project that had none
means a legal entity: an `idea` or `emergence` project becomes `founded`, unless the same
edit gives a phase (kept, and recorded as given despite the identifier, as when adding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update

from pathways.domain import identifiers, lifecycle
from pathways.domain.spec import Phase
from pathways.errors import FieldError, NotFound, Refused
from pathways.services.people import edit_checks as checks
from pathways.services.people import edit_version
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.directory import find_view, parse_phase, refuse_twin
from pathways.services.people.views import PersonView, ProjectView
from pathways.services.tx import Tx, write
from pathways.store.core import MEMBER, ORG, PERSON, PROJECT

if TYPE_CHECKING:
    from datetime import datetime

    from pathways.bootstrap import App

__all__ = ["ProjectUpdate", "ProjectUpdated", "update_project"]

# Not personal data: written in the audit chain as they are. The name stays out: a project
# may be named after its owner (see pathways.services.people.scrub).
PUBLIC: Final = frozenset(
    {"siret", "siren", "bce", "legal_form", "permanent_jobs", "fixed_term_jobs", "owner_id", "phase"}
)
FOUNDED_AT: Final = lifecycle.ORDER.index(Phase.FOUNDED)


@dataclass(frozen=True, slots=True)
class ProjectUpdate:
    """What to change in a project; None leaves a field as it is, "" clears it.

    `owner`: a person of the project's organisation (id, handle, e-mail or name), "" for none.
    `phase`: given explicitly; without it a new SIRET or BCE number makes the project founded.
    """

    project: str | int
    name: str | None = None
    siret: str | None = None
    bce: str | None = None
    legal_form: str | None = None
    permanent_jobs: int | str | None = None  # a form's text is checked as a whole number
    fixed_term_jobs: int | str | None = None
    owner: str | int | None = None
    phase: str | None = None
    expected_version: int | None = None  # the version the form showed; None: no check (CLI, API)


@dataclass(frozen=True, slots=True)
class ProjectUpdated:
    """What an update changed (nothing when `changed` is empty)."""

    project_id: int
    organisation_id: int
    changed: tuple[str, ...]
    phase: str
    phase_from: str | None  # identifier | given | given_despite_identifier, when the phase moved
    edit_id: int | None
    version: int  # the project's version now (:mod:`pathways.services.people.edit_version`)


def update_project(
    app: App, command: ProjectUpdate, *, by: Principal | None, at: datetime | None = None
) -> ProjectUpdated:
    """Apply `command` in one transaction, as `by` (None: the operator, every organisation).

    A project outside `by`'s organisations gets the NotFound an unknown one gets; one `by` may
    only read is Forbidden. Every invalid field is named in one FieldErrors; nothing is written then.
    With an `expected_version`, a project edited since is refused (EditedMeanwhile, naming the edits).
    """
    with write(app, actor_id=by.person_id if by is not None else None, at=at) as tx:
        return apply(tx, command, by=by)


def apply(tx: Tx, command: ProjectUpdate, *, by: Principal | None) -> ProjectUpdated:
    """:func:`update_project` within the caller's transaction."""
    visible = PROJECT.c.organisation_id.in_(sorted(by.orgs(Permission.READ))) if by is not None else None
    row = checks.find_scoped(tx.conn, PROJECT, command.project, "project", ("name",), visible, ProjectView.of)
    org_id = row.organisation_id
    checks.may_write(by, org_id, f"project '{command.project}'")
    edit_version.require(tx.conn, "project", row.id, command.expected_version)
    problems = checks.Problems()
    after = _validated(tx, command, row, problems)
    problems.raise_any()
    phase_from = _phase(command, row, after, problems)
    problems.raise_any()
    changes = checks.changes_of(row, after)
    if not changes:
        version = edit_version.version_of(tx.conn, "project", row.id)
        return ProjectUpdated(row.id, org_id, (), row.phase, None, None, version)
    tx.conn.execute(update(PROJECT).where(PROJECT.c.id == row.id).values(**after))
    edit_id = checks.record_edit(
        tx,
        kind="project_updated",
        subject=("project", row.id),
        org_id=org_id,
        chains=(org_id,),
        changes=changes,
        public=PUBLIC,
    )
    if "phase" in changes:
        # The funnel and the phase history read phase_changed events, whatever moved the phase.
        tx.audit(
            organisation_id=org_id,
            kind="phase_changed",
            payload={"project": row.id, "from": row.phase, "to": after["phase"], "source": phase_from},
        )
    return ProjectUpdated(
        row.id, org_id, tuple(sorted(changes)), after.get("phase", row.phase), phase_from, edit_id, edit_id
    )


def _validated(tx: Tx, command: ProjectUpdate, row: ProjectView, problems: checks.Problems) -> dict[str, Any]:
    """The columns the command sets, each checked; problems noted for the others."""
    after: dict[str, Any] = {}
    if command.name is not None and (name := checks.check_name(problems, command.name)) is not None:
        after["name"] = name
    _identifiers(tx, command, row, problems, after)
    if command.legal_form is not None:
        form = checks.clean_text(
            problems, "legal_form", command.legal_form, max_length=checks.LEGAL_FORM_MAX, required=False
        )
        if not problems.has("legal_form"):
            after["legal_form"] = form
    for column in ("permanent_jobs", "fixed_term_jobs"):
        count = getattr(command, column)
        if count is not None and (jobs := checks.check_jobs(problems, column, count)) is not None:
            after[column] = jobs
    if command.owner is not None:
        owner = _owner(tx, command.owner, row.organisation_id, problems)
        if not problems.has("owner"):
            after["owner_id"] = owner
    return after


def _identifiers(
    tx: Tx, command: ProjectUpdate, row: ProjectView, problems: checks.Problems, after: dict[str, Any]
) -> None:
    """The SIRET (and its SIREN) and BCE number the command sets, checked and unique in the organisation."""
    for column in ("siret", "bce"):
        given = getattr(command, column)
        if given is None:
            continue
        number = checks.check_identifier(problems, column, given)
        if problems.has(column):
            continue
        if number is not None and number != getattr(row, column):
            # Adds to the organisation wait meanwhile, so the twin check stays true when written.
            tx.conn.execute(
                select(ORG.c.id).where(ORG.c.id == row.organisation_id).with_for_update(key_share=True)
            )
            try:  # one legal entity, one project in an organisation: as when adding
                refuse_twin(
                    tx.conn,
                    row.organisation_id,
                    column,
                    number,
                    "SIRET" if column == "siret" else "BCE number",
                )
            except FieldError as twin:
                problems.add(column, "identifier_taken", twin.message, hint=twin.hint)
                continue
        after[column] = number
        if column == "siret":
            after["siren"] = identifiers.siren_of(number) if number else None


def _owner(tx: Tx, ref: str | int, org_id: int, problems: checks.Problems) -> int | None:
    """The id of the person `ref` among the organisation's members (not erased); None for ""."""
    if isinstance(ref, str) and not ref.strip():
        return None
    members = select(MEMBER.c.person_id).where(MEMBER.c.organisation_id == org_id)
    scope = PERSON.c.id.in_(members) & PERSON.c.erased_at.is_(None)
    try:
        person = find_view(
            tx.conn, PERSON, ref, "person", ("handle", "email", "name"), PersonView.of, scope=scope
        )
    except NotFound:
        problems.add(
            "owner",
            "owner",
            f"no person '{str(ref).strip()}' in this project's organisation",
            hint="add them to the organisation first (`pathways person add ... --role owner`)",
            ref=str(ref).strip()[:80],
        )
        return None
    except Refused as ambiguous:
        problems.add("owner", "owner_ambiguous", ambiguous.message, hint=ambiguous.hint)
        return None
    return person.id


def _phase(
    command: ProjectUpdate, row: ProjectView, after: dict[str, Any], problems: checks.Problems
) -> str | None:
    """Set the phase in `after` when it moves; where it came from (the `source` of phase_changed)."""
    given: Phase | None = None
    if command.phase is not None:
        try:
            given = parse_phase(command.phase)
        except FieldError as wrong:
            problems.add("phase", "choice", wrong.message, hint=wrong.hint)
            return None
    identified_before = bool(row.siret or row.bce)
    identified_after = bool(after.get("siret", row.siret) or after.get("bce", row.bce))
    current = Phase(row.phase)
    if given is not None:
        if given is current:
            return None
        after["phase"] = given.value
        despite = identified_after and lifecycle.ORDER.index(given) < FOUNDED_AT
        return "given_despite_identifier" if despite else "given"
    if identified_after and not identified_before:
        reached = lifecycle.advance(current, Phase.FOUNDED)
        if reached is not None:
            after["phase"] = reached.value
            return "identifier"
    return None
