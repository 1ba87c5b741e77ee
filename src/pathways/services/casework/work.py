"""Carry out queued work: hand-offs, spawned child cases and automatic stage steps.

Each job runs in its own transaction together with the claim that marks it
done, so a job is applied once even when two runners race or one crashes.
Prefect flows call :func:`run_job` per case-step; with the inline executor, every entry point
calls :meth:`pathways.bootstrap.App.after_commit` once its change commits, which runs
:func:`follow_up`: that case's work and what it leads to, nobody else's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import ColumnElement, select, update

from pathways.errors import PathwaysError
from pathways.services.casework import documents, lookup, opening, programme_steps
from pathways.services.people import directory
from pathways.services.tx import Tx, write
from pathways.store.core import CASE, ENTRY, JOB, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App, StepRunner

log = logging.getLogger(__name__)
WORK_KINDS = ("handoff", "spawn", "step")
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class JobResult:
    """What running one job did."""

    job_id: int
    key: str
    status: str  # done | retry | dead | skipped
    detail: str = ""


def _handoff(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    parent = lookup.find_case(tx.conn, job["case_id"])
    opened = opening.open_case(
        tx,
        app.catalog,
        project=parent.project_id,
        pathway=job["payload"]["pathway"],
        officer=parent.officer_id,
        parent_id=parent.id,
    )
    return f"opened {opened.ref}"


def _spawn(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    """One child case per item: a new project per item, or (``project: same``) the parent's project.

    With ``project: same`` an item names a piece of the parent's work (a consulting mission):
    the child keeps it in its data under ``_spawn`` (``_`` never starts a stage id), and an item
    some child of the parent already carries is not opened twice.
    """
    parent = lookup.find_case(tx.conn, job["case_id"])
    project = tx.conn.execute(select(PROJECT).where(PROJECT.c.id == parent.project_id)).mappings().one()
    pathway = job["payload"]["pathway"]
    # The job's key is `spawn:<case>:<entry left>`: that entry's outcome says which project.
    left = (
        tx.conn.execute(select(ENTRY).where(ENTRY.c.id == int(str(job["key"]).rsplit(":", 1)[1])))
        .mappings()
        .one()
    )
    spec = app.catalog.get(parent.pathway_id, parent.pathway_version)
    spawn = spec.stage(left["stage"]).outcomes[left["outcome"]].spawn
    same = spawn is not None and spawn.project == "same"
    carried = {
        (data or {}).get("_spawn", {}).get("item")
        for data in tx.conn.scalars(
            select(CASE.c.data).where(CASE.c.parent_id == parent.id, CASE.c.pathway_id == pathway)
        )
    }
    refs = []
    for item in job["payload"]["items"]:
        subject = str(item)
        if same and subject in carried:
            continue
        project_id = parent.project_id
        if not same:
            project_id = directory.add_project(
                tx,
                name=subject,
                org=project["organisation_id"],
                owner=None,
                siret=None,
                bce=None,
                territory=project["territory"],
                phase="idea",
                legal_form=None,
            ).id
        opened = opening.open_case(
            tx,
            app.catalog,
            project=project_id,
            pathway=pathway,
            officer=parent.officer_id,
            parent_id=parent.id,
        )
        tx.conn.execute(
            update(CASE)
            .where(CASE.c.id == opened.id)
            .values(data={"_spawn": {"item": subject, "parent": parent.ref}})
        )
        tx.audit(
            organisation_id=parent.organisation_id,
            case_id=opened.id,
            kind="case_spawned",
            # The item's text stays in the case's data (erasable), not in the chain.
            payload={"ref": opened.ref, "parent": parent.ref, "project": project_id},
        )
        carried.add(subject)
        refs.append(opened.ref)
    return f"opened {', '.join(refs) or 'no case'}"


def _render_document(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    doc = documents.render_case_document(app, tx, case_id=job["case_id"], entry_id=job["payload"]["entry"])
    return f"document {doc}"


def _add_to_committee_agenda(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    """Put the case on the committee agenda: its file for the committee and the agenda entry in the audit."""
    case = lookup.find_case(tx.conn, job["case_id"])
    meeting = next((v["committee_date"] for v in case.data.values() if "committee_date" in v), None)
    doc = documents.render_case_document(app, tx, case_id=case.id, entry_id=job["payload"]["entry"])
    tx.audit(
        organisation_id=case.organisation_id,
        case_id=case.id,
        kind="committee_agenda",
        payload={"ref": case.ref, "committee_date": meeting, "document": doc},
    )
    return f"on the agenda of {meeting or 'the next committee'} with {doc}"


# The implementation of every automatic step pathways.domain.programme.STEPS declares; the
# App is built with this mapping (bootstrap) and refuses to start if the two lists differ.
STEP_RUNNERS: Final[Mapping[str, StepRunner]] = MappingProxyType(
    {
        "render_document": _render_document,
        "add_to_committee_agenda": _add_to_committee_agenda,
        "lead_becomes_owner": programme_steps.lead_becomes_owner,
        "open_impact_evaluation": programme_steps.open_impact_evaluation,
    }
)


def _step(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    # The loader refused step names outside app.registry, which app.step_runners implements.
    return app.step_runners[job["payload"]["step"]](app, tx, job)


HANDLERS: dict[str, Callable[[App, Tx, Mapping[str, Any]], str]] = {
    "handoff": _handoff,
    "spawn": _spawn,
    "step": _step,
}


def run_job(app: App, job_id: int) -> JobResult:
    """Claim and run one job; record a failure with a retry time, dead-letter after the last try."""
    try:
        with write(app) as tx:
            job = tx.conn.execute(select(JOB).where(JOB.c.id == job_id)).mappings().one()
            claimed = tx.conn.execute(
                update(JOB)
                .where(JOB.c.id == job_id, JOB.c.status.in_(("pending", "failed")))
                .values(
                    status="done", attempts=JOB.c.attempts + 1, updated_at=tx.recorded_at, last_error=None
                )
            ).rowcount
            if not claimed:
                return JobResult(job_id, job["key"], "skipped", "already done")
            detail = HANDLERS[job["kind"]](app, tx, dict(job))
        return JobResult(job_id, job["key"], "done", detail)
    except PathwaysError as exc:
        return _record_failure(app, job_id, str(exc))
    except Exception as exc:
        log.debug("job %s crashed", job_id, exc_info=True)  # the reason is kept on the job
        return _record_failure(app, job_id, f"{type(exc).__name__}: {exc}")


def _record_failure(app: App, job_id: int, reason: str) -> JobResult:
    with write(app) as tx:
        job = tx.conn.execute(select(JOB).where(JOB.c.id == job_id)).mappings().one()
        attempts = job["attempts"] + 1
        dead = attempts >= MAX_ATTEMPTS
        tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == job_id)
            .values(
                status="dead" if dead else "failed",
                attempts=attempts,
                last_error=reason[:2000],
                updated_at=tx.recorded_at,
                next_attempt_at=tx.recorded_at + timedelta(minutes=2**attempts),
            )
        )
    log.warning("job %s failed (attempt %s): %s", job["key"], attempts, reason)
    return JobResult(job_id, job["key"], "dead" if dead else "retry", reason)


def run_pending(
    app: App, *, case_id: int | None = None, pathway: str | None = None, limit: int = 1000
) -> list[JobResult]:
    """Run the hand-offs, spawns and steps that are ready, oldest first (jobs they queue included)."""
    where: list[ColumnElement[bool]] = []
    if case_id is not None:
        where.append(JOB.c.case_id == case_id)
    if pathway is not None:
        where.append(JOB.c.pathway_id == pathway)
    return _run_ready(app, where, limit=limit, seen=set())


def _run_ready(
    app: App, where: Sequence[ColumnElement[bool]], *, limit: int, seen: set[int]
) -> list[JobResult]:
    """Run the ready work jobs matching `where` not in `seen` (which grows), until none is left."""
    results: list[JobResult] = []
    while len(results) < limit:
        with app.store.read() as conn:
            query = (
                select(JOB.c.id)
                .where(
                    JOB.c.kind.in_(WORK_KINDS),
                    JOB.c.status.in_(("pending", "failed")),
                    JOB.c.next_attempt_at <= app.clock.real(),
                    *where,
                )
                .order_by(JOB.c.id)
                .limit(100)
            )
            ids = [i for i in conn.scalars(query) if i not in seen]
        if not ids:
            break
        for job_id in ids:
            seen.add(job_id)
            results.append(run_job(app, job_id))
    return results


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What a committed change's follow-up did: the jobs this process ran, oldest first."""

    ran: tuple[JobResult, ...] = ()
    deferred: bool = False  # the executor is Prefect: the relay asks for the runs, nothing ran here


