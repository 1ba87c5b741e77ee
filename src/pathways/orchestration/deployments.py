"""Which flows exist, their schedules, and their deployments: served in-process, or on a work pool.

Every flow is deployed under the name :data:`DEPLOYMENT` (``diagnosis/pathways``,
``sweep/pathways``...). Its code is ``flows/<name>.py``, its flow object the variable of
the same name. Schedules: the sweep every 5 minutes, the dispatcher every minute, each
pathway every 15 minutes to catch up with work the relay could not hand over (Prefect was
away); between those, the relay asks for runs as work is queued.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pathways.errors import PathwaysError

if TYPE_CHECKING:
    from uuid import UUID

    from prefect import Flow

T = TypeVar("T")
DEPLOYMENT = "pathways"
SWEEP_EVERY = timedelta(minutes=5)
DISPATCH_EVERY = timedelta(minutes=1)
CATCH_UP_EVERY = timedelta(minutes=15)
SERVICE_FLOWS = ("sweep", "dispatch")
# Flow runs on a worker start with our engine entry point: Prefect's, with the flow heartbeat off.
ENGINE_COMMAND = "python -m pathways.orchestration.engine"


@dataclass(frozen=True, slots=True)
class FlowPlan:
    """One flow to deploy: its name (a pathway id, ``sweep`` or ``dispatch``) and its schedule."""

    name: str
    every: timedelta
    tags: tuple[str, ...]

    @property
    def path(self) -> str:
        """Its module, relative to the code directory."""
        return f"flows/{self.name}.py"

    @property
    def entrypoint(self) -> str:
        """``flows/<name>.py:<name>``, relative to the code directory."""
        return f"{self.path}:{self.name}"

    @property
    def deployment(self) -> str:
        """``<flow>/<deployment>``, as `run_deployment` and the API name it."""
        return f"{self.name}/{DEPLOYMENT}"


def plans(pathways: Iterable[str]) -> list[FlowPlan]:
    """A flow per pathway, the sweep and the dispatcher."""
    ids = sorted(pathways)
    clash = set(ids) & set(SERVICE_FLOWS)
    if clash:
        raise PathwaysError(
            f"pathway id {min(clash)!r} is also the name of a service flow",
            hint="rename the pathway file (its stem is its id)",
        )
    return [
        FlowPlan("sweep", SWEEP_EVERY, ("pathways", "sweep")),
        FlowPlan("dispatch", DISPATCH_EVERY, ("pathways", "dispatch")),
        *(FlowPlan(i, CATCH_UP_EVERY, ("pathways", f"pathway:{i}")) for i in ids),
    ]


def check_code(code_dir: Path, wanted: Iterable[FlowPlan]) -> None:
    """Refuse to start when a pathway has no flow module: its work would wait for ever."""
    missing = [p for p in wanted if not (code_dir / p.path).is_file()]
    if missing:
        first = missing[0].name
        raise PathwaysError(
            f"no flow module for {', '.join(p.name for p in missing)} in {code_dir / 'flows'}",
            hint=f'add flows/{first}.py with `{first} = pathway_flow("{first}")` '
            "(from pathways.orchestration.flows import pathway_flow)",
        )


def load_flow(code_dir: Path, plan: FlowPlan) -> Flow[..., Any]:
    """The flow object of a plan, imported from its module; its name must be the plan's."""
    from prefect.flows import load_flow_from_entrypoint

    loaded: Flow[..., Any] = load_flow_from_entrypoint(f"{code_dir / plan.path}:{plan.name}")
    if loaded.name != plan.name:
        raise PathwaysError(
            f"{plan.path} defines a flow named {loaded.name!r}, expected {plan.name!r}",
            hint=f"name the flow after its module: @flow(name={plan.name!r}) or pathway_flow({plan.name!r})",
        )
    return loaded


def register(code_dir: Path, wanted: Iterable[FlowPlan], *, pool: str) -> list[UUID]:
    """Create or update the work-pool deployments (idempotent); workers run them from `code_dir`.

    The code's location is recorded as a pull step (Prefect's ``set_working_directory``):
    every machine running a worker has the same code at the same path (the image's ``/app``).
    """
    from prefect import Flow as PrefectFlow

    ids = []
    for plan in wanted:
        load_flow(code_dir, plan)  # the same checks as when serving
        remote = _sync(PrefectFlow.from_source(source=str(code_dir.resolve()), entrypoint=plan.entrypoint))
        deployment = _sync(
            remote.to_deployment(
                name=DEPLOYMENT,
                work_pool_name=pool,
                interval=plan.every,
                tags=list(plan.tags),
                job_variables={"command": ENGINE_COMMAND},
            )
        )
        ids.append(_sync(deployment.apply()))
    return ids


def _sync(value: T | Coroutine[Any, Any, T]) -> T:
    """The result of a Prefect call that is async when called from async code (never, here)."""
    if isinstance(value, Coroutine):
        value.close()
        raise TypeError("called from async code: use Prefect's async API there")
    return value
