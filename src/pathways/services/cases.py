"""Open a case and record decisions: each one transaction (state, audit, outbox).

The domain decides (:mod:`pathways.domain.case`); this module loads what it
needs, persists the result guarded by the case's version number, appends the
audit event and queues what must follow in the outbox.

A decision is read and worked out (:func:`prepare_decision`), then written
(:func:`decide` does both in the caller's transaction). People record theirs through
:func:`deciding`, which on SQLite works the decision out before taking the database's
one write lock and writes it after, decided again under the lock if its rules asked the
database. A decision is written on the version it was worked out on: if the case moved, it is
refused or decided again as :mod:`pathways.services.conflict` says, on either database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pathways.domain import case as machine
from pathways.domain import fields, lifecycle
from pathways.domain.deadline import due_at, plan_notices
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.domain.loader import PathwayCatalog
from pathways.domain.rules import DecisionContext, ProjectFacts
from pathways.domain.spec import FieldType, PathwaySpec, Phase, StageSpec
from pathways.errors import Conflict, FieldError, Meanwhile, NotFound, Refused
from pathways.services import conflict, directory, org_holidays, outbox
from pathways.services.facts import DbFacts
from pathways.services.tx import Tx, write
from pathways.store.tables import AuditHead, Case, Notice, Organisation, Project, RefCounter, StageEntry

if TYPE_CHECKING:
    from pathways.bootstrap import App

CASE = Case.__table__  # type: ignore[attr-defined]
ENTRY = StageEntry.__table__  # type: ignore[attr-defined]
NOTICE = Notice.__table__  # type: ignore[attr-defined]
PROJECT = Project.__table__  # type: ignore[attr-defined]
ORG = Organisation.__table__  # type: ignore[attr-defined]
REF = RefCounter.__table__  # type: ignore[attr-defined]
HEAD = AuditHead.__table__  # type: ignore[attr-defined]
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
    # (decided again on the case as it had become: services.conflict).
    decided_over: tuple[Meanwhile, ...] = ()


# Statements built once with bind parameters (b_*, never a column's name): a decision runs
# each of them, and building a statement costs more than running it (bench/RESULTS.md);
# SQLAlchemy caches each one's compiled form, and on PostgreSQL psycopg prepares it on the
# server (store.db).
# A case by id or reference: every request about a case starts with it.
_CASE_BY = {
    "id": select(CASE).where(CASE.c.id == bindparam("b_id")),
    "ref": select(CASE).where(CASE.c.ref == bindparam("b_ref")),
}
_PROJECT_BY_ID = select(PROJECT).where(PROJECT.c.id == bindparam("b_id"))
_ORG_ZONE = select(ORG.c.timezone).where(ORG.c.id == bindparam("b_id"))

# Everything a decision reads, in one statement: the case, its project's facts, the
# organisation's time zone, the current stage entry and the audit chain's head (unlocked:
# the append checks it is still the head, see store.audit.append_event).
_DECISION_COLUMNS = (
    *CASE.c,
    PROJECT.c.name.label("p_name"),
    PROJECT.c.organisation_id.label("p_organisation_id"),
    PROJECT.c.legal_form.label("p_legal_form"),
    PROJECT.c.phase.label("p_phase"),
    PROJECT.c.territory.label("p_territory"),
    PROJECT.c.permanent_jobs.label("p_permanent_jobs"),
    PROJECT.c.fixed_term_jobs.label("p_fixed_term_jobs"),
    PROJECT.c.siret.label("p_siret"),
    PROJECT.c.bce.label("p_bce"),
    ORG.c.timezone.label("o_timezone"),
    org_holidays.CODES_OF_CASE_ORG.label("o_holidays"),  # days off the organisation adds
    ENTRY.c.entered_at.label("e_entered_at"),
    ENTRY.c.seq.label("e_seq"),
    HEAD.c.seq.label("h_seq"),
    HEAD.c.digest.label("h_digest"),
)
_DECISION_FROM = (
    CASE.join(PROJECT, PROJECT.c.id == CASE.c.project_id)
    .join(ORG, ORG.c.id == CASE.c.organisation_id)
    .outerjoin(ENTRY, ENTRY.c.id == CASE.c.current_entry_id)
    .outerjoin(HEAD, HEAD.c.organisation_id == CASE.c.organisation_id)
)
_DECISION_READ = {
    by: select(*_DECISION_COLUMNS)
    .select_from(_DECISION_FROM)
    .where(CASE.c.id == bindparam("b_id") if by == "id" else CASE.c.ref == bindparam("b_ref"))
    for by in ("id", "ref")
}
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
_SET_CURRENT_ENTRY = (
    update(CASE)
    .where(CASE.c.id == bindparam("b_id"))
    .values(
        current_entry_id=bindparam("b_entry", type_=CASE.c.current_entry_id.type),
        due_at=bindparam("b_due", type_=CASE.c.due_at.type),
    )
)
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


def _case_key(ref: str | int) -> tuple[str, dict[str, Any]]:
    """('id' or 'ref', parameters) for a case reference (DIAG-2026-0001) or id."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return text, {"b_id": int(text)}
    return text, {"b_ref": text.upper()}


