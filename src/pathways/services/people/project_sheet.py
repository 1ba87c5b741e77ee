"""A project's sheet and a person's sheet: everything the pages show of one, read in one go.

Scoped as :mod:`pathways.services.people.sheets` is: outside the reader's organisations, a
project or a person is the NotFound an unknown one is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.services.casework import readable
from pathways.services.casework.queries import names_of
from pathways.services.people.permits import absent
from pathways.services.people.sheets import (
    CaseLine,
    Change,
    Edit,
    PersonLine,
    ProjectLine,
    case_lines,
    formatted_bce,
    formatted_siret,
    legal_form_label,
    legal_forms,
    list_projects,
    people_lines,
    shown_channel,
    territory_names,
    visible_person,
)
from pathways.services.reporting.impact import plain
from pathways.store.core import AUDIT, CASE, DOC, EDIT, EVALUATION, INDICATOR, ORG, PERSON, PROJECT, VALUE

EDITS_SHOWN: Final = 50


@dataclass(frozen=True, slots=True)
class PhaseStep:
    """A move of the project's lifecycle phase: by a decision on a case, or by an edit."""

    at: datetime
    before: str
    after: str
    case: str | None  # the case reference, when a decision moved it
    actor: str | None


@dataclass(frozen=True, slots=True)
class Indicator:
    """An impact indicator with its latest measured value."""

    question: str
    tool: str | None
    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    value: Decimal | None
    measured_on: date | None


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """A document produced for one of the project's cases."""

    id: int
    name: str
    case: str
    language: str
    created_at: datetime
    title: str = ""  # what it is, in the page's language (casework.readable.document_title)


@dataclass(frozen=True, slots=True)
class ProjectSheet:
    """A project, as its page shows it."""

    id: int
    organisation_id: int
    organisation: str
    name: str
    legal_form: str | None  # as recorded (the form's value)
    legal_form_label: str | None
    siren: str | None
    siret: str | None  # formatted: 732 829 320 00074
    bce: str | None  # formatted: 0123.456.749
    siret_digits: str | None
    bce_digits: str | None
    rna: str | None
    territory: str
    territory_name: str | None
    phase: str
    created_at: datetime
    permanent_jobs: int
    fixed_term_jobs: int
    owner: PersonLine | None
    cases: tuple[CaseLine, ...]
    phases: tuple[PhaseStep, ...]
    edits: tuple[Edit, ...]
    indicators: tuple[Indicator, ...]
    documents: tuple[DocumentLine, ...]


@dataclass(frozen=True, slots=True)
class PersonSheet:
    """A person, as their page shows them: contacts, roles, projects they lead, changes."""

    person: PersonLine
    erased: bool
    projects: tuple[ProjectLine, ...]
    edits: tuple[Edit, ...]


def project_sheet(
    conn: Connection,
    catalog: PathwayCatalog,
    project_id: int,
    *,
    orgs: Collection[int],
    lang: str,
    config_dir: Path,
) -> ProjectSheet:
    """The project `project_id` of one of `orgs`, with everything its page shows."""
    row = (
        conn.execute(
            select(PROJECT, ORG.c.name.label("org_name"))
            .join(ORG, ORG.c.id == PROJECT.c.organisation_id)
            .where(PROJECT.c.id == project_id, PROJECT.c.organisation_id.in_(sorted(orgs)))
        )
        .mappings()
        .first()
    )
    if row is None:
        raise absent("project", project_id)
    cases = conn.execute(select(CASE.c.id, CASE.c.ref).where(CASE.c.project_id == project_id)).all()
    refs: dict[int, str] = {case_id: ref for case_id, ref in cases}  # noqa: C416  typed pairs
    edits = _edits(conn, EDIT.c.project_id == project_id, lang=lang, catalog=catalog)
    owner = people_lines(conn, [row["owner_id"]], orgs) if row["owner_id"] else []
    return ProjectSheet(
        id=row["id"],
        organisation_id=row["organisation_id"],
        organisation=row["org_name"],
        name=row["name"],
        legal_form=row["legal_form"],
        legal_form_label=legal_form_label(legal_forms(catalog, lang), row["legal_form"]),
        siren=row["siren"],
        siret=formatted_siret(row["siret"]),
        bce=formatted_bce(row["bce"]),
        siret_digits=row["siret"],
        bce_digits=row["bce"],
        rna=row["rna"],
        territory=row["territory"],
        territory_name=territory_names(config_dir / "territories.csv").get(row["territory"]),
        phase=row["phase"],
        created_at=row["created_at"],
        permanent_jobs=row["permanent_jobs"],
        fixed_term_jobs=row["fixed_term_jobs"],
        owner=owner[0] if owner else None,
        cases=tuple(case_lines(conn, catalog, CASE.c.project_id == project_id, lang=lang)),
        phases=_phases(conn, project_id, refs),
        edits=tuple(edits),
        indicators=_indicators(conn, project_id),
        documents=_documents(conn, refs, catalog, lang),
    )


