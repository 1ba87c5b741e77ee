"""What the project and people pages read: lists with search, a project's sheet, a person's sheet.

Every query takes the organisations the reader may see; a project or a person outside them
is the NotFound an unknown one is (:func:`pathways.services.people.permits.absent`).
Names of pathways, stages, outcomes and legal forms come in the reader's language.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select

from pathways.domain import identifiers
from pathways.domain.loader import PathwayCatalog
from pathways.domain.programme import normalise_legal_form
from pathways.domain.spec import FieldType
from pathways.services.people.permits import absent
from pathways.store.core import CASE, MEMBER, ORG, PERSON, PROJECT

PAGE_SIZE: Final = 50
# Codes project records hold for a form the pathway files name otherwise.
ALIASES: Final = {"vzw": "asbl", "cv": "sc_cv", "sc": "sc_cv", "esus": "esus_company"}
EMAIL_SCHEMES: Final = frozenset({"mailto", "mailtos"})


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel as shown (no secret), and its id (what a form sends back to remove it)."""

    id: str
    shown: str


@dataclass(frozen=True, slots=True)
class PersonLine:
    """A person as lists and sheets show them (channels shown without their secrets)."""

    id: int
    name: str
    handle: str
    email: str | None
    phone: str | None
    language: str | None
    channels: tuple[Channel, ...]
    roles: tuple[tuple[str, str], ...]  # (organisation name, role)


@dataclass(frozen=True, slots=True)
class ProjectLine:
    """A project in the list."""

    id: int
    name: str
    organisation: str
    legal_form: str | None  # its label in the reader's language, else as recorded
    siret: str | None
    bce: str | None
    phase: str
    owner_id: int | None
    owner: str | None


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A case of a project, named in the reader's language."""

    ref: str
    pathway: str
    stage: str | None
    status: str
    result: str | None
    officer: str | None
    opened_at: datetime
    closed_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Change:
    """One field of an edit: before and after, as shown."""

    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit of a project or a person."""

    at: datetime
    actor: str | None
    changes: tuple[Change, ...]


def legal_forms(catalog: PathwayCatalog, lang: str) -> dict[str, str]:
    """Legal forms by code, labelled in `lang`: the choices of the pathways' `legal_form` fields."""
    found: dict[str, str] = {}
    for spec in catalog.latest():
        for stage in spec.stages:
            for outcome in (None, *stage.outcomes):
                fields = stage.fields if outcome is None else stage.fields_for(outcome)
                wanted = fields.get("legal_form")
                if wanted is not None and wanted.type is FieldType.CHOICE and wanted.choices:
                    for code, label in wanted.choices.items():
                        found.setdefault(code, label.get(lang))
    return found


def legal_form_label(forms: Mapping[str, str], code: str | None) -> str | None:
    """A recorded legal form's label (SCOP, Association loi 1901...), else the text as recorded."""
    if not code:
        return None
    key = normalise_legal_form(code)
    return forms.get(key) or forms.get(ALIASES.get(key, "")) or code


@functools.lru_cache(maxsize=4)
def territory_names(path: Path) -> dict[str, str]:
    """Territory names by code, from ``config/territories.csv`` (empty when the file is missing)."""
    from pathways.services.exchange.opendata import load_territories

    try:
        return {code: place.name for code, place in load_territories(path).items()}
    except Exception:  # noqa: BLE001  a name is a nicety: the code is shown without it
        return {}


def formatted_siret(siret: str | None) -> str | None:
    """A SIRET as written: 732 829 320 00074."""
    if not siret:
        return None
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def formatted_bce(bce: str | None) -> str | None:
    """A BCE/KBO number as written: 0123.456.749."""
    if not bce:
        return None
    try:
        return identifiers.format_bce(bce)
    except Exception:  # noqa: BLE001  an old row with a number checked by other rules: shown as stored
        return bce


