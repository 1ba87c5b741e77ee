"""The deadline sweep: turn due reminders and escalations into outbox messages.

It selects what is *due and not done* (never "due in the last interval"), from the
partial index on pending notices, so a late or missed run catches up and its cost
follows what is due, not how many cases are open. Each batch is one transaction:
the messages are queued under their natural key and the notices marked done
together, so a sweep that runs twice sends nothing twice. On PostgreSQL the
notices are locked ``FOR UPDATE SKIP LOCKED``: two sweeps at once share the work.

Recipients follow the notice's role: ``officer`` (the case's officer), ``manager``
(the managers of the case's organisation), ``owner`` (the project's owner),
``resource`` (the case's resource person); any other role (``consultant``...) is
the persons recorded in the case's fields of that name (``consultant``,
``consultants``), else the organisation's members with that role.

Officers who chose the digest (``person.digest``) get the items addressed to
them as officer rolled into one message a day, ``digest:{person}:{local date}``.
Items found after that day's digest has gone out wait for the next day's.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    RowMapping,
    String,
    any_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from pathways.services.casework.outbox_batch import add_to_digest, insert_jobs, job_row
from pathways.services.tx import Tx, write
from pathways.store.core import CASE, MEMBER, NOTICE, ORG, PERSON, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)

BATCH = 2000  # notices per transaction: fewer round trips and digest rewrites; small next to memory
DIRECT_ROLES = {"officer": "officer_id", "resource": "resource_id", "owner": "owner_id"}


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What a sweep did."""

    notices: int = 0  # due notices handled (done or cancelled)
    messages: int = 0  # message jobs queued (one per recipient)
    digest_items: int = 0  # items rolled into officers' digests
    unaddressed: int = 0  # notices with nobody to receive them (logged)
    cancelled: int = 0  # notices whose case had left the stage (not sent)
    batches: int = 0

    def __add__(self, other: SweepResult) -> SweepResult:
        return SweepResult(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


def sweep(app: App, *, now: datetime, limit: int | None = None, batch: int = BATCH) -> SweepResult:
    """Queue every reminder and escalation due at `now` and not yet done (at most `limit`)."""
    total = SweepResult()
    while limit is None or total.notices < limit:
        size = batch if limit is None else min(batch, limit - total.notices)
        with write(app, at=now) as tx:
            done = _sweep_batch(tx, size)
        if done.notices == 0:
            break
        total = total + done
    # The retention rule runs with the sweep: owners' personal data goes N years after their last case.
    from pathways.services.people.privacy import apply_retention

    apply_retention(app, now=now, years=app.settings.retention_years)
    log.info(
        "sweep at %s: %s notices, %s messages, %s digest items, %s unaddressed, %s cancelled",
        now.isoformat(),
        total.notices,
        total.messages,
        total.digest_items,
        total.unaddressed,
        total.cancelled,
    )
    return total


def _due_notices(conn: Connection, now: datetime, size: int) -> Sequence[RowMapping]:
    """The next `size` due notices (locked on PostgreSQL), with what routing them needs."""
    # The due notices are picked in a sub-select that reads only the partial index of pending
    # notices; joined directly, a planner may start from the small tables and scan every case.
    # Ordered by due_at alone: the index gives that order and stops after `size` rows (notices
    # share their instant, 09:00 of a business day; a tie-break on id would read them all).
    due = (
        select(NOTICE.c.id)
        .where(NOTICE.c.status == "pending", NOTICE.c.due_at <= now)
        .order_by(NOTICE.c.due_at)
        .limit(size)
    )
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    picked = due.subquery("due")
    query = (
        select(
            NOTICE.c.id,
            NOTICE.c.case_id,
            NOTICE.c.entry_id,
            NOTICE.c.rule,
            NOTICE.c.kind,
            NOTICE.c.to_role,
            NOTICE.c.template,
            CASE.c.ref,
            CASE.c.status.label("case_status"),
            CASE.c.current_entry_id,
            CASE.c.officer_id,
            CASE.c.resource_id,
            CASE.c.organisation_id,
            CASE.c.pathway_id,
            PROJECT.c.owner_id,
            ORG.c.timezone,
        )
        .select_from(picked)
        .join(NOTICE, NOTICE.c.id == picked.c.id)
        .join(CASE, CASE.c.id == NOTICE.c.case_id)
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .join(ORG, ORG.c.id == CASE.c.organisation_id)
        .order_by(NOTICE.c.due_at, NOTICE.c.id)
    )
    return conn.execute(query).mappings().all()


def _sweep_batch(tx: Tx, size: int) -> SweepResult:
    notices = _due_notices(tx.conn, tx.at, size)
    if not notices:
        return SweepResult()
    live = [n for n in notices if n["case_status"] == "open" and n["current_entry_id"] == n["entry_id"]]
    live_ids = {n["id"] for n in live}
    stale = [n["id"] for n in notices if n["id"] not in live_ids]
    recipients = _recipients(tx.conn, live)
    persons = _persons(tx.conn, {p for ids in recipients.values() for p in ids})
    at = tx.at.isoformat()

    jobs: list[dict[str, Any]] = []
    digests: dict[tuple[int, date, str], list[dict[str, Any]]] = defaultdict(list)
    unaddressed = 0
    for notice in live:
        people = [p for p in recipients[notice["id"]] if p in persons]
        if not people:
            unaddressed += 1
            log.warning(
                "%s %s of %s (%s): nobody is %s; nothing queued",
                notice["kind"],
                notice["rule"],
                notice["ref"],
                notice["template"],
                notice["to_role"],
            )
        item = {
            "notice": notice["id"],
            "case": notice["case_id"],
            "entry": notice["entry_id"],
            "rule": notice["rule"],
            "kind": notice["kind"],
            "template": notice["template"],
            "at": at,
        }
        for person in people:
            if notice["to_role"] == "officer" and persons[person]:
                day = tx.at.astimezone(ZoneInfo(notice["timezone"])).date()
                digests[(person, day, notice["timezone"])].append(item)
                continue
            jobs.append(
                job_row(
                    tx,
                    key=f"msg:{notice['case_id']}:{notice['entry_id']}:{notice['rule']}:{person}",
                    kind="message",
                    payload={**item, "person": person},
                    case_id=notice["case_id"],
                    pathway_id=notice["pathway_id"],
                    ready=tx.recorded_at,
                )
            )
    created = insert_jobs(tx.conn, jobs)
    # Digests in one lock order, so two sweeps at once cannot deadlock on them.
    for (person, day, zone), items in sorted(digests.items()):
        add_to_digest(tx, person=person, day=day, zone=ZoneInfo(zone), items=items)
    done_ids = [n["id"] for n in live]
    if done_ids:
        tx.conn.execute(
            update(NOTICE).where(_among(tx.conn, NOTICE.c.id, done_ids)).values(status="done", done_at=tx.at)
        )
    if stale:
        tx.conn.execute(
            update(NOTICE)
            .where(_among(tx.conn, NOTICE.c.id, stale))
            .values(status="cancelled", done_at=tx.at)
        )
    return SweepResult(
        notices=len(notices),
        messages=created,
        digest_items=sum(len(v) for v in digests.values()),
        unaddressed=unaddressed,
        cancelled=len(stale),
        batches=1,
    )


def _recipients(conn: Connection, notices: Sequence[RowMapping]) -> dict[int, list[int]]:
    """Person ids per notice id, for the notice's role."""
    managers: dict[int, list[int]] = defaultdict(list)
    orgs = {n["organisation_id"] for n in notices if n["to_role"] == "manager"}
    if orgs:
        rows = conn.execute(
            select(MEMBER.c.organisation_id, MEMBER.c.person_id)
            .where(MEMBER.c.organisation_id.in_(orgs), MEMBER.c.role == "manager")
            .order_by(MEMBER.c.person_id)
        )
        for org, person in rows:
            managers[org].append(person)
    found: dict[int, list[int]] = {}
    for notice in notices:
        role = notice["to_role"]
        if role in DIRECT_ROLES:
            person = notice[DIRECT_ROLES[role]]
            found[notice["id"]] = [person] if person is not None else []
        elif role == "manager":
            found[notice["id"]] = managers[notice["organisation_id"]]
        else:
            found[notice["id"]] = _recorded_people(conn, notice, role)
    return found


def _recorded_people(conn: Connection, notice: RowMapping, role: str) -> list[int]:
    """Persons in the case's `<role>` / `<role>s` fields, else the organisation's `<role>` members."""
    data = conn.execute(select(CASE.c.data).where(CASE.c.id == notice["case_id"])).scalar_one()
    values: list[Any] = []
    for stage_values in data.values():
        for name in (role, f"{role}s"):
            value = stage_values.get(name)
            values.extend(value if isinstance(value, list) else [value] if value is not None else [])
    refs = [str(v).strip() for v in values if str(v).strip()]
    if refs:
        ids = [int(r) for r in refs if r.isdigit()]
        names = [r for r in refs if not r.isdigit()]
        query = select(PERSON.c.id).where(
            PERSON.c.id.in_(ids) | PERSON.c.handle.in_(names) | PERSON.c.email.in_(names)
        )
        return sorted(set(conn.scalars(query)))
    query = select(MEMBER.c.person_id).where(
        MEMBER.c.organisation_id == notice["organisation_id"], MEMBER.c.role == role
    )
    return sorted(set(conn.scalars(query)))


def _persons(conn: Connection, ids: Iterable[int]) -> dict[int, bool]:
    """Reachable persons (not erased) and whether each wants the digest."""
    wanted = sorted(ids)
    if not wanted:
        return {}
    rows = conn.execute(
        select(PERSON.c.id, PERSON.c.digest).where(
            _among(conn, PERSON.c.id, wanted), PERSON.c.erased_at.is_(None)
        )
    )
    return {row.id: bool(row.digest) for row in rows}


def _among(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values` with one parameter whatever the count: `= ANY(:array)` on PostgreSQL,
    `IN (SELECT value FROM json_each(:list))` on SQLite.

    An IN list of a new length each batch is a new statement text: SQLAlchemy compiles it
    (a bound parameter per value) and the driver parses it, which costs more than the work.
    """
    if conn.dialect.name != "postgresql":
        listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String())).table_valued(
            "value"
        )
        return column.in_(select(listed.c.value))
    kind = String() if values and isinstance(values[0], str) else Integer()
    return column == any_(bindparam(None, list(values), type_=ARRAY(kind)))
