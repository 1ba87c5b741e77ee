"""Close a case through an exit of its pathway, at any open stage, with a reason: one transaction.

The state machine says whether it may close (:func:`pathways.domain.exits.close`); this module
writes it, in the caller's transaction, guarded by the case's version like a decision:

- the current stage entry is left with the exit as its outcome and the reason as its note
  (outside the audit chain, erasable on request; the chain keeps its keyed digest);
- the case is closed with the exit as its result;
- what waited for the case is cancelled, once: its pending reminders and escalations, its
  messages not yet sent, and the automatic steps of the stage it was in (its agenda entry, its
  document), so the pathway's flow run finds nothing of it to run and finishes;
- an audit event ``decision`` (outcome and result: the exit, ``exit: true``) records it, so the
  history, a form shown before the closing (``DecidedMeanwhile``) and the reports see it as
  every other end;
- child cases (consulting missions, local project leads' cases) stay as they are: each follows
  its own course and is closed on its own. :class:`Closed` names those still open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, select, update

from pathways.domain import case as machine
from pathways.domain import exits
from pathways.domain.loader import PathwayCatalog
from pathways.errors import Conflict, NotFound, TransitionNotAllowed
from pathways.services.casework import conflict, scoped
from pathways.services.casework.lookup import find_case
from pathways.services.casework.recording import set_phase, values_digest
from pathways.services.casework.views import CaseView
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import require
from pathways.services.tx import Tx, write
from pathways.store.core import CASE, ENTRY, JOB, NOTICE, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["CloseCase", "Closed", "close", "close_case"]


@dataclass(frozen=True, slots=True)
class Closed:
    """What closing a case did."""

    case_id: int
    ref: str
    left: str  # the stage it was at
    result: str  # the exit
    closed_at: datetime
    version: int
    notices_cancelled: int  # reminders and escalations that will not go out
    work_cancelled: int  # messages not yet sent and automatic steps of the stage left
    children_open: tuple[str, ...]  # child cases left open, as they are


def close_case(
    tx: Tx,
    catalog: PathwayCatalog,
    *,
    case: str | int,
    result: str,
    reason: str,
    expected_version: int | None = None,
) -> Closed:
    """Close the case through the exit `result`; FieldError, TransitionNotAllowed or Conflict change nothing.

    The caller has checked that the case is the actor's to close (its organisation).
    """
    row = find_case(tx.conn, case)
    if row.status != "open":  # said first: a form shown before the closing is out of date too
        raise TransitionNotAllowed(
            f"case {row.ref} is already closed ({row.result}); it cannot be closed again",
            hint="open a new case to support the project again",
            code="case_already_closed",
            params={"ref": row.ref, "result": row.result},
        )
    if expected_version is not None and row.version != expected_version:
        raise conflict.stale(tx.conn, case_id=row.id, ref=row.ref, expected=expected_version)
    spec = catalog.get(row.pathway_id, row.pathway_version)
    entry = row.current_entry_id
    entered_at = None
    if entry is not None:
        entered_at = tx.conn.execute(select(ENTRY.c.entered_at).where(ENTRY.c.id == entry)).scalar_one()
    state = machine.CaseState(stage=row.stage, status="open", result=row.result, data=row.data)
    transition = exits.close(spec, state, result, reason, now=tx.at, stage_entered_at=entered_at)
    note = reason.strip()
    assert entry is not None  # an open case is at a stage
    assert row.stage is not None
    tx.conn.execute(
        update(ENTRY)
        .where(ENTRY.c.id == entry)
        .values(left_at=tx.at, outcome=result, values={}, decided_by=tx.actor_id, note=note)
    )
    moved = tx.conn.execute(
        update(CASE)
        .where(CASE.c.id == row.id, CASE.c.version == row.version)
        .values(
            stage=None,
            status="closed",
            result=result,
            due_at=None,
            current_entry_id=None,
            closed_at=tx.at,
            version=row.version + 1,
        )
    )
    if moved.rowcount != 1:  # the caller's transaction rolls back the entry's update
        raise Conflict(
            f"case {row.ref} was changed by someone else while you closed it",
            hint="reload the case (`pathways case show`) and close it again if it still stands",
            code="case_changed_closing",
            params={"ref": row.ref},
        )
    notices = _cancel_notices(tx, row.id)
    work = _cancel_work(tx, row.id, entry, result)
    children = tuple(
        tx.conn.scalars(
            select(CASE.c.ref).where(CASE.c.parent_id == row.id, CASE.c.status == "open").order_by(CASE.c.id)
        )
    )
    tx.audit(
        organisation_id=row.organisation_id,
        case_id=row.id,
        kind="decision",
        payload={
            "ref": row.ref,
            "stage": row.stage,
            "outcome": result,
            "entered": None,
            "result": result,
            "exit": True,
            "entry": entry,
            "fields": [],
            "values_digest": values_digest(tx.key, {}, note),
            "version": row.version + 1,
            "notices_cancelled": notices,
            "work_cancelled": work,
            "children_open": list(children),
        },
    )
    for event in transition.events:
        if isinstance(event, machine.PhaseReached):
            project = tx.conn.execute(
                select(PROJECT.c.id, PROJECT.c.organisation_id).where(PROJECT.c.id == row.project_id)
            ).one()
            set_phase(
                tx,
                project={"id": project.id, "organisation_id": project.organisation_id},
                phase=event.phase,
                case_id=row.id,
            )
    return Closed(
        case_id=row.id,
        ref=row.ref,
        left=row.stage,
        result=result,
        closed_at=tx.at,
        version=row.version + 1,
        notices_cancelled=notices,
        work_cancelled=work,
        children_open=children,
    )


@dataclass(frozen=True, slots=True)
class CloseCase:
    """Close `case` through the exit `result`, with `reason`; refused if it changed since `expected_version`.

    `person`: the operator only (``by=None``), who closes it (a member of the case's organisation);
    without one, the case's officer.
    """

    case: str | int
    result: str
    reason: str
    expected_version: int | None = None
    person: str | int | None = None


def close(app: App, command: CloseCase, *, by: Principal | None) -> Closed:
    """Close a case, in a transaction of its own, if `by` may change it.

    A case of an organisation `by` has no role in is not found, as an unknown reference is;
    one it may read but not change is Forbidden.
    """
    with write(app, actor_id=by.person_id if by is not None else None) as opened:
        if by is not None:
            row = _changeable(opened.conn, by, command.case)
            tx = opened
        else:
            row = find_case(opened.conn, command.case)
            actor = (
                directory.find_person(opened.conn, command.person, org_id=row.organisation_id).id
                if command.person
                else row.officer_id
            )
            tx = replace(opened, actor_id=actor)
        return close_case(
            tx,
            app.catalog,
            case=row.id,
            result=command.result,
            reason=command.reason,
            expected_version=command.expected_version,
        )


def _changeable(conn: Connection, by: Principal, ref: str | int) -> CaseView:
    try:
        row = find_case(conn, ref)
    except NotFound:
        raise scoped.absent(ref) from None
    if not by.can(Permission.READ, row.organisation_id):
        raise scoped.absent(ref)
    require(by, row.organisation_id, Permission.WRITE, f"case '{str(ref).strip()}'")
    return row


def _cancel_notices(tx: Tx, case_id: int) -> int:
    """Every pending reminder and escalation of the case (of any stay: a stay left earlier keeps its
    notices pending until the sweep meets them), through the entries' index, not a scan."""
    entries = select(ENTRY.c.id).where(ENTRY.c.case_id == case_id).scalar_subquery()
    done = tx.conn.execute(
        update(NOTICE)
        .where(NOTICE.c.entry_id.in_(entries), NOTICE.c.status == "pending")
        .values(status="cancelled", done_at=tx.at)
    )
    return int(done.rowcount)


def _cancel_work(tx: Tx, case_id: int, entry_id: int, result: str) -> int:
    """The case's messages not yet sent, and the automatic steps of the stage it was at.

    A message being sent (``sending``) is left to its dispatcher, which finds the case closed;
    hand-offs and spawns decided earlier still happen; documents of earlier stages still render.
    """
    waiting = JOB.c.status.in_(("pending", "failed"))
    this_stage = and_(JOB.c.kind == "step", JOB.c.key.like(f"step:{case_id}:{entry_id}:%"))
    done = tx.conn.execute(
        update(JOB)
        .where(JOB.c.case_id == case_id, waiting, (JOB.c.kind == "message") | this_stage)
        .values(
            status="cancelled",
            updated_at=tx.recorded_at,
            last_error=f"the case was closed ({result}) before it ran",
        )
    )
    return int(done.rowcount)
