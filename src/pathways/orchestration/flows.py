"""The flow of a pathway, built from its id: ``flows/<pathway>.py`` calls :func:`pathway_flow`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from prefect import Flow, State, flow

from pathways.orchestration.tasks import CaseStepFailed, find_case_steps, run_case_step
from pathways.services.work import JobResult

BATCH = 100  # case-steps read at a time
LIMIT = 5000  # case-steps one run handles at most; the relay asks for another run for the rest


def pathway_flow(pathway: str) -> Flow[[int], dict[str, int]]:
    """A flow named `pathway` that runs every ready case-step of its cases, one task run each.

    Each task run is named ``<case ref>:<stage>:<step>`` and tagged ``case:<ref>`` and
    ``pathway:<id>`` (the case tag added by the task itself, see
    :func:`~pathways.orchestration.tasks.tag_this_task_run`). Case-steps queued while it
    runs (a hand-off's first step) are picked up before it ends.
    """
    tags = {f"pathway:{pathway}"}  # the same set for every case-step: Prefect asks about it once

    @flow(
        name=pathway,
        description=f"Carry out the automatic work of the {pathway} pathway's cases: documents, "
        "agenda entries, hand-offs and spawned cases, one task run per case-step.",
        persist_result=False,
    )
    def carry_out(limit: int = LIMIT) -> dict[str, int]:
        outcomes: Counter[str] = Counter()
        after = 0
        while outcomes.total() < limit:
            steps = find_case_steps(pathway, after, min(BATCH, limit - outcomes.total()))
            if not steps:
                break
            for step in steps:
                case_step = run_case_step.with_options(task_run_name=step.name, tags=tags)
                outcomes[_outcome(case_step(step.job_id, step.ref, return_state=True))] += 1
            after = steps[-1].job_id
        if outcomes["error"]:
            raise RuntimeError(
                f"{outcomes['error']} case-steps of {pathway} could not run (see their task runs); "
                "they stay queued and run again with the next run"
            )
        return dict(outcomes)

    return carry_out


def _outcome(state: State[Any]) -> str:
    """done | skipped (another run did it) | retry | dead (recorded by the service) | error."""
    found = state.result(raise_on_failure=False)
    if isinstance(found, JobResult):
        return found.status
    return found.result.status if isinstance(found, CaseStepFailed) else "error"