def _phases(conn: Connection, project_id: int, refs: Mapping[int, str]) -> tuple[PhaseStep, ...]:
    """Every phase change: decisions' events on the project's cases, and edits."""
    steps: list[PhaseStep] = []
    if refs:
        events = conn.execute(
            select(AUDIT.c.case_id, AUDIT.c.effective_at, AUDIT.c.actor_id, AUDIT.c.payload).where(
                AUDIT.c.case_id.in_(sorted(refs)), AUDIT.c.kind == "phase_changed"
            )
        ).all()
        names = names_of(conn, {e.actor_id for e in events})
        steps += [
            PhaseStep(
                e.effective_at, e.payload["from"], e.payload["to"], refs.get(e.case_id), names.get(e.actor_id)
            )
            for e in events
            if e.payload.get("project") == project_id
        ]
    edits = conn.execute(
        select(EDIT.c.at, EDIT.c.actor_id, EDIT.c.changes).where(EDIT.c.project_id == project_id)
    ).all()
    names = names_of(conn, {e.actor_id for e in edits})
    steps += [
        PhaseStep(e.at, e.changes["phase"][0], e.changes["phase"][1], None, names.get(e.actor_id))
        for e in edits
        if "phase" in e.changes
    ]
    return tuple(sorted(steps, key=lambda s: s.at))


def _indicators(conn: Connection, project_id: int) -> tuple[Indicator, ...]:
    rows = conn.execute(
        select(EVALUATION.c.question, EVALUATION.c.tool, INDICATOR)
        .join(INDICATOR, INDICATOR.c.evaluation_id == EVALUATION.c.id)
        .where(EVALUATION.c.project_id == project_id)
        .order_by(EVALUATION.c.id, INDICATOR.c.id)
    ).mappings()
    found = []
    for r in rows:
        latest = conn.execute(
            select(VALUE.c.value, VALUE.c.measured_on)
            .where(VALUE.c.indicator_id == r["id"])
            .order_by(VALUE.c.measured_on.desc(), VALUE.c.id.desc())
            .limit(1)
        ).first()
        found.append(
            Indicator(
                question=r["question"],
                tool=r["tool"],
                name=r["name"],
                unit=r["unit"],
                baseline=plain(r["baseline"]),
                target=plain(r["target"]),
                value=plain(latest.value) if latest else None,
                measured_on=latest.measured_on if latest else None,
            )
        )
    return tuple(found)


def _documents(
    conn: Connection, refs: Mapping[int, str], catalog: PathwayCatalog, lang: str
) -> tuple[DocumentLine, ...]:
    if not refs:
        return ()
    rows = conn.execute(
        select(DOC.c.id, DOC.c.name, DOC.c.case_id, DOC.c.language, DOC.c.created_at)
        .where(DOC.c.case_id.in_(sorted(refs)))
        .order_by(DOC.c.created_at.desc(), DOC.c.id.desc())
        .limit(200)
    ).all()
    return tuple(
        DocumentLine(
            id=r.id,
            name=r.name,
            case=refs[r.case_id],
            language=r.language,
            created_at=r.created_at,
            title=readable.document_title(catalog, r.name, lang),
        )
        for r in rows
    )


def _shown(field: str, value: Any, *, names: Mapping[int, str], forms: Mapping[str, str]) -> str:
    """A value of an edit as the history shows it."""
    shown: str | None
    if value is None or value in ("", []):
        shown = None
    elif field == "owner_id":
        shown = names.get(int(value), f"#{value}")
    elif field == "legal_form":
        shown = legal_form_label(forms, str(value))
    elif field == "siret":
        shown = formatted_siret(str(value))
    elif field == "bce":
        shown = formatted_bce(str(value))
    elif field == "channels":
        shown = ", ".join(shown_channel(str(u)) for u in value)
    else:
        shown = str(value)
    return shown or "—"


def _edits(conn: Connection, where: Any, *, lang: str, catalog: PathwayCatalog) -> list[Edit]:
    rows = conn.execute(
        select(EDIT.c.at, EDIT.c.actor_id, EDIT.c.changes)
        .where(where)
        .order_by(EDIT.c.id.desc())
        .limit(EDITS_SHOWN)
    ).all()
    people = {r.actor_id for r in rows}
    people |= {int(v) for r in rows for v in r.changes.get("owner_id", ()) if v is not None}
    names = names_of(conn, people)
    forms = legal_forms(catalog, lang)
    return [
        Edit(
            at=r.at,
            actor=names.get(r.actor_id) if r.actor_id else None,
            changes=tuple(
                Change(
                    field,
                    _shown(field, b, names=names, forms=forms),
                    _shown(field, a, names=names, forms=forms),
                )
                for field, (b, a) in sorted(r.changes.items())
                if field != "siren"  # follows the SIRET
            ),
        )
        for r in rows
    ]


def person_sheet(
    conn: Connection, catalog: PathwayCatalog, person_id: int, *, orgs: Collection[int], lang: str
) -> PersonSheet:
    """The person `person_id`, if they have a role in one of `orgs`, with what their page shows."""
    person = visible_person(conn, person_id, orgs)
    erased = conn.scalar(select(PERSON.c.erased_at).where(PERSON.c.id == person_id)) is not None
    projects = list_projects(conn, catalog, orgs=orgs, lang=lang, owner_id=person_id, limit=500)
    return PersonSheet(
        person=person,
        erased=erased,
        projects=tuple(projects),
        edits=tuple(_edits(conn, EDIT.c.person_id == person_id, lang=lang, catalog=catalog)),
    )


__all__ = [
    "DocumentLine",
    "Indicator",
    "PersonSheet",
    "PhaseStep",
    "ProjectSheet",
    "person_sheet",
    "project_sheet",
]
