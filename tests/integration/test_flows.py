"""The flows and the relay against a real Prefect API (``prefect_test_harness``) and both databases.

The harness starts once per session (about ten seconds); the flow heartbeat is off, as in
production (each sync flow would otherwise wait a second for it). Flows run in this
process, against the test's database (``runtime.bound``). Task runs reach the Prefect API
through its event pipeline, so reading them back waits (bounded) until they are all there.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, update

from builders import (
    COMMITTEE_FAVOURABLE,
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from loopback import loopback_channels
from pathways.bootstrap import App
from pathways.errors import PathwaysError
from pathways.services.casework import relay, work
from pathways.services.casework.relay import Backlog, Relay, RunPhase, RunRef
from pathways.services.messaging import status
from pathways.store.core import DOC, JOB, PERSON

pytestmark = pytest.mark.slow

EVERYTHING_DUE = datetime(2026, 8, 31, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


# --- Prefect -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A Prefect API for the whole session, on a temporary SQLite database; flow heartbeat off."""
    from prefect.testing.utilities import prefect_test_harness

    from pathways.orchestration.runtime import short_flow_settings

    with prefect_test_harness(server_startup_timeout=120), short_flow_settings():
        yield


@pytest.fixture
def flows(prefect_api: None, app: App) -> Iterator[App]:
    """Flows and tasks of this process run against the test's database."""
    from pathways.orchestration.runtime import bound

    with bound(app):
        yield app


def run_flow(name: str, **parameters: Any) -> tuple[Any, UUID]:
    """Run the flow of `flows/<name>.py` in this process; its result and flow run id."""
    from pathlib import Path

    from prefect import State

    from pathways.orchestration.deployments import FlowPlan, load_flow

    flow = load_flow(Path(), FlowPlan(name, timedelta(minutes=1), ()))
    # Prefect's overloads type a Flow[..., Any] called with return_state as None
    state: object = flow(**parameters, return_state=True)
    assert isinstance(state, State)
    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    return state.result(), run_id


@dataclass(frozen=True)
class TaskRunSeen:
    name: str
    tags: frozenset[str]
    state: str


