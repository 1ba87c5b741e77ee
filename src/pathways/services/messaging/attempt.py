"""Recording each send: an attempt opened before it starts, closed after, and the job's claim closed.

Every send on every channel is recorded in :class:`~pathways.store.delivery.DeliveryAttempt`
*before* it starts (outcome ``sending``) and completed after (``sent`` / ``failed``), so a
dispatcher killed mid-send leaves a trace, and its successor sends again only the channels
not recorded as sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from pathways.services.messaging.lease import MAX_ATTEMPTS, backoff
from pathways.services.messaging.views import PendingJob
from pathways.services.tx import write
from pathways.store.core import ATTEMPT, JOB

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What dispatching one job did."""

    job_id: int
    key: str
    status: str  # done | failed | dead | cancelled | lost (reclaimed by another dispatcher)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Ended:
    """How one send went, to record on its attempt."""

    attempt_id: int
    ok: bool
    reason: str | None
    at: datetime


def sent_channels(conn: Connection, job_id: int) -> set[str]:
    """The channels job `job_id` already went out on (an attempt recorded ``sent``)."""
    return sent_channels_of(conn, [job_id]).get(job_id, set())


def sent_channels_of(conn: Connection, job_ids: Sequence[int]) -> dict[int, set[str]]:
    """:func:`sent_channels` of several jobs in one query (a claimed batch); jobs with none are absent."""
    query = select(ATTEMPT.c.job_id, ATTEMPT.c.channel).where(
        ATTEMPT.c.job_id.in_(job_ids), ATTEMPT.c.outcome == "sent"
    )
    found: dict[int, set[str]] = {}
    for job_id, channel in conn.execute(query):
        found.setdefault(job_id, set()).add(channel)
    return found


def begin_attempt(
    app: App, job: PendingJob, token: datetime, channel: str, at: datetime
) -> tuple[int, datetime] | None:
    """Renew the lease and record the attempt before sending; None if the job was taken over."""
    with write(app) as tx:
        renewed = tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == job.id, JOB.c.status == "sending", JOB.c.updated_at == token)
            .values(updated_at=at)
        ).rowcount
        if not renewed:
            return None
        attempt_id = tx.insert(
            ATTEMPT,
            job_id=job.id,
            attempt=job.attempts,
            channel=channel,
            outcome="sending",
            started_at=at,
        )
    return attempt_id, at


def end_attempt(app: App, ended: Ended) -> None:
    with write(app) as tx:
        record_end(tx.conn, ended)


def record_end(conn: Connection, ended: Ended) -> None:
    conn.execute(
        update(ATTEMPT)
        .where(ATTEMPT.c.id == ended.attempt_id)
        .values(outcome="sent" if ended.ok else "failed", reason=ended.reason, finished_at=ended.at)
    )


def fail_without_send(
    app: App,
    job: PendingJob,
    token: datetime,
    tick: Callable[[], datetime],
    reason: str,
    *,
    channel: str,
    permanent: bool = False,
) -> JobOutcome:
    """A failure before any channel was tried (render error, no channel): recorded as an attempt too."""
    at = tick()
    with write(app) as tx:
        tx.insert(
            ATTEMPT,
            job_id=job.id,
            attempt=job.attempts,
            channel=channel,
            outcome="failed",
            reason=reason[:2000],
            started_at=at,
            finished_at=at,
        )
    return finish(app, job, token, at, "dead" if permanent else "failed", reason)


def finish(
    app: App,
    job: PendingJob,
    token: datetime,
    at: datetime,
    status: str,
    detail: str,
    *,
    ended: Ended | None = None,
) -> JobOutcome:
    """Close the claim: done, cancelled, failed with its retry time, or dead after the last try."""
    if status == "failed" and job.attempts >= MAX_ATTEMPTS:
        status = "dead"
    values: dict[str, Any] = {"status": status, "updated_at": at}
    if status in ("failed", "dead"):
        values |= {"last_error": detail[:2000], "next_attempt_at": at + backoff(job.attempts)}
    else:
        values |= {"last_error": None if status == "done" else detail}
    with write(app) as tx:
        if ended is not None:
            record_end(tx.conn, ended)
        changed = tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == job.id, JOB.c.status == "sending", JOB.c.updated_at == token)
            .values(**values)
        ).rowcount
    if not changed:
        return JobOutcome(job.id, job.key, "lost", "another dispatcher took this job over")
    if status in ("failed", "dead"):
        log.warning("message %s %s (attempt %s): %s", job.key, status, job.attempts, detail)
    return JobOutcome(job.id, job.key, status, detail)
