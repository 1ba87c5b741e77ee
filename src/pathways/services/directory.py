"""Organisations, people and projects: add them, and find them by id or by name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, func, select

from pathways.domain import identifiers
from pathways.domain.calendar import parse_territory
from pathways.domain.spec import LANGS, Phase
from pathways.errors import FieldError, InvalidInput, NotFound, Refused
from pathways.services.tx import Tx
from pathways.store.tables import Membership, Organisation, Person, Project

ROLES = ("officer", "manager", "owner", "resource", "admin", "auditor")
ORG = Organisation.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
MEMBER = Membership.__table__  # type: ignore[attr-defined]
PROJECT = Project.__table__  # type: ignore[attr-defined]


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


def _find(conn: Connection, table: Any, ref: str | int, what: str, keys: Sequence[str]) -> dict[str, Any]:
    """A row by id, or by any of `keys` (exact, then case-insensitive); NotFound or Refused if ambiguous."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        row = conn.execute(select(table).where(table.c.id == int(text))).mappings().first()
        if row is not None:
            return dict(row)
    for key in keys:
        # Exact first: SQLite's lower() folds ASCII letters only, so "Épicerie" must match as typed.
        rows = conn.execute(select(table).where(table.c[key] == text)).mappings().all()
        if not rows:
            rows = (
                conn.execute(select(table).where(func.lower(table.c[key]) == text.lower())).mappings().all()
            )
        if len(rows) == 1:
            return dict(rows[0])
        if len(rows) > 1:
            ids = ", ".join(str(r["id"]) for r in rows)
            raise Refused(f"{what} '{text}' is ambiguous", hint=f"use the id: one of {ids}")
    raise NotFound(f"no {what} '{text}'", hint=f"list them with `pathways {what} list`")


def find_org(conn: Connection, ref: str | int) -> dict[str, Any]:
    """An organisation by id, slug or name."""
    return _find(conn, ORG, ref, "org", ("slug", "name"))


def find_person(conn: Connection, ref: str | int) -> dict[str, Any]:
    """A person by id, handle, email or name."""
    return _find(conn, PERSON, ref, "person", ("handle", "email", "name"))


def find_project(conn: Connection, ref: str | int) -> dict[str, Any]:
    """A project by id or name."""
    return _find(conn, PROJECT, ref, "project", ("name",))


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
    tx: Tx, *, name: str, territory: str, timezone: str | None = None, language: str = "fr"
) -> Created:
    """Add a support organisation on a territory."""
    code = parse_territory(territory)
    zone = timezone or ("Europe/Brussels" if code.startswith("BE") else "Europe/Paris")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"unknown time zone {zone!r}", hint="e.g. Europe/Paris") from None
    _check_lang(language)
    slug = _unique_handle(tx.conn, ORG, "slug", slugify(name))
    org_id = tx.insert(
        ORG, slug=slug, name=name, territory=code, timezone=zone, language=language, created_at=tx.at
    )
    tx.audit(organisation_id=org_id, kind="organisation_added", payload={"slug": slug, "territory": code})
    return Created(org_id, slug)


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
) -> Created:
    """Add a person with a role in an organisation (or a new role to an existing email)."""
    if role not in ROLES:
        raise FieldError("role", f"{role!r} is not a role", hint=f"use one of {', '.join(ROLES)}")
    _check_lang(language)
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise FieldError("email", f"{email!r} is not an email address")
    for url in channels:
        if "://" not in url:
            raise FieldError(
                "channel", f"{url!r} is not an Apprise URL", hint="e.g. mailto://user@example.org"
            )
    organisation = find_org(tx.conn, org)
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
    tx.insert(MEMBER, person_id=person_id, organisation_id=organisation["id"], role=role)
    tx.audit(
        organisation_id=organisation["id"], kind="person_added", payload={"person": person_id, "role": role}
    )
    return Created(person_id, handle)


def add_project(
    tx: Tx,
    *,
    name: str,
    org: str | int,
    owner: str | int | None,
    siret: str | None,
    bce: str | None,
    territory: str | None,
    phase: str,
    legal_form: str | None,
    permanent_jobs: int = 0,
    fixed_term_jobs: int = 0,
    rna: str | None = None,
    sector: str | None = None,
    ess_status: str | None = None,
) -> Created:
    """Add a supported project; identifiers are checked (Luhn, mod 97)."""
    organisation = find_org(tx.conn, org)
    if phase not in {p.value for p in Phase}:
        raise FieldError(
            "phase", f"{phase!r} is not a phase", hint=f"use one of {', '.join(p.value for p in Phase)}"
        )
    if permanent_jobs < 0 or fixed_term_jobs < 0:
        raise InvalidInput("job counts cannot be negative")
    siret_n = identifiers.check_siret(siret) if siret else None
    bce_n = identifiers.check_bce(bce) if bce else None
    owner_id = find_person(tx.conn, owner)["id"] if owner is not None else None
    code = parse_territory(territory) if territory else organisation["territory"]
    project_id = tx.insert(
        PROJECT,
        organisation_id=organisation["id"],
        name=name,
        legal_form=legal_form,
        siren=identifiers.siren_of(siret_n) if siret_n else None,
        siret=siret_n,
        bce=bce_n,
        rna=rna,
        ess_status=ess_status,
        sector=sector,
        territory=code,
        phase=phase,
        permanent_jobs=permanent_jobs,
        fixed_term_jobs=fixed_term_jobs,
        owner_id=owner_id,
        created_at=tx.at,
    )
    tx.audit(
        organisation_id=organisation["id"],
        kind="project_added",
        payload={"project": project_id, "phase": phase, "territory": code},
    )
    return Created(project_id, str(project_id))


def list_rows(conn: Connection, what: str, *, org: str | int | None = None) -> list[dict[str, Any]]:
    """Organisations, people or projects, optionally of one organisation."""
    if what == "org":
        return [dict(r) for r in conn.execute(select(ORG).order_by(ORG.c.id)).mappings()]
    org_id = find_org(conn, org)["id"] if org is not None else None
    if what == "person":
        query = select(PERSON, MEMBER.c.role, MEMBER.c.organisation_id).join(
            MEMBER, MEMBER.c.person_id == PERSON.c.id
        )
        if org_id is not None:
            query = query.where(MEMBER.c.organisation_id == org_id)
        return [dict(r) for r in conn.execute(query.order_by(PERSON.c.id)).mappings()]
    query = select(PROJECT)
    if org_id is not None:
        query = query.where(PROJECT.c.organisation_id == org_id)
    return [dict(r) for r in conn.execute(query.order_by(PROJECT.c.id)).mappings()]
