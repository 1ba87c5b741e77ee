"""Prefect tasks: each calls one service function, with ids and small frozen values in and out.

Retries are for the infrastructure (database unreachable, a dropped connection): a job that
fails on its own is recorded by the service with its retry time (the database decides when
to try again), so its task run fails at once, visible in Prefect's UI, without Prefect retrying it.
No task caches its result: whether work is done is the database's to say, never Prefect's.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import State, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import Completed

from pathways.orchestration.runtime import current_app
from pathways.services.casework import relay, sweep, work
from pathways.services.messaging import dispatch

RETRIES = 3
RETRY_DELAYS = [2.0, 10.0, 30.0]  # seconds: a database restart or failover fits in them


class CaseStepFailed(Exception):
    """The case-step failed and its failure is recorded; the database says when it runs again."""

    def __init__(self, result: work.JobResult) -> None:
        super().__init__(f"{result.key}: {result.status} — {result.detail}")
        self.result = result


def _infrastructure_only(_task: Any, _run: TaskRun, state: State[Any]) -> bool:
    """Retry a failure unless the service recorded it itself (then the database schedules the retry)."""
    return not isinstance(state.data, CaseStepFailed)


@task(name="find-case-steps", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAYS)
def find_case_steps(pathway: str, after: int, limit: int) -> list[relay.CaseStep]:
    """The pathway's case-steps ready to run, after job id `after`."""
    return relay.pending_case_steps(current_app(), pathway=pathway, after=after, limit=limit)


@task(
    name="case-step",
    task_run_name="{step.name}",  # <case ref>:<stage>:<step>, from the CaseStep it is given
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=_infrastructure_only,
)
def run_case_step(step: relay.CaseStep) -> State[work.JobResult]:
    """Claim and run one case-step; one another run did meanwhile ends in a state named Skipped.

    One task definition for every case-step: its run's name comes from `step`; the caller
    submits it inside ``prefect.tags(f"pathway:{pathway}")`` (see
    :func:`~pathways.orchestration.flows.pathway_flow`), so no Task is built per case-step.
    """
    result = work.run_job(current_app(), step.job_id)
    if result.status in ("retry", "dead"):
        raise CaseStepFailed(result)
    if result.status == "skipped":
        return Completed(name="Skipped", message="another run did it", data=result)
    return Completed(message=result.detail, data=result)


@task(name="sweep-due", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAYS)
def sweep_due(now: datetime | None, limit: int | None) -> dict[str, int]:
    """Queue the reminders and escalations due at `now` (default: the current time)."""
    app = current_app()
    return asdict(sweep.sweep(app, now=now or app.clock.real(), limit=limit))


@task(name="dispatch-ready", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAYS)
def dispatch_ready(batch: int) -> dict[str, int]:
    """Render and deliver every ready message and digest."""
    result = dispatch.dispatch(current_app(), batch=batch)
    return {k: v for k, v in asdict(result).items() if k != "jobs"}
