"""The relay's view of Prefect: a run of a deployment per idempotency key, and where a run is.

Also what ``pathways status`` asks Prefect: is the API reachable, how did the last runs end.
Every call uses the Prefect API of the current settings (``PREFECT_API_URL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pathways.orchestration.deployments import DEPLOYMENT
from pathways.services.casework.relay import RunPhase, RunRef

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

EMBEDDED_API_URL = "http://127.0.0.1:4200/api"
PHASES = {
    "SCHEDULED": RunPhase.WAITING,
    "PENDING": RunPhase.CLAIMED,
    "COMPLETED": RunPhase.FINISHED,
    "FAILED": RunPhase.FINISHED,
    "CRASHED": RunPhase.FINISHED,
    "CANCELLED": RunPhase.FINISHED,
}  # RUNNING, PAUSED, CANCELLING: running


def phase_of(run: FlowRun) -> RunRef:
    """A Prefect flow run as the relay sees it."""
    kind = run.state_type.value if run.state_type is not None else "SCHEDULED"
    return RunRef(
        id=str(run.id),
        phase=PHASES.get(kind, RunPhase.RUNNING),
        started_at=run.start_time,
        ended_at=run.end_time,
        since=run.state.timestamp if run.state is not None else None,
    )


class PrefectOrchestrator:
    """:class:`pathways.services.casework.relay.Orchestrator` on the Prefect API."""

    def __init__(self) -> None:
        self._deployments: dict[str, UUID] = {}

    def start(self, target: str, *, key: str) -> RunRef:
        """A run of ``<target>/pathways``; Prefect returns the existing run for a key it has seen."""
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            run = client.create_flow_run_from_deployment(
                self._deployment(client, target), idempotency_key=key, tags=["relay"]
            )
        return phase_of(run)

    def look(self, run_id: str) -> RunRef:
        """The run as Prefect knows it now."""
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            return phase_of(client.read_flow_run(UUID(run_id)))

    def _deployment(self, client: SyncPrefectClient, target: str) -> UUID:
        if target not in self._deployments:
            self._deployments[target] = client.read_deployment_by_name(f"{target}/{DEPLOYMENT}").id
        return self._deployments[target]


def api_url() -> str | None:
    """The Prefect API this process talks to (``PREFECT_API_URL`` or the profile), if any."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    return str(url) if url else None


def unreachable(url: str, *, timeout: float = 2.0) -> str | None:
    """Why the Prefect API at `url` does not answer its health check, or None when it does."""
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return f"HTTP {response.status_code} from {url}/health"
    return None


@dataclass(frozen=True, slots=True)
class LastRun:
    """How the latest run of a flow went."""

    flow: str
    run: str
    state: str
    started_at: datetime | None
    ended_at: datetime | None


def last_runs(flows: list[str]) -> dict[str, LastRun | None]:
    """The latest started run of each named flow (None: never ran)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    found: dict[str, LastRun | None] = {}
    with get_client(sync_client=True) as client:
        for name in flows:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[name])),
                flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
                sort=FlowRunSort.START_TIME_DESC,
                limit=1,
            )
            found[name] = (
                LastRun(
                    name,
                    runs[0].name,
                    runs[0].state_name or "?",
                    runs[0].start_time,
                    runs[0].end_time,
                )
                if runs
                else None
            )
    return found
