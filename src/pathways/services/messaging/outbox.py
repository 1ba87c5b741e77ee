"""The outbox as people see it: messages listed, their delivery attempts, a failed one retried by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, RowMapping, select, update

from pathways.errors import NotFound, Refused
from pathways.services.casework.lookup import find_case
from pathways.services.messaging.lease import KINDS
from pathways.services.messaging.views import Attempt, OutboxMessage, Retried
from pathways.services.tx import Tx, write
from pathways.store.core import ATTEMPT, CASE, JOB, PERSON

if TYPE_CHECKING:
    from pathways.bootstrap import App


def retry_message(app: App, job_id: int, *, actor_id: int | None = None) -> Retried:
    """Put a dead (or failed) message back in the queue, ready now, with a fresh set of attempts.

    Audited, with who asked, in every organisation the message is about (a digest's cases
    may belong to several).
    """
    with write(app, actor_id=actor_id) as tx:
        job = tx.conn.execute(select(JOB).where(JOB.c.id == job_id, JOB.c.kind.in_(KINDS))).mappings().first()
        if job is None:
            raise NotFound(
                f"no message {job_id}",
                hint="see `pathways messages --failed`",
                code="message_not_found",
                params={"job": job_id},
            )
        requeue(tx, job)
    return Retried(id=job_id, key=job["key"], status="pending", was=job["status"])


@dataclass(frozen=True, slots=True)
class Requeued:
    """A message queued again, and the organisations it is about (each audited it)."""

    orgs: tuple[int, ...]


def requeue(tx: Tx, job: RowMapping | Mapping[str, Any]) -> Requeued:
    """Queue the failed or dead message `job` again in `tx` (ready now, fresh attempts); audited."""
    from pathways.services.messaging.failures import message_orgs

    job_id = job["id"]
    moved = tx.conn.execute(
        update(JOB)
        .where(JOB.c.id == job_id, JOB.c.status.in_(("dead", "failed")))
        .values(status="pending", attempts=0, next_attempt_at=tx.recorded_at, updated_at=tx.recorded_at)
    ).rowcount
    if moved != 1:
        raise Refused(
            f"message {job_id} is {job['status']}: only failed or dead messages are retried by hand",
            code="message_not_retryable",
            params={"job": job_id, "status": job["status"]},
        )
    orgs = tuple(sorted(message_orgs(tx.conn, job_id) or ()))
    for org in orgs:
        tx.audit(
            organisation_id=org,
            case_id=job["case_id"],
            kind="message_retried",
            payload={"job": job_id, "key": job["key"], "was": job["status"]},
        )
    return Requeued(orgs)


def list_messages(
    conn: Connection, *, case: str | int | None = None, failed: bool = False, limit: int = 200
) -> list[OutboxMessage]:
    """Message and digest jobs, newest first; `failed`: only those failing or dead-lettered."""
    query = (
        select(JOB, CASE.c.ref)
        .outerjoin(CASE, CASE.c.id == JOB.c.case_id)
        .where(JOB.c.kind.in_(KINDS))
        .order_by(JOB.c.id.desc())
        .limit(limit)
    )
    if case is not None:
        query = query.where(JOB.c.case_id == find_case(conn, case).id)
    if failed:
        query = query.where(JOB.c.status.in_(("failed", "dead")))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    people = {p for r in rows if (p := r["payload"].get("person")) is not None}
    names = select(PERSON.c.id, PERSON.c.handle).where(PERSON.c.id.in_(people))
    handles: dict[int, str] = {row.id: row.handle for row in conn.execute(names)}
    return [
        OutboxMessage(
            id=r["id"],
            kind=r["kind"],
            case=r["ref"] or (f"{len(r['payload']['items'])} items" if r["kind"] == "digest" else None),
            template=r["payload"].get("template", "digest"),
            to=handles.get(r["payload"].get("person"), r["payload"].get("person")),
            status=r["status"],
            attempts=r["attempts"],
            next_attempt_at=r["next_attempt_at"] if r["status"] in ("pending", "failed") else None,
            last_error=r["last_error"],
            key=r["key"],
        )
        for r in rows
    ]


def attempts_of(conn: Connection, job_id: int) -> list[Attempt]:
    """The delivery record of a message job, oldest first."""
    query = select(ATTEMPT).where(ATTEMPT.c.job_id == job_id).order_by(ATTEMPT.c.id)
    return [
        Attempt(
            id=r.id,
            job_id=r.job_id,
            attempt=r.attempt,
            channel=r.channel,
            outcome=r.outcome,
            reason=r.reason,
            started_at=r.started_at,
            finished_at=r.finished_at,
        )
        for r in conn.execute(query)
    ]
