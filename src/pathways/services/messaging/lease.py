"""The lease on outbox jobs: which message jobs are ready, claimed by one dispatcher at a time.

A job is claimed (status ``sending``, its ``updated_at`` is the lease) before any send. A
dispatcher killed mid-send leaves its job ``sending``: once the lease has expired another
dispatcher reclaims it and marks the open attempt ``interrupted``. Failures retry with
exponential backoff (:func:`backoff`); after :data:`MAX_ATTEMPTS` the job is ``dead``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select, update

from pathways.services.messaging.views import PendingJob
from pathways.services.tx import write
from pathways.store.core import ATTEMPT, JOB

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)

KINDS = ("message", "digest")
MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
LEASE = timedelta(minutes=5)
INTERRUPTED = "the dispatcher stopped during this send: the message may or may not have gone out"


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: 1, 2, 4... minutes, at most 6 hours."""
    return min(BASE_DELAY * (1 << max(attempts - 1, 0)), MAX_DELAY)


def ready(at: datetime, lease: timedelta) -> tuple[tuple[ColumnElement[bool], ...], ...]:
    """The jobs a dispatcher at `at` takes, in the order it takes them: stale first (they have
    waited longest), then pending ones (the partial index ix_outbox_ready), then failed ones due
    again. Each is a tuple of conditions that must all hold."""
    return (
        (JOB.c.status == "sending", JOB.c.updated_at <= at - lease),
        (JOB.c.status == "pending", JOB.c.next_attempt_at <= at),
        (JOB.c.status == "failed", JOB.c.next_attempt_at <= at),
    )


def claim(app: App, *, at: datetime, size: int, lease: timedelta) -> tuple[list[PendingJob], int]:
    """Mark up to `size` ready jobs `sending` (lease = now); stale `sending` jobs are taken over."""
    with write(app) as tx:
        pg = tx.conn.dialect.name == "postgresql"
        picks = ready(at, lease)
        ids: list[int] = []
        stale: list[int] = []
        for i, where in enumerate(picks):
            if len(ids) >= size:
                break
            query = (
                select(JOB.c.id)
                .where(JOB.c.kind.in_(KINDS), *where)
                .order_by(JOB.c.next_attempt_at, JOB.c.id)
                .limit(size - len(ids))
            )
            found = list(tx.conn.scalars(query.with_for_update(skip_locked=True) if pg else query))
            ids += found
            stale += found if i == 0 else []
        if stale:
            tx.conn.execute(
                update(ATTEMPT)
                .where(ATTEMPT.c.job_id.in_(stale), ATTEMPT.c.outcome == "sending")
                .values(outcome="interrupted", reason=INTERRUPTED, finished_at=at)
            )
            # A job whose sends stopped the dispatcher MAX_ATTEMPTS times (a poison message) is
            # dead-lettered. Sends, not claims: a dispatcher killed between claiming a batch and
            # sending it interrupted no send of that batch's messages.
            interrupted = (
                select(func.count())
                .where(ATTEMPT.c.job_id == JOB.c.id, ATTEMPT.c.outcome == "interrupted")
                .scalar_subquery()
            )
            poisoned = (
                tx.conn.execute(
                    update(JOB)
                    .where(JOB.c.id.in_(stale), interrupted >= MAX_ATTEMPTS)
                    .values(status="dead", updated_at=at, last_error=f"{INTERRUPTED} ({MAX_ATTEMPTS} times)")
                    .returning(JOB.c.id)
                )
                .scalars()
                .all()
            )
            ids = [i for i in ids if i not in poisoned]
            stale = [i for i in stale if i not in poisoned]
            log.warning("took over %s message jobs left sending by a stopped dispatcher", len(stale))
        if not ids:
            return [], 0
        tx.conn.execute(
            update(JOB)
            .where(JOB.c.id.in_(ids))
            .values(status="sending", attempts=JOB.c.attempts + 1, updated_at=at)
        )
        rows = tx.conn.execute(select(JOB).where(JOB.c.id.in_(ids)).order_by(JOB.c.id)).mappings()
        return [PendingJob.of(r) for r in rows], len(stale)
