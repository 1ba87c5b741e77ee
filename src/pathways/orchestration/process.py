"""``pathways worker`` and ``pathways serve-flows``: the long-running processes that run flows.

Both keep a relay loop in a thread (ready outbox work → deployment runs, see
:mod:`pathways.services.casework.relay`); running one in every process is safe, the idempotency
keys make the relays agree.

- A **worker** is Prefect's process worker on a work pool (``pathways`` by default): start
  any number, on any number of machines, against one Prefect server. Each flow run is a
  child process. The worker registers the deployments (idempotent), so the first one up
  creates them, and it outlives Prefect outages: it waits, then polls again.
- **serve-flows** serves the flows from this process (a Prefect runner): one machine, no
  work pool. With no ``PREFECT_API_URL`` it is the embedded default, with its own local
  Prefect server (:mod:`pathways.orchestration.embedded`).

Use one of the two per Prefect server: both name their deployments ``<flow>/pathways``, and
the last to start takes them over.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pathways.errors import PathwaysError
from pathways.orchestration import deployments
from pathways.orchestration.orchestrator import PrefectOrchestrator, api_url, unreachable
from pathways.orchestration.runtime import short_flow_settings
from pathways.services.casework.relay import STALE_AFTER, Relay

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)
RELAY_EVERY = 1.0  # seconds between two looks at the outbox (an indexed query when nothing waits)
POLL_EVERY = 2.0  # seconds between two polls of Prefect for runs to start
PREFECT_WAIT_LOG_EVERY = 30.0
WATCH_EVERY = 2.0  # seconds between two health checks of Prefect by a worker
WATCH_MISSES = 2  # health checks missed in a row before a worker stops and waits for Prefect


class RelayLoop:
    """A relay ticking in a daemon thread until stopped; logs outages once, not every second."""

    def __init__(self, relay: Relay, *, every: float = RELAY_EVERY) -> None:
        self.relay = relay
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking, with the caller's Prefect settings (a thread does not inherit them)."""
        settings = contextvars.copy_context()
        self._thread = threading.Thread(
            target=settings.run, args=(self._run,), name="pathways-relay", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current tick."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        outage: str | None = None
        while not self._stop.is_set():
            try:
                tick = self.relay.tick()
            except Exception as exc:  # noqa: BLE001  the database is away: try again next tick
                problem = f"database: {type(exc).__name__}: {exc}"
                if problem != outage:
                    log.warning(
                        "relay cannot read the outbox (%s); retrying every %.0f s", problem, self.every
                    )
                outage = problem
            else:
                if tick.error and outage is None:
                    log.warning(
                        "relay: Prefect unreachable (%s); %s jobs wait in the database",
                        tick.error,
                        sum(tick.waiting.values()),
                    )
                elif tick.error is None and outage is not None:
                    log.info("relay: working again")
                outage = tick.error
                for asked in tick.asked:
                    log.info("relay: run %s of %s for %s ready jobs", asked.run_id, asked.target, asked.jobs)
            self._stop.wait(self.every)


def wait_for_prefect(url: str, *, stop_after: float | None = None) -> None:
    """Block until the Prefect API answers (a worker started before its server, or during an outage)."""
    started = last_log = time.monotonic()
    while (reason := unreachable(url)) is not None:
        now = time.monotonic()
        if stop_after is not None and now - started > stop_after:
            raise PathwaysError(
                f"Prefect does not answer at {url}: {reason}", hint="start it or fix PREFECT_API_URL"
            )
        if now - last_log >= PREFECT_WAIT_LOG_EVERY or now == started:
            log.warning("waiting for Prefect at %s (%s)", url, reason)
            last_log = now
        time.sleep(1.0)


def ensure_pool(pool: str) -> None:
    """Create the process work pool if it does not exist (two workers racing are fine)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # another worker made it meanwhile
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))


def relay_loop(
    app: App, wanted: list[deployments.FlowPlan], every: float, stale_after: timedelta = STALE_AFTER
) -> RelayLoop:
    """A relay asking Prefect for runs of the deployed flows."""
    targets = frozenset(p.name for p in wanted)
    return RelayLoop(Relay(app, PrefectOrchestrator(), targets=targets, stale_after=stale_after), every=every)


def run_worker(
    app: App,
    *,
    code_dir: Path,
    pool: str,
    limit: int | None,
    poll: float = POLL_EVERY,
    name: str | None = None,
    register: bool = True,
    relay_every: float | None = RELAY_EVERY,
    stale_after: timedelta = STALE_AFTER,
) -> None:
    """Run flow runs of the work pool (and relay ready work) until interrupted."""
    import httpx
    from prefect.settings import PREFECT_WORKER_QUERY_SECONDS

    url = api_url()
    if url is None:
        raise PathwaysError(
            "PREFECT_API_URL is not set: a worker runs the flow runs of a Prefect server",
            hint="point it at the server (http://host:4200/api); on one machine `pathways serve-flows` "
            "starts an embedded one",
        )
    wanted = deployments.plans(app.check_pathways().ids())
    deployments.check_code(code_dir, wanted)
    wait_for_prefect(url)
    if register:
        ensure_pool(pool)
        deployments.register(code_dir, wanted, pool=pool)
        log.info("deployments on pool %s: %s", pool, ", ".join(p.deployment for p in wanted))
    _flow_runs_use_this_python()
    loop = relay_loop(app, wanted, relay_every, stale_after) if relay_every else None
    worker_name = name or f"pathways-{socket.gethostname()}-{os.getpid()}"
    with short_flow_settings({PREFECT_WORKER_QUERY_SECONDS: poll}):
        if loop is not None:
            loop.start()
        try:
            while True:
                try:
                    asyncio.run(_work_while_prefect_answers(url, pool=pool, name=worker_name, limit=limit))
                except (RuntimeError, httpx.HTTPError, OSError, ExceptionGroup) as exc:
                    log.warning("worker %s stopped (%s)", worker_name, exc)
                log.warning("worker %s: Prefect does not answer; starting again when it does", worker_name)
                wait_for_prefect(url)
        finally:
            if loop is not None:
                loop.stop()


async def _work_while_prefect_answers(url: str, *, pool: str, name: str, limit: int | None) -> None:
    """Prefect's process worker on the pool, stopped as soon as Prefect stops answering.

    Left alone, Prefect's worker backs off (longer and longer between polls) and gives up
    after about 45 polls without an answer; stopping it at once and starting a fresh one when
    Prefect is back picks up the waiting work within a poll.
    """
    import anyio
    from prefect.workers.process import ProcessWorker

    async with anyio.create_task_group() as group:
        group.start_soon(ProcessWorker(work_pool_name=pool, name=name, limit=limit).start)
        misses = 0
        while misses < WATCH_MISSES:
            await anyio.sleep(WATCH_EVERY)
            misses = misses + 1 if await anyio.to_thread.run_sync(unreachable, url) else 0
        group.cancel_scope.cancel()


def serve_flows(
    app: App,
    *,
    code_dir: Path,
    limit: int | None,
    poll: float = POLL_EVERY,
    relay_every: float | None = RELAY_EVERY,
    stale_after: timedelta = STALE_AFTER,
    api: str | None = None,
) -> None:
    """Serve every flow from this process, with its schedule (and relay ready work), until interrupted.

    `api`: the Prefect API to use instead of the configured one (the embedded server's). The
    flows are added to a Prefect runner as flow objects (``Runner.add_flow``), so each run is
    a child process given this process's settings (flow heartbeat off) and flow, not a
    ``python -m prefect.engine`` that would read its code back from the deployment.
    """
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_URL

    wanted = deployments.plans(app.check_pathways().ids())
    deployments.check_code(code_dir, wanted)
    loop = relay_loop(app, wanted, relay_every, stale_after) if relay_every else None
    with short_flow_settings({PREFECT_API_URL: api} if api else None):
        runner = Runner(name=f"pathways-{socket.gethostname()}", query_seconds=poll, limit=limit)
        for plan in wanted:
            runner.add_flow(
                deployments.load_flow(code_dir, plan),
                name=deployments.DEPLOYMENT,
                interval=plan.every,
                tags=list(plan.tags),
            )
        if loop is not None:
            loop.start()
        try:
            asyncio.run(runner.start())
        except (KeyboardInterrupt, TerminationSignal):
            log.info("stopping: the schedules of the served flows are paused until they are served again")
        finally:
            if loop is not None:
                loop.stop()


def _flow_runs_use_this_python() -> None:
    """Flow runs start with ``python -m ...``: make that this interpreter (a virtualenv's, say)."""
    here = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != here:
        os.environ["PATH"] = os.pathsep.join([here, path]) if path else here