def _no_case(text: str) -> NotFound:
    return NotFound(f"no case '{text}'", hint="case references look like DIAG-2026-0001; see `pathways due`")


def find_case(conn: Connection, ref: str | int) -> dict[str, Any]:
    """A case by reference (DIAG-2026-0001) or id."""
    text, params = _case_key(ref)
    row = conn.execute(_CASE_BY["id" if "b_id" in params else "ref"], params).mappings().first()
    if row is None:
        raise _no_case(text)
    return dict(row)


def next_ref(conn: Connection, prefix: str, year: int) -> str:
    """The next readable case reference, e.g. DIAG-2026-0042 (gapless per prefix and year)."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(REF).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
    number = conn.execute(
        update(REF)
        .where(REF.c.prefix == prefix, REF.c.year == year)
        .values(last=REF.c.last + 1)
        .returning(REF.c.last)
    ).scalar_one()
    return f"{prefix}-{year}-{number:04d}"


def _project_facts(conn: Connection, project_id: int) -> tuple[ProjectFacts, dict[str, Any]]:
    row = conn.execute(_PROJECT_BY_ID, {"b_id": project_id}).mappings().one()
    return _facts(row, project_id=row["id"]), dict(row)


def _facts(row: Mapping[Any, Any], *, project_id: int, prefix: str = "") -> ProjectFacts:
    """The project facts the programme rules see, from a row of project columns (named `prefix` + column)."""
    return ProjectFacts(
        id=project_id,
        name=row[f"{prefix}name"],
        legal_form=row[f"{prefix}legal_form"],
        phase=Phase(row[f"{prefix}phase"]),
        territory=row[f"{prefix}territory"],
        salaried_jobs=row[f"{prefix}permanent_jobs"] + row[f"{prefix}fixed_term_jobs"],
        organisation=row[f"{prefix}organisation_id"],
    )


def _zone(conn: Connection, org_id: int) -> ZoneInfo:
    return ZoneInfo(conn.execute(_ORG_ZONE, {"b_id": org_id}).scalar_one())


def _enter_stage(
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
    facts, proj = _project_facts(tx.conn, directory.find_project(tx.conn, project, org_id=org_id)["id"])
    officer_id = (
        directory.find_person(tx.conn, officer, org_id=proj["organisation_id"])["id"]
        if officer is not None
        else None
    )
    lifecycle.require_phase(spec, facts.name, facts.phase)
    ctx = DecisionContext(pathway=spec, project=facts, facts=DbFacts(tx.conn), now=tx.at)
    machine.run_checks(spec.checks, ctx)

    state, _events = machine.start(spec)
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
    zone = _zone(tx.conn, proj["organisation_id"])
    entry_id, due = _enter_stage(
        tx,
        case_id=case_id,
        ref=ref,
        spec=spec,
        stage=spec.first_stage,
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


class _Moved(Exception):
    """The case's version moved between the decision's read and its write."""


def decide(
    tx: Tx,
    catalog: PathwayCatalog,
    *,
    case: str | int,
    outcome: str,
    values: Mapping[str, Any],
    note: str | None = None,
    expected_version: int | None = None,
) -> Decided:
    """Record a decision; FieldError, TransitionNotAllowed, RuleViolation or Conflict change nothing."""
    prepared = prepare_decision(
        tx.conn,
        catalog,
        case=case,
        outcome=outcome,
        values=values,
        note=note,
        expected_version=expected_version,
        at=tx.at,
    )
    return _write_or_conflict(tx, prepared)


def _write_or_conflict(tx: Tx, prepared: PreparedDecision) -> Decided:
    """Write a decision worked out in this transaction: Conflict if the case moved meanwhile."""
    try:
        return _write_decision(tx, prepared)
    except _Moved:
        raise Conflict(
            f"case {prepared.row['ref']} was changed by someone else while you decided",
            hint="reload the case (`pathways case show`) and decide again",
        ) from None


class Deciding:
    """One decision being recorded (:func:`deciding`): read on :attr:`conn`, then :meth:`prepare`."""

    def __init__(self, app: App, conn: Connection, at: datetime) -> None:
        self.conn = conn  # for the caller's own reads: who asks, may they, which case
        self._app = app
        self._at = at
        self._worked_out: PreparedDecision | None = None
        self._actor_id: int | None = None
        self._decided: Decided | None = None

    def prepare(
        self,
        *,
        actor_id: int | None,
        case: str | int,
        outcome: str,
        values: Mapping[str, Any],
        note: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Work the decision out (:func:`decide`'s refusals); it is written when the block ends."""
        self._actor_id = actor_id
        self._worked_out = prepare_decision(
            self.conn,
            self._app.catalog,
            case=case,
            outcome=outcome,
            values=values,
            note=note,
            expected_version=expected_version,
            at=self._at,
        )

    def _finish(self, write_: Callable[[PreparedDecision, int | None], Decided]) -> None:
        if self._worked_out is not None:
            self._decided = write_(self._worked_out, self._actor_id)

    @property
    def decided(self) -> Decided:
        """What the decision did, once the ``with deciding(...)`` block has ended."""
        if self._decided is None:
            raise RuntimeError("the decision is written when the `with deciding(...)` block ends")
        return self._decided


