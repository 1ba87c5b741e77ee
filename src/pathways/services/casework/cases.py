"""Open a case and record decisions: each one transaction (state, audit, outbox).

The domain decides (:mod:`pathways.domain.case`); this module loads what it
needs, persists the result guarded by the case's version number, appends the
audit event and queues what must follow in the outbox.

A decision is read and worked out (:func:`prepare_decision`), then written
(:func:`decide` does both in the caller's transaction). People record theirs through
:func:`deciding`, which on SQLite works the decision out before taking the database's
one write lock and writes it after, decided again under the lock if its rules asked the
database. A decision is written on the version it was worked out on: if the case moved, it is
refused or decided again as :mod:`pathways.services.casework.conflict` says, on either database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, select

from pathways.domain import case as machine
from pathways.domain import fields
from pathways.domain.loader import PathwayCatalog
from pathways.domain.spec import FieldType, PathwaySpec
from pathways.errors import Conflict, FieldError, FieldErrors, FieldProblem, NotFound, Refused
from pathways.services.casework import conflict
from pathways.services.casework.facts import DbFacts
from pathways.services.people import directory, org_holidays
from pathways.services.tx import Tx, write
from pathways.store.core import CASE, ENTRY, HEAD, ORG, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App
from pathways.services.casework.lookup import case_key, no_case, project_facts_of_row
from pathways.services.casework.recording import Decided, Moved, PreparedDecision, identifiers, write_decision

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
    ORG.c.options.label("o_options"),  # local rules the organisation switched on or off
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
        return write_decision(tx, prepared)
    except Moved:
        raise Conflict(
            f"case {prepared.row['ref']} was changed by someone else while you decided",
            hint="reload the case (`pathways case show`) and decide again",
            code="case_changed_deciding",
            params={"ref": prepared.row["ref"]},
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
            decision._finish(lambda prepared, actor: write_decision(replace(tx, actor_id=actor), prepared))
    except Moved:  # rolled back: as on SQLite, refused or decided again (casework.conflict)
        decision._finish(lambda prepared, actor: _after_moved(app, prepared, actor_id=actor))


def record_decision(app: App, prepared: PreparedDecision, *, actor_id: int | None) -> Decided:
    """Write a decision prepared in an earlier (read) transaction; :func:`decide`'s errors.

    The write transaction then holds the write lock (on SQLite one for the whole database) for
    the writes alone, not for reading the case and checking the rules. The case's version
    guards the write: if the decision asked the database more than its case (a rule's facts),
    it is decided again inside the write transaction; if someone decided meanwhile, it is
    refused or decided again as :mod:`pathways.services.casework.conflict` says.
    """
    if prepared.self_contained:
        try:
            with write(app, actor_id=actor_id, at=prepared.at) as tx:
                return write_decision(tx, prepared)
        except Moved:
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
    text, params = case_key(case)
    found = conn.execute(_DECISION_READ["id" if "b_id" in params else "ref"], params).mappings().first()
    if found is None:
        raise no_case(text)
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
        project=project_facts_of_row(row, project_id=row["project_id"], prefix="p_"),
        facts=facts,
        now=at,
        case_id=row["id"],
        stage_entered_at=row["e_entered_at"],
        org_options=row["o_options"] or {},
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
        and not identifiers(spec.stage(row["stage"]).fields_for(outcome), transition.values),
    )


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
    case's organisation `org_id`: anyone else, like an unknown person, is refused with the decision's
    other field problems (:func:`pathways.domain.fields.refusal`)."""
    if stage_id is None or outcome not in spec.stage(stage_id).outcomes:
        return values  # the state machine refuses the decision with the right message
    stage = spec.stage(stage_id)
    resolved = dict(values)
    unknown: list[FieldError] = []
    for name, field in stage.fields_for(outcome).items():
        is_list = field.type is FieldType.LIST and field.items is FieldType.PERSON
        if name not in values or not (field.type is FieldType.PERSON or is_list):
            continue
        refs = fields.parse_list(values[name]) if is_list else [values[name]]
        ids = []
        for ref in refs:
            try:
                ids.append(directory.find_person(conn, ref, org_id=org_id).id)
            except (NotFound, Refused) as exc:
                params = {"value": str(ref)[:200]}
                unknown.append(FieldError(name, exc.message, hint=exc.hint, code="person", params=params))
                break
        resolved[name] = ids if is_list else (ids[0] if ids else None)
    if unknown:  # refused with every other field's problem, as the form shows them all at once
        named = {e.field for e in unknown}
        others: tuple[FieldProblem, ...] = ()
        try:
            fields.validate_values(stage, outcome, {k: v for k, v in resolved.items() if k not in named})
        except (FieldError, FieldErrors) as exc:
            others = fields.problems_of(exc)
        order = {name: i for i, name in enumerate(stage.fields_for(outcome))}
        every: list[FieldError | FieldProblem] = [*unknown, *(p for p in others if p.field not in named)]
        every.sort(key=lambda e: order.get(e.field.partition("[")[0], -1))
        raise fields.refusal(every)
    return resolved
