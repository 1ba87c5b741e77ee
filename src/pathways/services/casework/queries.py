"""What officers and managers read: a case, its history, what is due."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.domain.spec import PathwaySpec
from pathways.errors import NotFound
from pathways.services.casework.lookup import find_case
from pathways.services.casework.views import (
    CaseDetails,
    CaseRow,
    ChildCase,
    DecisionDetails,
    DueRow,
    FieldBrief,
    HistoryEntry,
    ProjectBrief,
    StageStay,
)
from pathways.services.messaging.views import PendingJob
from pathways.services.people import directory
from pathways.store.core import AUDIT, CASE, ENTRY, JOB, PERSON, PROJECT


def names_of(conn: Connection, ids: Collection[int | None]) -> dict[int, str]:
    """Person names by id (names live only in the person table)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = conn.execute(select(PERSON.c.id, PERSON.c.name).where(PERSON.c.id.in_(wanted)))
    return {r[0]: r[1] for r in rows}


def show_case(conn: Connection, catalog: PathwayCatalog, ref: str | int, *, lang: str = "en") -> CaseDetails:
    """A case with its project, current stage, deadline, recorded data, links and entries."""
    case = find_case(conn, ref)
    spec = catalog.get(case.pathway_id, case.pathway_version)
    project = conn.execute(select(PROJECT).where(PROJECT.c.id == case.project_id)).mappings().one()
    entries = [
        dict(r)
        for r in conn.execute(
            select(ENTRY).where(ENTRY.c.case_id == case.id).order_by(ENTRY.c.seq)
        ).mappings()
    ]
    names = names_of(conn, {case.officer_id, project["owner_id"], *(e["decided_by"] for e in entries)})
    children = tuple(
        ChildCase(
            ref=r.ref,
            pathway=r.pathway_id,
            stage=r.stage,
            status=r.status,
            result=r.result,
            due_at=r.due_at,
            subject=(r.data or {}).get("_spawn", {}).get("item"),  # the mission or carrier it was opened for
        )
        for r in conn.execute(
            select(
                CASE.c.ref,
                CASE.c.pathway_id,
                CASE.c.stage,
                CASE.c.status,
                CASE.c.result,
                CASE.c.due_at,
                CASE.c.data,
            )
            .where(CASE.c.parent_id == case.id)
            .order_by(CASE.c.id)
        )
    )
    parent = None
    if case.parent_id is not None:
        parent = conn.execute(select(CASE.c.ref).where(CASE.c.id == case.parent_id)).scalar_one()
    stage = spec.stage(case.stage) if case.stage else None
    return CaseDetails(
        id=case.id,
        ref=case.ref,
        pathway=spec.id,
        pathway_version=spec.version,
        pathway_title=spec.title.get(lang),
        status=case.status,
        result=case.result,
        result_label=_result_label(spec, case.result, lang),
        stage=case.stage,
        stage_title=stage.title.get(lang) if stage else None,
        outcomes={k: o.label.get(lang) for k, o in stage.outcomes.items()} if stage else {},
        # The exits an open case may close through, at any stage, with a reason (`case close`).
        exits={k: label.get(lang) for k, label in spec.all_exits.items()} if stage else {},
        fields={
            k: FieldBrief(type=f.type.value, label=f.label.get(lang), required=f.required)
            for k, f in stage.fields.items()
        }
        if stage
        else {},
        due_at=case.due_at,
        officer=names.get(case.officer_id) if case.officer_id else None,
        project=ProjectBrief(
            id=project["id"],
            name=project["name"],
            phase=project["phase"],
            territory=project["territory"],
            legal_form=project["legal_form"],
            owner_id=project["owner_id"],
            owner=names.get(project["owner_id"]) if project["owner_id"] else None,
        ),
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        version=case.version,
        data=case.data,
        parent=parent,
        children=children,
        entries=tuple(
            StageStay(
                seq=e["seq"],
                stage=e["stage"],
                entered_at=e["entered_at"],
                due_at=e["due_at"],
                left_at=e["left_at"],
                outcome=e["outcome"],
                values=e["values"],
                decided_by=names.get(e["decided_by"]) if e["decided_by"] else None,
                note=e["note"],
            )
            for e in entries
        ),
    )