def follow_up(app: App, case_id: int, *, limit: int = 1000) -> FollowUp:
    """Run, here and now, the ready work of a case a change just committed to, and its consequences.

    The one rule of scope for every entry point: the work of that case and of the cases it
    opened (hand-offs, spawned cases: its children, grandchildren..., of its organisation),
    never another case's, so a web request never runs, waits on or fails on the jobs of
    another organisation, or of anyone else's case. Entry points call it through
    :meth:`pathways.bootstrap.App.after_commit`, which leaves the work to Prefect when
    ``PATHWAYS_EXECUTOR=prefect``.
    """
    with app.store.read() as conn:
        org_id = conn.scalar(select(CASE.c.organisation_id).where(CASE.c.id == case_id))
    if org_id is None:
        return FollowUp()
    family = {case_id}
    seen: set[int] = set()
    ran: list[JobResult] = []
    while len(ran) < limit:
        done = _run_ready(app, [JOB.c.case_id.in_(family)], limit=limit - len(ran), seen=seen)
        ran.extend(done)
        with app.store.read() as conn:
            children = set(
                conn.scalars(
                    select(CASE.c.id).where(CASE.c.parent_id.in_(family), CASE.c.organisation_id == org_id)
                )
            )
        if children <= family:
            break  # no case joined: what the family queued has run (or waits for its retry time)
        family |= children
    return FollowUp(tuple(ran))
