"""Write a decision worked out by :mod:`pathways.services.casework.cases`: leave the stage, enter
the next (its entry, reminders and automatic steps), move the case under its version guard,
append the audit event and queue what follows (hand-offs, spawns, the project's phase).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update

from pathways.domain import case as machine
from pathways.domain import lifecycle
from pathways.domain.deadline import due_at, plan_notices
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.domain.spec import FieldType, PathwaySpec, Phase, StageSpec
from pathways.errors import Meanwhile
from pathways.services.casework import outbox
from pathways.services.people import directory, org_holidays
from pathways.services.tx import Tx
from pathways.store.core import CASE, ENTRY, NOTICE, PROJECT

if TYPE_CHECKING:
    pass

RESOURCE_FIELD = "resource_person"  # a person field of this name names the case's resource person


@dataclass(frozen=True, slots=True)
class Decided:
    """What a decision did, for the person who made it."""

    case_id: int
    ref: str
    left: str
    outcome: str
    entered: str | None
    result: str | None
    due_at: datetime | None
    version: int
    queued_work: bool = False  # hand-offs, spawns or automatic steps now wait in the outbox
    # Decisions recorded after this one was worked out, which its officer had not seen
    # (decided again on the case as it had become: casework.conflict).
    decided_over: tuple[Meanwhile, ...] = ()
    # Values recorded outside their field's usual range: recorded, and said to whoever decided.
    warnings: tuple[machine.OutsideUsual, ...] = ()


@dataclass(frozen=True, slots=True)
class PreparedDecision:
    """A decision worked out from one read of its case, not yet written (:func:`prepare_decision`)."""

    outcome: str
    values: Mapping[str, Any]  # as given (person fields not yet resolved)
    note: str | None
    expected_version: int | None
    at: datetime
    row: Mapping[str, Any]  # the decision read (_DECISION_READ)
    spec: PathwaySpec
    transition: machine.Transition
    # Worked out from the case's own row alone (no rule asked the database, no identifier to
    # give the project): still right as long as the case's version has not moved.
    self_contained: bool
    # Worked out again after the case moved: the decisions recorded since the first read.
    decided_over: tuple[Meanwhile, ...] = ()


class Moved(Exception):
    """The case's version moved between the decision's read and its write."""


# Statements built once with bind parameters (see lookup).
_LEAVE_ENTRY = (
    update(ENTRY)
    .where(ENTRY.c.id == bindparam("b_id"))
    .values(
        left_at=bindparam("b_at", type_=ENTRY.c.left_at.type),
        outcome=bindparam("b_outcome", type_=ENTRY.c.outcome.type),
        values=bindparam("b_values", type_=ENTRY.c["values"].type),
        decided_by=bindparam("b_by", type_=ENTRY.c.decided_by.type),
        note=bindparam("b_note", type_=ENTRY.c.note.type),
    )
)
# The reminders and escalations of the stage left are not touched: the sweep cancels a notice
# whose stage the case has left when it falls due, and never sends it. Cancelling them here
# cost a decision a quarter of its index pages (one leaf of the pending-notice index per notice,
# scattered by due date); at the sweep they sit together at the front of that index.
_INSERT_ENTRY = insert(ENTRY).returning(ENTRY.c.id)
# Every reminder and escalation of a stage entered, in one executemany (psycopg sends them
# together in its own pipeline; sqlite3 loops in C).
_INSERT_NOTICES = insert(NOTICE)
_MOVE_CASE_VALUES = {
    "stage": bindparam("b_stage", type_=CASE.c.stage.type),
    "status": bindparam("b_status", type_=CASE.c.status.type),
    "result": bindparam("b_result", type_=CASE.c.result.type),
    "data": bindparam("b_data", type_=CASE.c.data.type),
    "due_at": bindparam("b_due", type_=CASE.c.due_at.type),
    "current_entry_id": bindparam("b_entry", type_=CASE.c.current_entry_id.type),
    "closed_at": bindparam("b_closed", type_=CASE.c.closed_at.type),
    "version": bindparam("b_new_version", type_=CASE.c.version.type),
}
# The optimistic version guard: no row updated means someone else decided meanwhile. The
# resource person is set only by a decision naming one (an unchanged column touches no index).
_MOVE_CASE = {
    with_resource: (
        update(CASE)
        .where(CASE.c.id == bindparam("b_id"), CASE.c.version == bindparam("b_version"))
        .values(
            **_MOVE_CASE_VALUES,
            **(
                {"resource_id": bindparam("b_resource", type_=CASE.c.resource_id.type)}
                if with_resource
                else {}
            ),
        )
    )
    for with_resource in (False, True)
}


def enter_stage(
    tx: Tx,
    *,
    case_id: int,
    ref: str,
    spec: PathwaySpec,
    stage: StageSpec,
    seq: int,
    territory: str,
    extra_holidays: tuple[ExtraHoliday, ...],
    zone: ZoneInfo,
    recorded: Mapping[str, Any],
) -> tuple[int, datetime | None]:
    """Insert the stage entry, schedule its reminders and queue its automatic steps."""
    due = due_at(
        stage,
        entered_at=tx.at,
        territory=territory,
        zone=zone,
        recorded=recorded,
        extra_holidays=extra_holidays,
    )
    row = {
        "case_id": case_id,
        "seq": seq,
        "stage": stage.id,
        "entered_at": tx.at,
        "due_at": due,
        "left_at": None,
        "outcome": None,
        "values": {},
        "decided_by": None,
        "note": None,
    }
    entry_id = tx.conn.execute(_INSERT_ENTRY, row).scalar_one()
    notices = plan_notices(
        stage, entered_at=tx.at, due=due, territory=territory, zone=zone, extra_holidays=extra_holidays
    )
    rows = [
        {
            "case_id": case_id,
            "entry_id": entry_id,
            "rule": n.rule,
            "kind": n.kind,
            "to_role": n.to_role,
            "template": n.template,
            "due_at": n.due_at,
            "status": "pending",
            "done_at": None,
        }
        for n in notices
    ]
    if rows:
        tx.conn.execute(_INSERT_NOTICES, rows)
    for step in stage.steps:
        outbox.enqueue(
            tx,
            kind="step",
            key=f"step:{case_id}:{entry_id}:{step}",
            case_id=case_id,
            pathway_id=spec.id,
            payload={"step": step, "entry": entry_id, "stage": stage.id, "ref": ref},
        )
    return entry_id, due


def write_decision(tx: Tx, prepared: PreparedDecision) -> Decided:
    """Write a prepared decision: one transaction (state, audit, outbox); Moved if the case moved."""
    row, spec, transition, outcome = prepared.row, prepared.spec, prepared.transition, prepared.outcome
    proj = {
        "id": row["project_id"],
        "organisation_id": row["p_organisation_id"],
        "territory": row["p_territory"],
        "siret": row["p_siret"],
        "bce": row["p_bce"],
    }
    new = transition.state
    left = row["stage"]
    entry = row["current_entry_id"]
    assert entry is not None
    assert left is not None
    resource = transition.values.get(RESOURCE_FIELD, row["resource_id"])
    tx.conn.execute(
        _LEAVE_ENTRY,
        {
            "b_id": entry,
            "b_at": tx.at,
            "b_outcome": outcome,
            "b_values": dict(transition.values),
            "b_by": tx.actor_id,
            "b_note": prepared.note,
        },
    )
    entry_id, due = None, None
    entered = transition.entered
    if entered is not None:
        recorded = {k: v for values_ in new.data.values() for k, v in values_.items()}
        entry_id, due = enter_stage(
            tx,
            case_id=row["id"],
            ref=row["ref"],
            spec=spec,
            stage=spec.stage(entered),
            seq=row["e_seq"] + 1,
            territory=row["p_territory"],
            extra_holidays=org_holidays.decode(row["o_holidays"]),
            zone=ZoneInfo(row["o_timezone"]),
            recorded=recorded,
        )
    moved = tx.conn.execute(
        _MOVE_CASE[resource != row["resource_id"]],
        {
            "b_id": row["id"],
            "b_version": row["version"],
            "b_stage": new.stage,
            "b_status": new.status,
            "b_result": new.result,
            "b_data": dict(new.data),
            "b_due": due,
            "b_entry": entry_id,
            "b_closed": tx.at if new.status == "closed" else None,
            "b_resource": resource,
            "b_new_version": row["version"] + 1,
        },
    )
    if moved.rowcount != 1:  # the caller rolls back what was written above
        raise Moved
    tx.audit(
        organisation_id=row["organisation_id"],
        case_id=row["id"],
        kind="decision",
        payload={
            "ref": row["ref"],
            "stage": left,
            "outcome": outcome,
            "entered": entered,
            "result": new.result,
            # What was typed stays in the stage entry, which can be erased on request; the
            # chain holds the field names and a keyed digest, so an edit of the entry is
            # still detectable.
            "entry": entry,
            "fields": sorted(transition.values),
            "values_digest": values_digest(tx.key, transition.values, prepared.note),
            "version": row["version"] + 1,
            # The decision events it was recorded right after, unseen (casework.conflict).
            **({"decided_over": [m.seq for m in prepared.decided_over]} if prepared.decided_over else {}),
            **({"outside_usual": [w.field for w in transition.warnings]} if transition.warnings else {}),
        },
        head=(row["h_seq"], row["h_digest"]) if row["h_seq"] is not None else None,
    )
    _record_identifiers(tx, spec.stage(left).fields_for(outcome), transition.values, proj, row["id"])
    _follow_up(tx, row=row, proj=proj, transition=transition, entry_id=entry)
    return Decided(
        case_id=row["id"],
        ref=row["ref"],
        left=left,
        outcome=outcome,
        entered=entered,
        result=new.result,
        due_at=due,
        version=row["version"] + 1,
        queued_work=_queues_work(spec, transition),
        decided_over=prepared.decided_over,
        warnings=transition.warnings,
    )


def _queues_work(spec: PathwaySpec, transition: machine.Transition) -> bool:
    """Whether the decision left hand-offs, spawns or automatic steps waiting in the outbox."""
    follow_ups = (machine.HandOffRequested, machine.ChildrenRequested)
    if any(isinstance(event, follow_ups) for event in transition.events):
        return True
    return transition.entered is not None and bool(spec.stage(transition.entered).steps)


def identifiers(specs: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, str]:
    """The SIRET, SIREN and BCE numbers among a decision's recorded values."""
    found: dict[str, str] = {}
    for name, value in values.items():
        kind = specs[name].type
        if kind is FieldType.SIRET:
            found |= {"siret": value, "siren": value[:9]}
        elif kind is FieldType.BCE:
            found["bce"] = value
    return found


