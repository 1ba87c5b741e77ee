"""Add an organisation, a person or a project: use cases that each open their own transaction.

The entry points (pages, API, CLI) call them with a typed command and who asks: ``by``, an
account, or None for the operator at the command line, who sees every organisation and is
answered with the directory's own messages. An account adds to the organisations where its role
allows writing; one it has no role in is not found, exactly as an unknown one is (same message,
same hint), so ids and names of other organisations cannot be probed. A project's owner must be a
person of the project's organisation, and a person is added only with a role the account may give.
An account hears of every refused field of a new person or project at once (FieldErrors), checked
by :mod:`~pathways.services.people.edit_checks` as an edit's are, so that a form says them all.

The rows and their audit events (``organisation_added``, ``person_added``, ``person_role_added``,
``project_added``) are written by :mod:`pathways.services.people.directory`, in the use case's
transaction; each returns the view of what it added. Nothing follows the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection

from pathways.domain.extra_holidays import ExtraHoliday
from pathways.errors import FieldError, Forbidden, NotFound
from pathways.services.people import among, directory, permits
from pathways.services.people import edit_checks as checks
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.views import OrgView, PersonView, ProjectView
from pathways.services.tx import write

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["AddOrg", "AddPerson", "AddProject", "add_org", "add_person", "add_project"]


@dataclass(frozen=True, slots=True)
class AddOrg:
    """A new support organisation on `territory` (FR-75, BE-WAL...), with the days off it adds to
    its public holidays; `timezone` defaults to the territory's country's."""

    name: str
    territory: str
    timezone: str | None = None
    language: str = "fr"
    extra_holidays: tuple[ExtraHoliday, ...] = ()


@dataclass(frozen=True, slots=True)
class AddPerson:
    """A new person with `role` in organisation `org` (id, slug or name).

    `existing` (the operator only): give that role to the person who has `email`, wherever they
    are a member, instead of adding a new person.
    """

    name: str
    org: str | int
    role: str
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    channels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    existing: bool = False


@dataclass(frozen=True, slots=True)
class AddProject:
    """A new project of organisation `org` (id, slug or name), led by `owner` (a person of it).

    Without a `phase`, a project with a SIRET or BCE number is founded, else an idea.
    """

    name: str
    org: str | int
    owner: str | int | None = None
    siret: str | None = None
    bce: str | None = None
    territory: str | None = None
    phase: str | None = None
    legal_form: str | None = None
    permanent_jobs: int | str = 0  # a form's text is checked as a whole number
    fixed_term_jobs: int | str = 0


def add_org(app: App, command: AddOrg, *, by: Principal | None) -> OrgView:
    """Add a support organisation: the operator's, at the command line (an account is refused)."""
    if by is not None:
        raise Forbidden(
            "only the operator adds organisations", hint="at the command line: `pathways org add`"
        )
    with write(app) as tx:
        created = directory.add_org(
            tx,
            name=command.name,
            territory=command.territory,
            timezone=command.timezone,
            language=command.language,
            extra_holidays=command.extra_holidays,
        )
        return directory.find_org(tx.conn, created.id)


def add_person(app: App, command: AddPerson, *, by: Principal | None) -> PersonView:
    """Add a person (or, `existing`, a role) in the organisation, if `by` may give that role there.

    For an account, every refused field (name, e-mail, phone, language, channels) is named in one
    FieldErrors, checked as a person's edit checks them; nothing is written then. An organisation
    that is not `by`'s is not found (NotFound), as an unknown one.
    """
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        org: str | int = command.org
        if by is not None:
            if command.existing:
                raise Forbidden(
                    "only the operator gives a role to a person found by e-mail",
                    hint="at the command line: `pathways person add ... --existing`",
                )
            org = _writable_org(tx.conn, by, command.org).id
            if command.role not in by.grantable_roles(org):
                raise Forbidden(
                    f"your role does not allow adding a person as {command.role or '—'}",
                    code="person_role_forbidden",
                    params={"role": command.role or "—"},
                )
        given = _person_fields(command) if by is not None else _as_given(command, _PERSON_FIELDS)
        created = directory.add_person(
            tx,
            name=command.name,
            org=org,
            role=command.role,
            topics=command.topics,
            existing=command.existing,
            **given,
        )
        return directory.find_person(tx.conn, created.id)