@contextmanager
def deciding(app: App) -> Iterator[Deciding]:
    """Record one decision, read and worked out in the block, written when it ends.

    Where every writer queues for one lock over the whole database (SQLite), the block runs in
    a read transaction and the decision is written after it (:func:`record_decision`): the lock
    is held for the writes alone (bench/RESULTS.md). Elsewhere (PostgreSQL, whose writers lock
    only the rows they change) the block and the writes are one write transaction, which saves
    a transaction's round trips and keeps the audit chain's head read with the case.

        with cases.deciding(app) as decision:
            case = ...  # who asks, and may they: read on decision.conn
            decision.prepare(actor_id=..., case=case["id"], outcome=..., values=...)
        decision.decided
    """
    if app.store.single_writer:
        with app.store.read() as conn:
            decision = Deciding(app, conn, app.clock.now())
            yield decision
        decision._finish(lambda prepared, actor: record_decision(app, prepared, actor_id=actor))
        return
    try:
        with write(app) as tx:
            decision = Deciding(app, tx.conn, tx.at)
            yield decision
            decision._finish(lambda prepared, actor: _write_decision(replace(tx, actor_id=actor), prepared))
    except _Moved:  # rolled back: as on SQLite, refused or decided again (services.conflict)
        decision._finish(lambda prepared, actor: _after_moved(app, prepared, actor_id=actor))


def record_decision(app: App, prepared: PreparedDecision, *, actor_id: int | None) -> Decided:
    """Write a decision prepared in an earlier (read) transaction; :func:`decide`'s errors.

    The write transaction then holds the write lock (on SQLite one for the whole database) for
    the writes alone, not for reading the case and checking the rules. The case's version
    guards the write: if the decision asked the database more than its case (a rule's facts),
    it is decided again inside the write transaction; if someone decided meanwhile, it is
    refused or decided again as :mod:`pathways.services.conflict` says.
    """
    if prepared.self_contained:
        try:
            with write(app, actor_id=actor_id, at=prepared.at) as tx:
                return _write_decision(tx, prepared)
        except _Moved:
            return _after_moved(app, prepared, actor_id=actor_id)
    with write(app, actor_id=actor_id) as tx:
        return _decide_again(tx, app.catalog, prepared)


def _after_moved(app: App, prepared: PreparedDecision, *, actor_id: int | None) -> Decided:
    """A prepared decision whose case moved before its write (rolled back): refused if it was made
    on an expected version, naming who decided; else decided again on the case as it now is."""
    if prepared.expected_version is not None:
        with app.store.read() as conn:
            raise conflict.stale(
                conn, case_id=prepared.row["id"], ref=prepared.row["ref"], expected=prepared.expected_version
            )
    with write(app, actor_id=actor_id) as tx:
        return _decide_again(tx, app.catalog, prepared)