def task_runs(flow_run: UUID, *, expect: int, prefix: str = "") -> list[TaskRunSeen]:
    """The task runs of a flow run whose names start with `prefix`, once `expect` of them arrived."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    deadline = time.monotonic() + 20
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run])),
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,
                limit=200,
            )
        seen = [
            TaskRunSeen(r.name, frozenset(r.tags), r.state_name or "")
            for r in runs
            if r.name.startswith(prefix) and r.state is not None and r.state.is_final()
        ]
        if len(seen) >= expect or time.monotonic() > deadline:
            return sorted(seen, key=lambda r: r.name)
        time.sleep(0.2)


# --- data --------------------------------------------------------------------------------------------


def diagnosis_cases(app: App, count: int) -> list[str]:
    """`count` diagnosis cases at intake; each queues its intake sheet (a `render_document` step)."""
    org = make_org(app)
    officer = make_person(app, org)
    return [open_diagnosis(app, make_project(app, org), officer).ref for _ in range(count)]


def jobs(app: App, *kinds: str) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        query = select(JOB).order_by(JOB.c.id)
        if kinds:
            query = query.where(JOB.c.kind.in_(kinds))
        return [dict(r) for r in conn.execute(query).mappings()]


def documents(app: App) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(DOC)).scalar_one())


# --- the pathway flows -------------------------------------------------------------------------------


def test_one_flow_run_carries_out_every_pending_case_step_as_named_tagged_task_runs(flows: App) -> None:
    refs = diagnosis_cases(flows, 4)

    result, run_id = run_flow("diagnosis")

    assert result == {"done": 4}
    assert {j["status"] for j in jobs(flows, "step")} == {"done"}
    assert documents(flows) == 4
    seen = task_runs(run_id, expect=4, prefix="DIAG-")
    assert [(r.name, r.state) for r in seen] == [
        (f"{ref}:intake:render_document", "Completed") for ref in refs
    ]
    for run in seen:
        assert run.tags == {"pathway:diagnosis"}  # a case is found by its name (see relay.CaseStep.tags)


def test_running_a_flow_again_does_nothing_twice(flows: App) -> None:
    diagnosis_cases(flows, 3)
    run_flow("diagnosis")

    again, run_id = run_flow("diagnosis")

    assert again == {}
    assert documents(flows) == 3
    assert {r.name.rsplit("-", 1)[0] for r in task_runs(run_id, expect=1)} == {"find-case-steps"}
    # A job some other run already claimed is skipped, not run twice.
    [first, *_] = jobs(flows, "step")
    assert work.run_job(flows, first["id"]).status == "skipped"


def test_a_flow_leaves_other_pathways_work_to_their_flows(flows: App) -> None:
    diagnosis_cases(flows, 2)

    result, _ = run_flow("ongoing_support")

    assert result == {}
    assert {j["status"] for j in jobs(flows, "step")} == {"pending"}


def test_a_committee_hand_off_runs_as_a_case_step_and_its_new_case_gets_its_own_flow(flows: App) -> None:
    [ref] = diagnosis_cases(flows, 1)
    for outcome, values in [
        ("relevant", INTAKE_RELEVANT),
        ("accepted", DIAGNOSIS_ACCEPTED),
        ("validated", PLAN_VALIDATED),
        ("favourable", COMMITTEE_FAVOURABLE),
    ]:
        decide(flows, ref, outcome, values)

    result, run_id = run_flow("diagnosis")

    assert result == {"done": 4}  # intake sheet, support plan, committee agenda, hand-off
    names = [r.name for r in task_runs(run_id, expect=4, prefix=ref)]
    assert names == [
        f"{ref}:committee:add_to_committee_agenda",
        f"{ref}:committee:handoff",
        f"{ref}:intake:render_document",
        f"{ref}:support_plan:render_document",
    ]
    [follow] = relay.pending_case_steps(flows, pathway="ongoing_support")
    assert follow.ref != ref

    support, _ = run_flow("ongoing_support")

    assert support == {"done": 1}
    assert relay.backlog(flows) == []


def test_a_failing_case_step_is_recorded_for_later_and_not_retried_by_prefect(flows: App) -> None:
    from pathways.orchestration.runtime import bound

    [ref] = diagnosis_cases(flows, 1)

    def broken(*_args: Any) -> str:
        raise PathwaysError("the template store is away")

    # The App is built with its steps' implementations: this one's document step fails.
    failing = replace(flows, steps={**work.STEP_RUNNERS, "render_document": broken})
    with bound(failing):
        result, run_id = run_flow("diagnosis")

    assert result == {"retry": 1}
    [job] = jobs(flows, "step")
    assert (job["status"], job["attempts"]) == ("failed", 1)  # one attempt: Prefect did not retry it
    assert job["next_attempt_at"] > datetime.now(UTC)
    [seen] = task_runs(run_id, expect=1, prefix=ref)
    assert seen.state == "Failed"
    assert relay.backlog(flows) == []  # not ready again before its retry time


# --- the sweep and the dispatcher --------------------------------------------------------------------


@dataclass
class Webhook:
    """A local HTTP server keeping every JSON body POSTed to it (an Apprise json:// channel)."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_sweep_and_dispatch_flows_deliver_each_due_message_once(flows: App, webhook: Webhook) -> None:
    org = make_org(flows)
    officer = make_person(flows, org, channels=(webhook.url,))
    make_person(flows, org, role="manager", channels=(webhook.url,))
    for _ in range(2):
        open_diagnosis(flows, make_project(flows, org), officer)
    with flows.store.write() as conn:  # one message per item, not the officer's daily digest
        conn.execute(update(PERSON).values(digest=False))

    swept, _ = run_flow("sweep", now=EVERYTHING_DUE)
    sent, _ = run_flow("dispatch")

    assert swept["messages"] > 0
    assert (sent["claimed"], sent["sent"], sent["failed"], sent["dead"]) == (
        swept["messages"],
        swept["messages"],
        0,
        0,
    )
    assert len(webhook.received) == swept["messages"]
    assert run_flow("sweep", now=EVERYTHING_DUE)[0]["messages"] == 0
    assert run_flow("dispatch")[0]["claimed"] == 0
    assert len(webhook.received) == swept["messages"]


# --- the relay ---------------------------------------------------------------------------------------


@dataclass
class FakeOrchestrator:
    """Runs by idempotency key, as Prefect makes them; their phase is set by the test."""

    runs: dict[str, RunRef] = field(default_factory=dict)  # key -> run
    calls: list[str] = field(default_factory=list)
    down: bool = False

    def start(self, target: str, *, key: str) -> RunRef:
        if self.down:
            raise ConnectionError("Prefect is away")
        self.calls.append(key)
        if key not in self.runs:
            self.runs[key] = RunRef(id=f"run-{len(self.runs) + 1}", phase=RunPhase.WAITING)
        return self.runs[key]

    def look(self, run_id: str) -> RunRef:
        if self.down:
            raise ConnectionError("Prefect is away")
        return next(r for r in self.runs.values() if r.id == run_id)

    def move(self, run_id: str, phase: RunPhase, *, started: datetime, ended: datetime | None = None) -> None:
        key = next(k for k, r in self.runs.items() if r.id == run_id)
        self.runs[key] = RunRef(run_id, phase, started, ended)


def test_the_relay_coalesces_work_into_one_waiting_run_per_pathway(app: App) -> None:
    orchestrator = FakeOrchestrator()
    the_relay = Relay(app, orchestrator, targets=frozenset({"diagnosis", "dispatch"}))
    diagnosis_cases(app, 2)

    first = the_relay.tick()
    diagnosis_cases(app, 3)  # more work while the run waits to start: it will see it
    second = the_relay.tick()

    assert first.waiting == {"diagnosis": 2}
    assert [a.run_id for a in first.asked] == ["run-1"]
    assert second.waiting == {"diagnosis": 5}
    assert second.asked == ()
    assert len(orchestrator.runs) == 1


def test_the_relay_asks_one_follow_up_for_work_queued_after_its_run_started(app: App) -> None:
    orchestrator = FakeOrchestrator()
    the_relay = Relay(app, orchestrator)
    diagnosis_cases(app, 1)
    [asked] = the_relay.tick().asked
    orchestrator.move(asked.run_id, RunPhase.RUNNING, started=datetime.now(UTC))

    diagnosis_cases(app, 1)
    follow_up = the_relay.tick().asked
    diagnosis_cases(app, 1)
    nothing_more = the_relay.tick().asked

    assert [a.key for a in follow_up] == [f"diagnosis:after:{asked.run_id}"]
    assert nothing_more == ()  # the follow-up has not started: it takes the newest job too


def test_work_a_finished_run_left_behind_waits_before_another_run(app: App) -> None:
    orchestrator = FakeOrchestrator()
    the_relay = Relay(app, orchestrator, stale_after=timedelta(seconds=60))
    diagnosis_cases(app, 1)
    [asked] = the_relay.tick().asked
    now = datetime.now(UTC)
    orchestrator.move(asked.run_id, RunPhase.FINISHED, started=now, ended=now)  # crashed on it, say

    soon = the_relay.tick(now + timedelta(seconds=5)).asked
    later = the_relay.tick(now + timedelta(seconds=61)).asked

    assert soon == ()
    assert [a.key for a in later] == [f"diagnosis:after:{asked.run_id}"]


def test_a_run_that_stays_running_while_work_waits_gets_company(app: App) -> None:
    orchestrator = FakeOrchestrator()
    the_relay = Relay(app, orchestrator, stale_after=timedelta(seconds=30))
    diagnosis_cases(app, 1)
    [asked] = the_relay.tick().asked
    started = datetime.now(UTC)
    orchestrator.move(asked.run_id, RunPhase.RUNNING, started=started)  # its process was killed

    assert the_relay.tick(started + timedelta(seconds=10)).asked == ()
    assert len(the_relay.tick(started + timedelta(seconds=31)).asked) == 1


def test_a_running_run_that_moves_the_work_is_left_alone(app: App) -> None:
    orchestrator = FakeOrchestrator()
    the_relay = Relay(app, orchestrator, stale_after=timedelta(seconds=30))
    diagnosis_cases(app, 3)
    [asked] = the_relay.tick().asked
    started = datetime.now(UTC)
    orchestrator.move(asked.run_id, RunPhase.RUNNING, started=started)
    first, second, _ = jobs(app, "step")

    work.run_job(app, first["id"])
    assert the_relay.tick(started + timedelta(seconds=20)).asked == ()
    work.run_job(app, second["id"])
    assert the_relay.tick(started + timedelta(seconds=45)).asked == ()  # it moved again: counted from here
    assert the_relay.tick(started + timedelta(seconds=70)).asked == ()  # 25 s without moving
    assert len(the_relay.tick(started + timedelta(seconds=76)).asked) == 1  # 31 s: stuck


def test_when_prefect_is_away_the_work_waits_and_is_asked_for_when_it_returns(app: App) -> None:
    orchestrator = FakeOrchestrator(down=True)
    the_relay = Relay(app, orchestrator)
    diagnosis_cases(app, 2)

    away = the_relay.tick()
    orchestrator.down = False
    back = the_relay.tick()

    assert away.error == "ConnectionError: Prefect is away"
    assert away.waiting == {"diagnosis": 2}
    assert {j["status"] for j in jobs(app)} == {"pending"}
    assert [a.jobs for a in back.asked] == [2]


def test_two_relays_ask_for_the_same_run(app: App) -> None:
    orchestrator = FakeOrchestrator()
    diagnosis_cases(app, 1)

    one = Relay(app, orchestrator).tick().asked
    two = Relay(app, orchestrator).tick().asked

    assert [a.run_id for a in one] == [a.run_id for a in two] == ["run-1"]


def test_the_backlog_sends_messages_to_the_dispatcher_and_retries_only_when_due(app: App) -> None:
    diagnosis_cases(app, 1)
    [step] = jobs(app, "step")
    work.run_job(app, step["id"])  # done
    now = datetime.now(UTC)
    with app.store.write() as conn:
        conn.execute(
            JOB.insert().values(
                key="msg:test",
                kind="message",
                payload={},
                status="failed",
                attempts=1,
                next_attempt_at=now - timedelta(seconds=1),
                created_at=now,
                updated_at=now,
            )
        )

    assert relay.backlog(app, now=now, retries=False) == []
    [due] = relay.backlog(app, now=now)
    assert (due.target, due.jobs) == ("dispatch", 1)
    assert isinstance(due, Backlog)


def test_status_counts_the_queue_by_kind_and_status(app: App) -> None:
    diagnosis_cases(app, 3)
    [first, *_] = jobs(app, "step")
    work.run_job(app, first["id"])

    queue = status.queue_status(app)

    assert {(d.kind, d.status, d.jobs, d.ready) for d in queue.depths} == {
        ("step", "done", 1, 0),
        ("step", "pending", 2, 2),
    }
    assert status.ready_by_kind(queue) == {"step": 2}
    assert queue.notices_due == 0


def test_prefect_makes_one_run_per_relay_key(prefect_api: None) -> None:
    from prefect import flow
    from prefect.deployments.runner import RunnerDeployment

    from pathways.orchestration.orchestrator import PrefectOrchestrator

    @flow(name="relay-key-check")
    def relay_key_check() -> None:
        """A flow only deployed, never run."""

    deployment = relay_key_check.to_deployment(name="pathways")
    assert isinstance(deployment, RunnerDeployment)  # not a coroutine: called from sync code
    deployment.apply()
    orchestrator = PrefectOrchestrator()
    key = f"relay-key-check:1:{time.time_ns()}"

    first = orchestrator.start("relay-key-check", key=key)
    second = orchestrator.start("relay-key-check", key=key)
    other = orchestrator.start("relay-key-check", key=f"{key}:other")

    assert first.id == second.id != other.id
    assert first.phase is RunPhase.WAITING
    assert orchestrator.look(first.id).phase is RunPhase.WAITING


def test_a_run_whose_worker_died_before_starting_it_gets_a_follow_up(app: App) -> None:
    orchestrator = FakeOrchestrator()
    the_relay = Relay(app, orchestrator, stale_after=timedelta(seconds=30))
    diagnosis_cases(app, 1)
    [asked] = the_relay.tick().asked
    claimed = datetime.now(UTC)
    key = next(k for k, r in orchestrator.runs.items() if r.id == asked.run_id)
    orchestrator.runs[key] = RunRef(asked.run_id, RunPhase.CLAIMED, since=claimed)  # then its worker died

    assert the_relay.tick(claimed + timedelta(seconds=10)).asked == ()
    assert [a.key for a in the_relay.tick(claimed + timedelta(seconds=31)).asked] == [
        f"diagnosis:after:{asked.run_id}"
    ]


def test_a_case_closed_through_an_exit_leaves_its_flow_nothing_to_run(flows: App) -> None:
    from pathways.services.casework import closing
    from pathways.services.tx import write

    closed, kept = diagnosis_cases(flows, 2)
    with write(flows) as tx:
        closing.close_case(
            tx, flows.catalog, case=closed, result="withdrawn", reason="La structure se retire"
        )

    result, run_id = run_flow("diagnosis")

    assert result == {"done": 1}  # only the open case's intake sheet; the flow run completes
    statuses = {j["payload"]["ref"]: j["status"] for j in jobs(flows, "step")}
    assert statuses == {closed: "cancelled", kept: "done"}
    assert [r.name for r in task_runs(run_id, expect=1, prefix="DIAG-")] == [f"{kept}:intake:render_document"]
    assert relay.pending_case_steps(flows, pathway="diagnosis") == []