def shown_channel(url: str) -> str:
    """A channel without what may be secret: an e-mail address whole, other URLs by scheme and host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.partition("://")[0] + "://…"
    if parts.scheme.lower() in EMAIL_SCHEMES:
        address = parts.netloc.rpartition("@")[2] if parts.password else parts.netloc
        user = parts.username if parts.password and parts.username else None
        return f"{parts.scheme}://" + (f"{user}@{address}" if user else address) + parts.path
    host = parts.hostname or ""
    return (
        f"{parts.scheme}://{host}/…" if parts.path.strip("/") or parts.query else f"{parts.scheme}://{host}"
    )


def _like(column: Any, text: str) -> ColumnElement[bool]:
    found: ColumnElement[bool] = func.lower(column).contains(text.lower(), autoescape=True)
    return found


def _project_search(query: Select[Any], q: str) -> Select[Any]:
    text = q.strip()[:200]
    if not text:
        return query
    digits = identifiers.normalise(text)
    if digits[:2].upper() == "BE":
        digits = digits[2:]
    owners = select(PERSON.c.id).where(_like(PERSON.c.name, text), PERSON.c.erased_at.is_(None))
    matches = [_like(PROJECT.c.name, text), PROJECT.c.owner_id.in_(owners)]
    if digits.isascii() and digits.isdigit():
        if len(digits) == 14:
            matches.append((PROJECT.c.siren == digits[:9]) & (PROJECT.c.siret == digits))
        elif len(digits) == 9:
            matches.append(PROJECT.c.siren == digits)
        elif len(digits) == 10:
            matches.append(PROJECT.c.bce == digits)
    return query.where(or_(*matches))


def list_projects(
    conn: Connection,
    catalog: PathwayCatalog,
    *,
    orgs: Collection[int],
    q: str = "",
    lang: str,
    owner_id: int | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[ProjectLine]:
    """Projects of `orgs` matching `q` (name, SIRET, SIREN, BCE number, owner's name), by name;
    with `owner_id`, only that person's."""
    query = (
        select(PROJECT, ORG.c.name.label("org_name"), PERSON.c.name.label("owner_name"))
        .join(ORG, ORG.c.id == PROJECT.c.organisation_id)
        .outerjoin(PERSON, PERSON.c.id == PROJECT.c.owner_id)
        .where(PROJECT.c.organisation_id.in_(sorted(orgs)))
        .order_by(func.lower(PROJECT.c.name), PROJECT.c.id)
        .limit(limit)
        .offset(offset)
    )
    if owner_id is not None:
        query = query.where(PROJECT.c.owner_id == owner_id)
    forms = legal_forms(catalog, lang)
    return [
        ProjectLine(
            id=r["id"],
            name=r["name"],
            organisation=r["org_name"],
            legal_form=legal_form_label(forms, r["legal_form"]),
            siret=formatted_siret(r["siret"]),
            bce=formatted_bce(r["bce"]),
            phase=r["phase"],
            owner_id=r["owner_id"],
            owner=r["owner_name"],
        )
        for r in conn.execute(_project_search(query, q)).mappings()
    ]


def people_lines(conn: Connection, person_ids: Collection[int], orgs: Collection[int]) -> list[PersonLine]:
    """Those people, with their roles in `orgs`, in the order of `person_ids`."""
    from pathways.notify.deliver import channel_id  # Apprise: only for the pages that show people

    if not person_ids:
        return []
    rows = conn.execute(select(PERSON).where(PERSON.c.id.in_(sorted(set(person_ids))))).mappings().all()
    roles: dict[int, list[tuple[str, str]]] = {}
    for person_id, org_name, role in conn.execute(
        select(MEMBER.c.person_id, ORG.c.name, MEMBER.c.role)
        .join(ORG, ORG.c.id == MEMBER.c.organisation_id)
        .where(MEMBER.c.person_id.in_(sorted(set(person_ids))), MEMBER.c.organisation_id.in_(sorted(orgs)))
        .order_by(ORG.c.name, MEMBER.c.role)
    ):
        roles.setdefault(person_id, []).append((org_name, role))
    by_id = {
        r["id"]: PersonLine(
            id=r["id"],
            name=r["name"],
            handle=r["handle"],
            email=r["email"],
            phone=r["phone"],
            language=r["language"],
            channels=tuple(Channel(channel_id(u), shown_channel(u)) for u in r["channels"] or ()),
            roles=tuple(roles.get(r["id"], ())),
        )
        for r in rows
    }
    return [by_id[i] for i in person_ids if i in by_id]


def list_people(
    conn: Connection, *, orgs: Collection[int], q: str = "", limit: int = PAGE_SIZE, offset: int = 0
) -> list[PersonLine]:
    """People with a role in `orgs` (not erased) matching `q` (name, handle, e-mail, phone), by name."""
    members = select(MEMBER.c.person_id).where(MEMBER.c.organisation_id.in_(sorted(orgs)))
    query = (
        select(PERSON.c.id)
        .where(PERSON.c.id.in_(members), PERSON.c.erased_at.is_(None))
        .order_by(func.lower(PERSON.c.name), PERSON.c.id)
        .limit(limit)
        .offset(offset)
    )
    text = q.strip()[:200]
    if text:
        query = query.where(
            or_(*(_like(c, text) for c in (PERSON.c.name, PERSON.c.handle, PERSON.c.email, PERSON.c.phone)))
        )
    return people_lines(conn, list(conn.scalars(query)), orgs)


def visible_person(conn: Connection, ref: int, orgs: Collection[int]) -> PersonLine:
    """A person with a role in `orgs`; NotFound otherwise, as for an unknown id."""
    members = select(MEMBER.c.person_id).where(MEMBER.c.organisation_id.in_(sorted(orgs)))
    found = conn.scalar(select(PERSON.c.id).where(PERSON.c.id == ref, PERSON.c.id.in_(members)))
    if found is None:
        raise absent("person", ref)
    return people_lines(conn, [found], orgs)[0]


def case_lines(
    conn: Connection, catalog: PathwayCatalog, where: ColumnElement[bool], *, lang: str, limit: int = 200
) -> list[CaseLine]:
    """Cases matching `where`, newest first, with titles in `lang`."""
    rows = conn.execute(
        select(CASE, PERSON.c.name.label("officer_name"))
        .outerjoin(PERSON, PERSON.c.id == CASE.c.officer_id)
        .where(where)
        .order_by(CASE.c.opened_at.desc(), CASE.c.id.desc())
        .limit(limit)
    ).mappings()
    found = []
    for r in rows:
        spec = catalog.get(r["pathway_id"], r["pathway_version"]) if r["pathway_id"] in catalog else None
        stage = next((s for s in spec.stages if s.id == r["stage"]), None) if spec else None
        label = spec.result_label(r["result"]) if spec and r["result"] else None
        found.append(
            CaseLine(
                ref=r["ref"],
                pathway=spec.title.get(lang) if spec else r["pathway_id"],
                stage=stage.title.get(lang) if stage else r["stage"],
                status=r["status"],
                result=label.get(lang) if label else r["result"],
                officer=r["officer_name"],
                opened_at=r["opened_at"],
                closed_at=r["closed_at"],
                due_at=r["due_at"],
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class Choice:
    """A person offered in a list of choices (the owner of a project)."""

    id: int
    name: str
    email: str | None


def owner_choices(conn: Connection, org_id: int, *, current: int | None, limit: int = 1000) -> list[Choice]:
    """Who may own a project of the organisation: its project leads and resource persons, by name
    (and the current owner, whatever their role)."""
    leads = select(MEMBER.c.person_id).where(
        MEMBER.c.organisation_id == org_id, MEMBER.c.role.in_(("owner", "resource"))
    )
    wanted = PERSON.c.id.in_(leads) | (PERSON.c.id == (current or 0))
    rows = conn.execute(
        select(PERSON.c.id, PERSON.c.name, PERSON.c.email)
        .where(wanted, PERSON.c.erased_at.is_(None))
        .order_by(func.lower(PERSON.c.name), PERSON.c.id)
        .limit(limit)
    )
    return [Choice(r.id, r.name, r.email) for r in rows]