def _decide_again(tx: Tx, catalog: PathwayCatalog, prepared: PreparedDecision) -> Decided:
    """Work a prepared decision out again in this write transaction and write it; the decisions
    recorded since its first read (which its officer had not seen) go into its history."""
    again = prepare_decision(
        tx.conn,
        catalog,
        case=prepared.row["id"],
        outcome=prepared.outcome,
        values=prepared.values,
        note=prepared.note,
        expected_version=prepared.expected_version,
        at=tx.at,
    )
    if again.row["version"] != prepared.row["version"]:
        unseen = conflict.decisions_since(tx.conn, prepared.row["id"], version=prepared.row["version"])
        again = replace(again, decided_over=unseen)
    return _write_or_conflict(tx, again)


def prepare_decision(
    conn: Connection,
    catalog: PathwayCatalog,
    *,
    case: str | int,
    outcome: str,
    values: Mapping[str, Any],
    note: str | None = None,
    expected_version: int | None = None,
    at: datetime,
) -> PreparedDecision:
    """Read the case and work the decision out, writing nothing; :func:`decide`'s refusals."""
    text, params = _case_key(case)
    found = conn.execute(_DECISION_READ["id" if "b_id" in params else "ref"], params).mappings().first()
    if found is None:
        raise _no_case(text)
    row = dict(found)
    if expected_version is not None and row["version"] != expected_version:
        raise conflict.stale(conn, case_id=row["id"], ref=row["ref"], expected=expected_version)
    spec = catalog.get(row["pathway_id"], row["pathway_version"])
    state = machine.CaseState(
        stage=row["stage"], status=row["status"], result=row["result"], data=row["data"]
    )
    facts = DbFacts(conn)
    transition = machine.decide(
        spec,
        state,
        outcome,
        _resolve_people(conn, spec, row["stage"], outcome, values, org_id=row["organisation_id"]),
        project=_facts(row, project_id=row["project_id"], prefix="p_"),
        facts=facts,
        now=at,
        case_id=row["id"],
        stage_entered_at=row["e_entered_at"],
    )
    return PreparedDecision(
        outcome=outcome,
        values=values,
        note=note,
        expected_version=expected_version,
        at=at,
        row=row,
        spec=spec,
        transition=transition,
        self_contained=not facts.consulted
        and not _identifiers(spec.stage(row["stage"]).fields_for(outcome), transition.values),
    )


def _write_decision(tx: Tx, prepared: PreparedDecision) -> Decided:
    """Write a prepared decision: one transaction (state, audit, outbox); _Moved if the case moved."""
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
        entry_id, due = _enter_stage(
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
        raise _Moved
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
            # The decision events it was recorded right after, unseen (services.conflict).
            **({"decided_over": [m.seq for m in prepared.decided_over]} if prepared.decided_over else {}),
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
    )


def _queues_work(spec: PathwaySpec, transition: machine.Transition) -> bool:
    """Whether the decision left hand-offs, spawns or automatic steps waiting in the outbox."""
    follow_ups = (machine.HandOffRequested, machine.ChildrenRequested)
    if any(isinstance(event, follow_ups) for event in transition.events):
        return True
    return transition.entered is not None and bool(spec.stage(transition.entered).steps)


def _identifiers(specs: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, str]:
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
        for name, number in _identifiers(specs, values).items()
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


def _resolve_people(
    conn: Connection,
    spec: PathwaySpec,
    stage_id: str | None,
    outcome: str,
    values: Mapping[str, Any],
    *,
    org_id: int,
) -> Mapping[str, Any]:
    """Person fields given as id, handle, email or name become person ids, among the members of the
    case's organisation `org_id`: anyone else, like an unknown person, is a FieldError."""
    if stage_id is None or outcome not in spec.stage(stage_id).outcomes:
        return values  # the state machine refuses the decision with the right message
    resolved = dict(values)
    for name, field in spec.stage(stage_id).fields_for(outcome).items():
        is_list = field.type is FieldType.LIST and field.items is FieldType.PERSON
        if name not in values or not (field.type is FieldType.PERSON or is_list):
            continue
        refs = fields.parse_list(values[name]) if is_list else [values[name]]
        ids = []
        for ref in refs:
            try:
                ids.append(directory.find_person(conn, ref, org_id=org_id)["id"])
            except (NotFound, Refused) as exc:
                raise FieldError(name, exc.message, hint=exc.hint) from None
        resolved[name] = ids if is_list else ids[0]
    return resolved


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
