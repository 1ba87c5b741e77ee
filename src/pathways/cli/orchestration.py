"""`pathways worker`, `pathways serve-flows` and `pathways status`: running the flows, and how the queue is.

Prefect is imported inside the commands: the other commands start without it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, styled, table, when

CodeDir = Annotated[
    Path,
    typer.Option(
        envvar="PATHWAYS_CODE_DIR",
        help="The folder holding flows/ (every worker machine has it at the same path).",
        file_okay=False,
        exists=True,
    ),
]
Limit = Annotated[
    int | None, typer.Option(help="Flow runs at once in this process (default: no limit).", min=1)
]
Poll = Annotated[float, typer.Option(help="Seconds between two polls of Prefect for runs to start.", min=0.5)]
RelayEvery = Annotated[
    float, typer.Option(help="Seconds between two looks at the outbox for work to relay; 0: no relay.", min=0)
]
StaleAfter = Annotated[
    float,
    typer.Option(
        help="Seconds ready work may wait behind a run that is not finishing it before another run is asked.",
        min=1,
    ),
]


def _prefect_environment(*, progress: bool = False) -> None:
    """Defaults for Prefect in our processes, set before Prefect is imported (flow runs inherit them).

    `progress`: this process runs for long; print its INFO lines (the relay's runs) as well.
    """
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "pathways")  # services' logs in Prefect's UI
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")  # the relay's, outside runs
    # Without PREFECT_API_URL Prefect would quietly start a throw-away server; say so instead.
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "false")
    if progress:
        logging.getLogger("pathways").setLevel(logging.INFO)


def worker(
    ctx: typer.Context,
    pool: Annotated[
        str, typer.Option(envvar="PATHWAYS_WORK_POOL", help="The Prefect work pool.")
    ] = "pathways",
    limit: Limit = 2,
    poll: Poll = 2.0,
    name: Annotated[
        str | None, typer.Option(help="The worker's name in Prefect (default: host and pid).")
    ] = None,
    register: Annotated[
        bool, typer.Option(help="Create or update the pool and the deployments first (idempotent).")
    ] = True,
    relay_every: RelayEvery = 1.0,
    stale_after: StaleAfter = 60.0,
    code_dir: CodeDir = Path(),
) -> None:
    """Run flow runs from a Prefect work pool (PREFECT_API_URL): start any number, on any machines."""
    _prefect_environment(progress=True)
    from pathways.orchestration import process

    app = app_of(ctx)
    console.print(f"[bold]pathways worker[/] — pool {pool}, database {app.store.safe_url}")
    process.run_worker(
        app,
        code_dir=code_dir,
        pool=pool,
        limit=limit,
        poll=poll,
        name=name,
        register=register,
        relay_every=relay_every or None,
        stale_after=timedelta(seconds=stale_after),
    )


def serve_flows(
    ctx: typer.Context,
    limit: Limit = None,
    poll: Poll = 2.0,
    relay_every: RelayEvery = 1.0,
    stale_after: StaleAfter = 60.0,
    prefect_port: Annotated[
        int, typer.Option(help="Port of the embedded Prefect server.", min=1, max=65535)
    ] = 4200,
    code_dir: CodeDir = Path(),
) -> None:
    """Serve every flow from this process with its schedule (no PREFECT_API_URL: an embedded Prefect)."""
    _prefect_environment(progress=True)
    from pathways.orchestration import process
    from pathways.orchestration.embedded import EmbeddedPrefect
    from pathways.orchestration.orchestrator import api_url

    app = app_of(ctx)
    server = None
    url = api_url()
    if url is None:
        server = EmbeddedPrefect(home=app.settings.home / "prefect", port=prefect_port)
        console.print(f"starting the embedded Prefect server (data in {server.home}) ...")
        if not server.start():
            console.print(f"an embedded Prefect server already answers on {server.ui_url}: using it")
        url = server.api_url
        os.environ["PREFECT_API_URL"] = url  # for every process started from here
    console.print(f"[bold]Prefect UI[/]: {url.removesuffix('/api')}   (API {url})")
    console.print(
        f"serving the flows of {code_dir.resolve() / 'flows'}: sweep every 5 min, dispatch every minute, "
        "each pathway when work is queued and every 15 min; database "
        f"{app.store.safe_url}, executor {app.settings.executor}"
    )
    _stop_on_signal(server)
    try:
        process.serve_flows(
            app,
            code_dir=code_dir,
            limit=limit,
            poll=poll,
            relay_every=relay_every or None,
            stale_after=timedelta(seconds=stale_after),
            api=url,
        )
    finally:
        if server is not None:
            server.stop()


COMPANIONS: list[subprocess.Popen[bytes]] = []  # processes `pathways run` started beside the flows


def _stop_on_signal(server: Any) -> None:
    """Ctrl-C or SIGTERM: stop the companions and the embedded server, then leave.

    Prefect's runner does not return promptly from an interrupt while it serves; every fact lives
    in the database, so leaving at once loses nothing (runs in flight are retried or caught up).
    """

    def stop(signum: int, _frame: object) -> None:
        console.print("stopping ...")
        for child in COMPANIONS:
            child.terminate()
        if server is not None:
            server.stop(timeout=10)
        for child in COMPANIONS:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def status(ctx: typer.Context, json: Json = False) -> None:
    """Queue depths, the sweep's and the dispatcher's lag, and whether Prefect answers.

    Exits 1 when work is handed to Prefect (executor `prefect`) and Prefect does not answer.
    """
    _prefect_environment()
    from pathways.services.messaging.status import queue_status, ready_by_kind

    app = app_of(ctx)
    queue = queue_status(app)
    prefect = _prefect_status()
    report: dict[str, Any] = {
        "database": app.store.safe_url,
        "executor": app.settings.executor,
        "queue": [asdict(d) for d in queue.depths],
        "ready": ready_by_kind(queue),
        "sweep": {
            "notices_due": queue.notices_due,
            "oldest_notice_due_at": queue.oldest_notice_due_at,
            "last_notice_swept_at": queue.last_notice_swept_at,
            "last_run": prefect["last_runs"].get("sweep"),
        },
        "dispatch": {
            "last_delivery_at": queue.last_delivery_at,
            "last_delivery_outcome": queue.last_delivery_outcome,
            "last_run": prefect["last_runs"].get("dispatch"),
        },
        "prefect": {k: v for k, v in prefect.items() if k != "last_runs"},
    }
    down = app.settings.executor == "prefect" and not prefect["reachable"]
    if json:
        emit_json(report)
    else:
        _print_status(report)
    if down:
        raise typer.Exit(1)


def _prefect_status() -> dict[str, Any]:
    """Prefect's API, whether it answers, and the last sweep and dispatch runs."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pathways.orchestration.orchestrator import EMBEDDED_API_URL, api_url, last_runs, unreachable

    configured = api_url()
    url = configured or EMBEDDED_API_URL
    reason = unreachable(url)
    runs: dict[str, Any] = {}
    if reason is None:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            runs = {
                name: asdict(run) if run else None for name, run in last_runs(["sweep", "dispatch"]).items()
            }
    return {
        "api_url": url,
        "embedded": configured is None,
        "reachable": reason is None,
        "error": reason,
        "last_runs": runs,
    }


def _print_status(report: dict[str, Any]) -> None:
    prefect = report["prefect"]
    where = "embedded" if prefect["embedded"] else "configured"
    if prefect["reachable"]:
        console.print(f"Prefect: [green]reachable[/] at {prefect['api_url']} ({where})")
    else:
        console.print(styled("Prefect: ", ("unreachable", "red"), f" at {prefect['api_url']} ({where})"))
        console.print(styled(f"  {prefect['error']}"))
    console.print(f"database {report['database']}, executor {report['executor']}")
    table(report["queue"], ["kind", "status", "jobs", "ready", "oldest_ready_at"], title="Outbox")
    sweep, dispatch = report["sweep"], report["dispatch"]
    console.print(
        f"sweep: {sweep['notices_due']} notices due and not swept"
        + (f" (oldest due {when(sweep['oldest_notice_due_at'])})" if sweep["notices_due"] else "")
        + f"; last notice swept {when(sweep['last_notice_swept_at'])}; last run {_run(sweep['last_run'])}"
    )
    console.print(
        f"dispatch: last delivery {when(dispatch['last_delivery_at'])}"
        + (f" ({dispatch['last_delivery_outcome']})" if dispatch["last_delivery_outcome"] else "")
        + f"; last run {_run(dispatch['last_run'])}"
    )


def _run(run: dict[str, Any] | None) -> str:
    if run is None:
        return "—"
    return f"{run['state']} {when(run['ended_at'] or run['started_at'])}"
