"""The flow of a pathway, built from its id: ``flows/<pathway>.py`` calls :func:`pathway_flow`."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect import Flow, State, flow, tags

from pathways.orchestration.tasks import CaseStepFailed, find_case_steps, run_case_step
from pathways.services.casework.work import JobResult

BATCH = 100  # case-steps read at a time
LIMIT = 5000  # case-steps one run handles at most; the relay asks for another run for the rest


def pathway_flow(pathway: str) -> Flow[[int], dict[str, int]]:
    """A flow named `pathway` that runs every ready case-step of its cases, one task run each.

    Each task run is named ``<case ref>:<stage>:<step>`` (the task's ``task_run_name``): Prefect's
    UI finds a case's task runs by that name. They are tagged ``pathway:<id>`` with Prefect's
    ``tags`` context manager, one tag for the whole run: Prefect reads a task run's tags as
    concurrency-limit names and builds a slot service per distinct set of tags, so a tag per
    case (``case:<ref>``) cost about a second per case-step, against a few milliseconds.
    Case-steps queued while it runs (a hand-off's first step) are picked up before it ends.
    """

    @flow(
        name=pathway,
        description=f"Carry out the automatic work of the {pathway} pathway's cases: documents, "
        "agenda entries, hand-offs and spawned cases, one task run per case-step.",
        persist_result=False,
    )
    def carry_out(limit: int = LIMIT) -> dict[str, int]:
        outcomes: Counter[str] = Counter()
        after = 0
        with quiet_task_runs(), tags(f"pathway:{pathway}"):
            while outcomes.total() < limit:
                steps = find_case_steps(pathway, after, min(BATCH, limit - outcomes.total()))
                if not steps:
                    break
                for step in steps:
                    outcomes[_outcome(run_case_step(step, return_state=True))] += 1
                after = steps[-1].job_id
        if outcomes["error"]:
            raise RuntimeError(
                f"{outcomes['error']} case-steps of {pathway} could not run (see their task runs); "
                "they stay queued and run again with the next run"
            )
        return dict(outcomes)

    return carry_out


@contextmanager
def quiet_task_runs() -> Iterator[None]:
    """No INFO line per task run ("Finished in state Completed()"); warnings and errors stay.

    Each such line goes through every Prefect log handler (console, API) and cost more than a
    millisecond per case-step; the task run's state in Prefect's API says the same.
    """
    logger = logging.getLogger("prefect.task_runs")
    level = logger.level
    logger.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        logger.setLevel(level)


def _outcome(state: State[Any]) -> str:
    """done | skipped (another run did it) | retry | dead (recorded by the service) | error."""
    # A completed run's value is in memory, in the state's result record: State.result would
    # fetch it through Prefect's event-loop thread (a thread hop per case-step).
    kept = getattr(state.data, "result", None) if state.is_completed() else None
    if isinstance(kept, JobResult):
        return kept.status
    found = state.result(raise_on_failure=False)
    if isinstance(found, JobResult):
        return found.status
    return found.result.status if isinstance(found, CaseStepFailed) else "error"
