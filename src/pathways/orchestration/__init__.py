"""Prefect glue: the tasks and flows, their deployments, the relay loop, workers and the embedded server.

Everything that knows Prefect lives here (and in ``flows/``, which only names the flows);
the services it calls know nothing of it. One run handles many case-steps: a flow run is
a process (about 1.3 s of CPU), so runs are coarse and the relay coalesces requests.

- :mod:`~pathways.orchestration.tasks` — one task per service function
- :mod:`~pathways.orchestration.flows` — the flow of a pathway, built from its id
- :mod:`~pathways.orchestration.deployments` — which flows exist, their schedules, serving and registering
- :mod:`~pathways.orchestration.orchestrator` — the relay's view of Prefect (runs, idempotency keys)
- :mod:`~pathways.orchestration.embedded` — a local Prefect server on SQLite under ``var/prefect``
- :mod:`~pathways.orchestration.process` — ``pathways worker`` and ``pathways serve-flows``
- :mod:`~pathways.orchestration.engine` — Prefect's engine for one flow run, flow heartbeat off
"""