def add_project(app: App, command: AddProject, *, by: Principal | None) -> ProjectView:
    """Add a project to the organisation, if `by` may change it there; its owner must be a member.

    For an account, every refused field (name, SIRET, BCE, phase, legal form, jobs, owner) is
    named in one FieldErrors, checked as a project's edit checks them; nothing is written then.
    An organisation that is not `by`'s is not found (NotFound), as an unknown one. The operator
    is answered field by field with the directory's own messages.
    """
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        org: str | int = command.org
        owner = command.owner
        problems = checks.Problems()
        if by is not None:
            org = _writable_org(tx.conn, by, command.org).id
            if owner is not None:
                owner = _owner_field(tx.conn, by, owner, org, problems)
            given = _project_fields(command, problems)
        else:
            given = _as_given(command, _PROJECT_FIELDS)
        for column in ("permanent_jobs", "fixed_term_jobs"):  # a form's text, or the operator's number
            given[column] = checks.check_jobs(problems, column, getattr(command, column))
        problems.raise_any()
        created = directory.add_project(
            tx,
            name=command.name,
            org=org,
            owner=owner,
            territory=command.territory,
            phase=command.phase,
            **given,
        )
        return directory.find_project(tx.conn, created.id)


_PERSON_FIELDS: Final = ("email", "phone", "language", "channels")
_PROJECT_FIELDS: Final = ("siret", "bce", "legal_form")


def _as_given(command: AddPerson | AddProject, names: tuple[str, ...]) -> dict[str, Any]:
    """The command's fields as they are: the directory checks them, one by one, for the operator."""
    return {name: getattr(command, name) for name in names}


def _person_fields(command: AddPerson) -> dict[str, Any]:
    """The person's fields checked as an edit checks them: FieldErrors naming every problem."""
    problems = checks.Problems()
    checks.check_name(problems, command.name)
    given = {
        "email": checks.check_email(problems, command.email or ""),
        "phone": checks.check_phone(problems, command.phone or ""),
        "language": checks.check_lang(problems, command.language or ""),
        "channels": checks.check_channels(problems, command.channels),
    }
    problems.raise_any()
    return given


def _project_fields(command: AddProject, problems: checks.Problems) -> dict[str, Any]:
    """The project's fields checked as an edit checks them (the jobs apart), problems noted."""
    checks.check_name(problems, command.name)
    try:
        directory.parse_phase(command.phase)
    except FieldError as wrong:
        problems.add("phase", "choice", wrong.message, hint=wrong.hint)
    legal_form = checks.clean_text(
        problems, "legal_form", command.legal_form or "", max_length=checks.LEGAL_FORM_MAX, required=False
    )
    return {
        "siret": checks.check_identifier(problems, "siret", command.siret or ""),
        "bce": checks.check_identifier(problems, "bce", command.bce or ""),
        "legal_form": legal_form,
    }


def _owner_field(
    conn: Connection, by: Principal, ref: str | int, org_id: int, problems: checks.Problems
) -> int | None:
    """The id of the owner `ref`, a member of organisation `org_id`; a problem of field ``owner`` if not."""
    try:
        return _member(conn, by, ref, org_id=org_id).id
    except NotFound as absent:
        problems.add("owner", "owner", absent.message, hint=absent.hint, ref=str(ref).strip()[:80])
        return None


def _writable_org(conn: Connection, by: Principal, ref: str | int) -> OrgView:
    """The organisation `ref` among `by`'s, where its role allows changes (Forbidden otherwise)."""
    try:
        org = among.org_among(conn, ref, by.orgs(Permission.READ))
    except NotFound:
        raise permits.absent("organisation", ref) from None
    permits.require(by, org.id, Permission.WRITE, f"organisation '{str(ref).strip()}'")
    return org


def _member(conn: Connection, by: Principal, ref: str | int, *, org_id: int) -> PersonView:
    """The person `ref`, seen by `by`, with a role in organisation `org_id`."""
    try:
        person = among.person_among(conn, ref, by.orgs(Permission.READ))
    except NotFound:
        raise permits.absent("person", ref) from None
    if not any(org == org_id for org, _ in directory.roles_of(conn, person.id)):
        # Only said of a person `by` may see (in another of its organisations).
        raise NotFound(f"no person '{str(ref).strip()}' in this organisation")
    return person