def _result_label(spec: PathwaySpec, result: str | None, lang: str) -> str | None:
    """The label of an end result or an exit; the bare name if the pathway no longer knows it."""
    if result is None:
        return None
    label = spec.result_label(result)
    return label.get(lang) if label is not None else result


def decision_details(conn: Connection, entry_ids: set[int]) -> dict[int, DecisionDetails]:
    """The values and note of decided stage entries (kept outside the audit chain), by entry id."""
    if not entry_ids:
        return {}
    rows = conn.execute(select(ENTRY.c.id, ENTRY.c["values"], ENTRY.c.note).where(ENTRY.c.id.in_(entry_ids)))
    return {r[0]: DecisionDetails(values=r[1], note=r[2]) for r in rows}


def with_decision_details(conn: Connection, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit payloads of decisions completed with the values and note from their stage entry.

    Payloads are JSON documents (their keys depend on the event's kind), so they stay dictionaries.
    """
    details = decision_details(conn, {p["entry"] for p in payloads if isinstance(p.get("entry"), int)})
    # a directory edit carries a digest of values but no stage entry: left as it is
    return [
        _completed(p, details.get(p["entry"]) if "entry" in p else None) if "values_digest" in p else p
        for p in payloads
    ]


def _completed(payload: dict[str, Any], details: DecisionDetails | None) -> dict[str, Any]:
    if details is None:
        return {**payload}  # a copy all the same, as for a completed one
    return {**payload, "values": details.values, "note": details.note}


def history(conn: Connection, ref: str | int) -> list[HistoryEntry]:
    """Every audit event of a case, oldest first, with who and when (effective and recorded)."""
    case = find_case(conn, ref)
    events = (
        select(AUDIT, PERSON.c.name.label("actor_name"))
        .outerjoin(PERSON, PERSON.c.id == AUDIT.c.actor_id)  # who, in the same statement
        .where(AUDIT.c.case_id == case.id)
        .order_by(AUDIT.c.organisation_id, AUDIT.c.seq)
    )
    rows = [dict(r) for r in conn.execute(events).mappings()]
    payloads = with_decision_details(conn, [r["payload"] for r in rows])
    return [
        HistoryEntry(
            seq=r["seq"],
            kind=r["kind"],
            at=r["effective_at"],
            recorded_at=r["recorded_at"],
            actor=r["actor_name"] or "system",
            details=payload,
        )
        for r, payload in zip(rows, payloads, strict=True)
    ]


def case_rows(
    conn: Connection,
    *,
    orgs: Collection[int] | None,
    status: str | None = "open",
    officer_id: int | None = None,
    org_id: int | None = None,
    pathway: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[CaseRow]:
    """Cases of the organisations `orgs` (all when None), newest first."""
    query = (
        select(
            CASE.c.id,
            CASE.c.ref,
            CASE.c.organisation_id,
            CASE.c.pathway_id,
            CASE.c.stage,
            CASE.c.status,
            CASE.c.result,
            CASE.c.due_at,
            CASE.c.officer_id,
            CASE.c.version,
            PROJECT.c.name.label("project"),
            PERSON.c.name.label("officer"),
        )
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .outerjoin(PERSON, PERSON.c.id == CASE.c.officer_id)  # names live only in the person table
        .order_by(CASE.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if orgs is not None:
        query = query.where(CASE.c.organisation_id.in_(sorted(orgs)))
    if status is not None:
        query = query.where(CASE.c.status == status)
    if officer_id is not None:
        query = query.where(CASE.c.officer_id == officer_id)
    if org_id is not None:
        query = query.where(CASE.c.organisation_id == org_id)
    if pathway is not None:
        query = query.where(CASE.c.pathway_id == pathway)
    return [CaseRow(**r) for r in conn.execute(query).mappings()]


def due_rows(
    conn: Connection,
    *,
    orgs: Collection[int] | None,
    now: datetime,
    within_days: int,
    officer_id: int | None = None,
    org_id: int | None = None,
    limit: int = 500,
    catalog: PathwayCatalog | None = None,
    lang: str = "en",
) -> list[DueRow]:
    """Open cases of `orgs` (all when None) due within `within_days` (overdue included), soonest first.

    With a catalogue, each row also has ``pathway_title`` and ``stage_title`` in `lang`.
    """
    query = (
        select(
            CASE.c.ref,
            CASE.c.organisation_id,
            CASE.c.pathway_id,
            CASE.c.pathway_version,
            CASE.c.stage,
            CASE.c.due_at,
            CASE.c.officer_id,
            PROJECT.c.name.label("project"),
        )
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .where(
            CASE.c.status == "open",
            CASE.c.due_at.is_not(None),
            CASE.c.due_at <= now + timedelta(days=within_days),
        )
        .order_by(CASE.c.due_at, CASE.c.id)
        .limit(limit)
    )
    if orgs is not None:
        query = query.where(CASE.c.organisation_id.in_(sorted(orgs)))
    if officer_id is not None:
        query = query.where(CASE.c.officer_id == officer_id)
    if org_id is not None:
        query = query.where(CASE.c.organisation_id == org_id)
    rows = conn.execute(query).all()
    names = names_of(conn, {r.officer_id for r in rows})
    return [
        DueRow(
            ref=r.ref,
            organisation_id=r.organisation_id,
            pathway_id=r.pathway_id,
            pathway_version=r.pathway_version,
            stage=r.stage,
            due_at=r.due_at,
            project=r.project,
            officer=names.get(r.officer_id or 0),
            overdue=r.due_at < now,
            **(_titles(catalog, r.pathway_id, r.pathway_version, r.stage, lang) if catalog else {}),
        )
        for r in rows
    ]


def _titles(
    catalog: PathwayCatalog, pathway: str, version: int, stage: str | None, lang: str
) -> dict[str, str]:
    """The titles of a case's pathway and stage in `lang` (the ids when the pathway no longer has them)."""
    try:
        spec = catalog.get(pathway, version)
    except NotFound:
        return {"pathway_title": pathway, "stage_title": stage or "—"}
    title = spec.stage(stage).title.get(lang) if stage is not None and stage in spec.stage_ids() else "—"
    return {"pathway_title": spec.title.get(lang), "stage_title": title}


def due(
    conn: Connection,
    *,
    now: datetime,
    within_days: int,
    officer: str | int | None = None,
    org: str | int | None = None,
) -> list[DueRow]:
    """Open cases due within `within_days` (overdue first), soonest first; officer and org by name or id."""
    return due_rows(
        conn,
        orgs=None,
        now=now,
        within_days=within_days,
        officer_id=directory.find_person(conn, officer).id if officer is not None else None,
        org_id=directory.find_org(conn, org).id if org is not None else None,
    )


def list_cases(
    conn: Connection,
    *,
    status: str | None = "open",
    officer: str | int | None = None,
    org: str | int | None = None,
    pathway: str | None = None,
    limit: int = 500,
) -> list[CaseRow]:
    """Cases, newest first, filtered by status, officer, organisation (by name or id), pathway."""
    return case_rows(
        conn,
        orgs=None,
        status=status,
        officer_id=directory.find_person(conn, officer).id if officer is not None else None,
        org_id=directory.find_org(conn, org).id if org is not None else None,
        pathway=pathway,
        limit=limit,
    )


def pending_jobs(conn: Connection, *, case_id: int | None = None) -> list[PendingJob]:
    """Outbox jobs not yet done."""
    query = select(JOB).where(JOB.c.status.in_(("pending", "failed"))).order_by(JOB.c.id)
    if case_id is not None:
        query = query.where(JOB.c.case_id == case_id)
    return [PendingJob.of(r) for r in conn.execute(query).mappings()]