def _record_identifiers(
    tx: Tx, specs: Mapping[str, Any], values: Mapping[str, Any], proj: Mapping[str, Any], case_id: int
) -> None:
    """A SIRET or BCE number recorded by a decision (e.g. at founding) becomes the project's own."""
    found = {
        name: number
        for name, number in identifiers(specs, values).items()
        if not proj["bce" if name == "bce" else "siret"]
    }
    for column, number in found.items():
        # One legal entity, one project in an organisation: as when the project was added.
        directory.refuse_twin(
            tx.conn, proj["organisation_id"], column, number, "SIRET" if column == "siret" else "BCE number"
        )
    if found:
        tx.conn.execute(update(PROJECT).where(PROJECT.c.id == proj["id"]).values(**found))
        tx.audit(
            organisation_id=proj["organisation_id"],
            case_id=case_id,
            kind="project_identified",
            payload={"project": proj["id"], **found},
        )


def values_digest(key: bytes, values: Mapping[str, Any], note: str | None) -> str:
    """HMAC of a decision's recorded values and note, as kept in the audit chain."""
    canonical = json.dumps(
        {"values": values, "note": note}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _follow_up(
    tx: Tx, *, row: Mapping[Any, Any], proj: Mapping[str, Any], transition: machine.Transition, entry_id: int
) -> None:
    """Queue hand-offs and spawns; move the project's lifecycle phase (same transaction)."""
    for event in transition.events:
        if isinstance(event, machine.HandOffRequested):
            outbox.enqueue(
                tx,
                kind="handoff",
                key=f"handoff:{row['id']}:{entry_id}",
                case_id=row["id"],
                pathway_id=row["pathway_id"],
                payload={"pathway": event.pathway, "ref": row["ref"]},
            )
        elif isinstance(event, machine.ChildrenRequested):
            outbox.enqueue(
                tx,
                kind="spawn",
                key=f"spawn:{row['id']}:{entry_id}",
                case_id=row["id"],
                pathway_id=row["pathway_id"],
                payload={"pathway": event.pathway, "items": list(event.items), "ref": row["ref"]},
            )
        elif isinstance(event, machine.PhaseReached):
            set_phase(tx, project=proj, phase=event.phase, case_id=row["id"])


def set_phase(tx: Tx, *, project: Mapping[str, Any], phase: Phase, case_id: int | None) -> None:
    """Move a project forward in its lifecycle (never back), with an audit event."""
    current = tx.conn.execute(select(PROJECT.c.phase).where(PROJECT.c.id == project["id"])).scalar_one()
    reached = lifecycle.advance(Phase(current), phase)
    if reached is None:
        return
    tx.conn.execute(update(PROJECT).where(PROJECT.c.id == project["id"]).values(phase=reached.value))
    tx.audit(
        organisation_id=project["organisation_id"],
        case_id=case_id,
        kind="phase_changed",
        payload={"project": project["id"], "from": current, "to": reached.value},
    )
