"""Organisations, people and projects: add them, and find them by id or by name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Connection, RowMapping, func, select

from pathways.domain import identifiers, lifecycle
from pathways.domain.calendar import parse_territory
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.domain.spec import LANGS, Phase
from pathways.errors import FieldError, InvalidInput, NotFound, Refused
from pathways.services.people import org_holidays
from pathways.services.people.views import OrgView, PersonView, ProjectView
from pathways.services.tx import Tx
from pathways.store.core import MEMBER, ORG, PERSON, PROJECT

V = TypeVar("V")
ROLES = ("officer", "manager", "owner", "resource", "admin", "auditor")
NAME_MAX = 200  # the name columns' length


def slugify(text: str) -> str:
    """A lowercase ASCII handle: 'Régie de quartier' -> 'regie-de-quartier'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:70] or "x"


def _unique_handle(conn: Connection, table: Any, column: str, base: str) -> str:
    taken = set(conn.scalars(select(table.c[column]).where(table.c[column].like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _found(
    conn: Connection,
    table: Any,
    ref: str | int,
    what: str,
    keys: Sequence[str],
    scope: ColumnElement[bool] | None,
) -> RowMapping:
    text = str(ref).strip()
    base = select(table) if scope is None else select(table).where(scope)
    if text.isascii() and text.isdigit() and len(text) <= 18:
        row = conn.execute(base.where(table.c.id == int(text))).mappings().first()
        if row is not None:
            return row
    for key in keys:
        # Exact first: SQLite's lower() folds ASCII letters only, so "Épicerie" must match as typed.
        rows = conn.execute(base.where(table.c[key] == text)).mappings().all()
        if not rows:
            rows = conn.execute(base.where(func.lower(table.c[key]) == text.lower())).mappings().all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            ids = ", ".join(str(r["id"]) for r in rows)
            raise Refused(
                f"{what} '{text}' is ambiguous",
                hint=f"use the id: one of {ids}",
                code=f"{what}_ambiguous",
                params={"ref": text, "ids": ids},
            )
    raise NotFound(
        f"no {what} '{text}'",
        hint=f"list them with `pathways {what} list`",
        code=f"{what}_not_found",
        params={"ref": text},
    )


def find_row(
    conn: Connection,
    table: Any,
    ref: str | int,
    what: str,
    keys: Sequence[str],
    *,
    scope: ColumnElement[bool] | None = None,
) -> dict[str, Any]:
    """A row of any table by id, or by any of `keys` (exact, then case-insensitive); NotFound or
    Refused if ambiguous. The organisation, person and project finders below return typed views.

    Only rows matching `scope` are looked at: a row outside it gets exactly the NotFound an
    unknown reference gets, so an answer never tells that it exists elsewhere.
    """
    return dict(_found(conn, table, ref, what, keys, scope))


def find_view(
    conn: Connection,
    table: Any,
    ref: str | int,
    what: str,
    keys: Sequence[str],
    view: Callable[[RowMapping], V],
    *,
    scope: ColumnElement[bool] | None = None,
) -> V:
    """:func:`find_row`, the row given as `view` makes it (e.g. ``ProjectView.of``)."""
    return view(_found(conn, table, ref, what, keys, scope))


def find_org(conn: Connection, ref: str | int) -> OrgView:
    """An organisation by id, slug or name."""
    return find_view(conn, ORG, ref, "org", ("slug", "name"), OrgView.of)


def members_of(org_id: int) -> ColumnElement[bool]:
    """Where a person has a role (a membership row) in the organisation `org_id`."""
    member: ColumnElement[bool] = PERSON.c.id.in_(
        select(MEMBER.c.person_id).where(MEMBER.c.organisation_id == org_id)
    )
    return member


def find_person(conn: Connection, ref: str | int, *, org_id: int | None = None) -> PersonView:
    """A person by id, handle, email or name; with `org_id`, only among that organisation's members."""
    scope = members_of(org_id) if org_id is not None else None
    return find_view(conn, PERSON, ref, "person", ("handle", "email", "name"), PersonView.of, scope=scope)


def find_project(conn: Connection, ref: str | int, *, org_id: int | None = None) -> ProjectView:
    """A project by id or name; with `org_id`, only among that organisation's projects."""
    scope = PROJECT.c.organisation_id == org_id if org_id is not None else None
    return find_view(conn, PROJECT, ref, "project", ("name",), ProjectView.of, scope=scope)


def roles_of(conn: Connection, person_id: int) -> list[tuple[int, str]]:
    """(organisation id, role) pairs of a person."""
    rows = conn.execute(
        select(MEMBER.c.organisation_id, MEMBER.c.role).where(MEMBER.c.person_id == person_id)
    )
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True, slots=True)
class Created:
    """What an add command created."""

    id: int
    handle: str


def add_org(
    tx: Tx,
    *,
    name: str,
    territory: str,
    timezone: str | None = None,
    language: str = "fr",
    extra_holidays: Sequence[ExtraHoliday] = (),
) -> Created:
    """Add a support organisation on a territory, with the days off it adds to its public holidays."""
    code = parse_territory(territory)
    zone = timezone or ("Europe/Brussels" if code.startswith("BE") else "Europe/Paris")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"unknown time zone {zone!r}", hint="e.g. Europe/Paris") from None
    _check_lang(language)
    name = _name(name)
    slug = _unique_handle(tx.conn, ORG, "slug", slugify(name))
    org_id = tx.insert(
        ORG, slug=slug, name=name, territory=code, timezone=zone, language=language, created_at=tx.at
    )
    tx.audit(organisation_id=org_id, kind="organisation_added", payload={"slug": slug, "territory": code})
    if extra_holidays:
        org_holidays.set_extra_holidays(tx, org_id, extra_holidays)
    return Created(org_id, slug)


def _name(name: str) -> str:
    """A name stripped of surrounding blanks; FieldError when nothing is left or it is too long."""
    text = name.strip()
    if not text:
        raise FieldError("name", "is empty", hint="give a name with at least one letter or digit")
    if len(text) > NAME_MAX:
        raise FieldError("name", f"{len(text)} characters, at most {NAME_MAX} allowed")
    return text


def _lock_org(conn: Connection, org_id: int) -> None:
    """Serialise adds to one organisation until commit, so a duplicate check stays true when written.

    FOR NO KEY UPDATE on PostgreSQL (rows referencing the organisation can still be inserted
    meanwhile); SQLite's write transaction holds the database's one write lock already.
    """
    conn.execute(select(ORG.c.id).where(ORG.c.id == org_id).with_for_update(key_share=True))


def _check_lang(language: str | None) -> None:
    if language is not None and language not in LANGS:
        raise FieldError("lang", f"{language!r} is not supported", hint=f"use one of {', '.join(LANGS)}")


def add_person(
    tx: Tx,
    *,
    name: str,
    org: str | int,
    role: str,
    email: str | None,
    phone: str | None = None,
    language: str | None,
    channels: Sequence[str],
    topics: Sequence[str] = (),
    existing: bool = False,
) -> Created:
    """Add a person with a role in an organisation; `existing`: give that role to the person with `email`.

    One e-mail, one person within an organisation: a second person with the e-mail of a member
    is refused, naming the member. Elsewhere the e-mail is not looked at, so that the answer
    tells nothing of other organisations' people, unless `existing` (the operator's explicit
    choice) asks to give the person who has it, wherever they are, a role here.
    """
    if role not in ROLES:
        raise FieldError("role", f"{role!r} is not a role", hint=f"use one of {', '.join(ROLES)}")
    _check_lang(language)
    name = _name(name)
    email = email.strip() if email is not None else None
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise FieldError("email", f"{email!r} is not an email address")
    from pathways.notify.destination import check_channels  # resolves hosts: no internal ones (SSRF)

    check_channels(channels)
    organisation = find_org(tx.conn, org)
    org_id = organisation.id
    if existing:
        return _add_role(tx, email=email, org_id=org_id, role=role)
    if email is not None:
        _lock_org(tx.conn, org_id)
        twin = _with_email(tx.conn, email, org_id=org_id)
        if twin is not None:
            raise FieldError(
                "email",
                f"person '{twin.handle}' (id {twin.id}) of this organisation exists already with this e-mail",
                hint="to give them this role too: `pathways person add ... --existing`; else another e-mail",
            )
    handle = _unique_handle(tx.conn, PERSON, "handle", slugify(name))
    person_id = tx.insert(
        PERSON,
        handle=handle,
        name=name,
        email=email,
        phone=phone,
        language=language,
        channels=list(channels),
        topics=list(topics),
        digest=True,
        created_at=tx.at,
    )
    tx.insert(MEMBER, person_id=person_id, organisation_id=org_id, role=role)
    tx.audit(organisation_id=org_id, kind="person_added", payload={"person": person_id, "role": role})
    return Created(person_id, handle)


def _with_email(conn: Connection, email: str, *, org_id: int | None) -> PersonView | None:
    """The person (not erased) with this e-mail, case-insensitive; with `org_id`, a member of it."""
    query = select(PERSON).where(func.lower(PERSON.c.email) == email.lower(), PERSON.c.erased_at.is_(None))
    if org_id is not None:
        query = query.where(members_of(org_id))
    row = conn.execute(query.order_by(PERSON.c.id).limit(1)).mappings().first()
    return PersonView.of(row) if row is not None else None


def _add_role(tx: Tx, *, email: str | None, org_id: int, role: str) -> Created:
    """Give the person with `email` a role in the organisation (the operator's `--existing`)."""
    if email is None:
        raise FieldError("email", "is required with --existing", hint="the e-mail of the person to reuse")
    person = _with_email(tx.conn, email, org_id=None)
    if person is None:
        raise FieldError(
            "email", f"no person has the e-mail {email!r}", hint="leave out --existing to add a new person"
        )
    if (org_id, role) in roles_of(tx.conn, person.id):
        raise FieldError(
            "role",
            f"person '{person.handle}' (id {person.id}) is {role} of this organisation already",
            hint="nothing to add",
        )
    tx.insert(MEMBER, person_id=person.id, organisation_id=org_id, role=role)
    tx.audit(organisation_id=org_id, kind="person_role_added", payload={"person": person.id, "role": role})
    return Created(person.id, person.handle)


def add_project(
    tx: Tx,
    *,
    name: str,
    org: str | int,
    owner: str | int | None,
    siret: str | None,
    bce: str | None,
    territory: str | None,
    phase: str | None,
    legal_form: str | None,
    permanent_jobs: int = 0,
    fixed_term_jobs: int = 0,
    rna: str | None = None,
    sector: str | None = None,
    ess_status: str | None = None,
) -> Created:
    """Add a supported project; identifiers are checked (Luhn, mod 97), and unique in the organisation.

    Without a `phase`, a project with a SIRET or BCE number is `founded`, else an `idea`
    (see :func:`pathways.domain.lifecycle.initial_phase`); the `project_added` event says
    where the phase came from (`phase_from`). The owner must be a member of the
    organisation: another organisation's person gets the answer an unknown one gets.
    """
    organisation = find_org(tx.conn, org)
    org_id = organisation.id
    name = _name(name)
    given = parse_phase(phase)
    if permanent_jobs < 0 or fixed_term_jobs < 0:
        raise InvalidInput("job counts cannot be negative", code="jobs_negative")
    siret_n = identifiers.check_siret(siret) if siret else None
    bce_n = identifiers.check_bce(bce) if bce else None
    start = lifecycle.initial_phase(given, identified=bool(siret_n or bce_n))
    owner_id = find_person(tx.conn, owner, org_id=org_id).id if owner is not None else None
    code = parse_territory(territory) if territory else organisation.territory
    if siret_n or bce_n:
        _lock_org(tx.conn, org_id)
        refuse_twin(tx.conn, org_id, "siret", siret_n, "SIRET")
        refuse_twin(tx.conn, org_id, "bce", bce_n, "BCE number")
    project_id = tx.insert(
        PROJECT,
        organisation_id=org_id,
        name=name,
        legal_form=legal_form,
        siren=identifiers.siren_of(siret_n) if siret_n else None,
        siret=siret_n,
        bce=bce_n,
        rna=rna,
        ess_status=ess_status,
        sector=sector,
        territory=code,
        phase=start.phase.value,
        permanent_jobs=permanent_jobs,
        fixed_term_jobs=fixed_term_jobs,
        owner_id=owner_id,
        created_at=tx.at,
    )
    tx.audit(
        organisation_id=org_id,
        kind="project_added",
        payload={
            "project": project_id,
            "phase": start.phase.value,
            "phase_from": start.source,
            "territory": code,
        },
    )
    return Created(project_id, str(project_id))


def parse_phase(text: str | None) -> Phase | None:
    """A lifecycle phase as typed (any case, blanks around); None for none; FieldError otherwise."""
    if text is None or not text.strip():
        return None
    try:
        return Phase(text.strip().lower())
    except ValueError:
        raise FieldError(
            "phase", f"{text!r} is not a phase", hint=f"use one of {', '.join(p.value for p in Phase)}"
        ) from None


def refuse_twin(conn: Connection, org_id: int, column: str, number: str | None, label: str) -> None:
    """FieldError naming the organisation's project that has this identifier already."""
    if number is None:
        return
    twin = conn.execute(
        select(PROJECT.c.id, PROJECT.c.name)
        .where(PROJECT.c.organisation_id == org_id, PROJECT.c[column] == number)
        .order_by(PROJECT.c.id)
        .limit(1)
    ).first()
    if twin is not None:
        raise FieldError(
            column,
            f"project {twin.id} '{twin.name}' of this organisation exists already with {label} {number}",
            hint=f"use project {twin.id} (`pathways case open {twin.id} ...`) rather than adding it again",
        )
