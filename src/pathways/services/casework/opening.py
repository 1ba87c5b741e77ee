"""Open a case for a project at the first stage of a pathway, in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from pathways.domain import case as machine
from pathways.domain import lifecycle
from pathways.domain.loader import PathwayCatalog
from pathways.domain.rules import DecisionContext
from pathways.services.casework.facts import DbFacts
from pathways.services.people import directory, org_holidays
from pathways.services.tx import Tx
from pathways.store.core import CASE

if TYPE_CHECKING:
    pass
from pathways.services.casework.lookup import next_ref, org_zone, project_facts
from pathways.services.casework.recording import enter_stage

_SET_CURRENT_ENTRY = (
    update(CASE)
    .where(CASE.c.id == bindparam("b_id"))
    .values(
        current_entry_id=bindparam("b_entry", type_=CASE.c.current_entry_id.type),
        due_at=bindparam("b_due", type_=CASE.c.due_at.type),
    )
)


def open_case(
    tx: Tx,
    catalog: PathwayCatalog,
    *,
    project: str | int,
    pathway: str,
    officer: str | int | None,
    parent_id: int | None = None,
    version: int | None = None,
    org_id: int | None = None,
) -> dict[str, Any]:
    """Open a case for a project at the first stage of a pathway; checks its entry rules.

    `org_id`: the project must be one of that organisation's. The officer must be a member of
    the project's organisation: anyone else gets the answer an unknown person gets.
    """
    spec = catalog.get(pathway, version)
    facts, proj = project_facts(tx.conn, directory.find_project(tx.conn, project, org_id=org_id)["id"])
    officer_id = (
        directory.find_person(tx.conn, officer, org_id=proj["organisation_id"])["id"]
        if officer is not None
        else None
    )
    lifecycle.require_phase(spec, facts.name, facts.phase)
    ctx = DecisionContext(pathway=spec, project=facts, facts=DbFacts(tx.conn), now=tx.at)
    machine.run_checks(spec.checks, ctx)

    opened_by = None
    if parent_id is not None:  # a hand-off or a spawn: the pathway may start such cases elsewhere
        opened_by = tx.conn.execute(select(CASE.c.pathway_id).where(CASE.c.id == parent_id)).scalar_one()
    state, _events = machine.start(spec, opened_by)
    entry = spec.entry_stage(opened_by)
    ref = next_ref(tx.conn, spec.reference, tx.at.year)
    case_id = tx.insert(
        CASE,
        ref=ref,
        organisation_id=proj["organisation_id"],
        project_id=proj["id"],
        pathway_id=spec.id,
        pathway_version=spec.version,
        stage=state.stage,
        status="open",
        officer_id=officer_id,
        parent_id=parent_id,
        opened_at=tx.at,
        data={},
        version=1,
    )
    zone = org_zone(tx.conn, proj["organisation_id"])
    entry_id, due = enter_stage(
        tx,
        case_id=case_id,
        ref=ref,
        spec=spec,
        stage=entry,
        seq=1,
        territory=proj["territory"],
        extra_holidays=org_holidays.days_off(tx.conn, proj["organisation_id"]),
        zone=zone,
        recorded={},
    )
    tx.conn.execute(_SET_CURRENT_ENTRY, {"b_id": case_id, "b_entry": entry_id, "b_due": due})
    tx.audit(
        organisation_id=proj["organisation_id"],
        case_id=case_id,
        kind="case_opened",
        payload={
            "ref": ref,
            "pathway": spec.id,
            "version": spec.version,
            "project": proj["id"],
            "stage": state.stage,
            "officer": officer_id,
            "parent": parent_id,
        },
    )
    return {"id": case_id, "ref": ref, "stage": state.stage, "due_at": due, "pathway": spec.id}
