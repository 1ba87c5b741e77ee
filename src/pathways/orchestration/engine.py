"""``python -m pathways.orchestration.engine``: Prefect's engine for one flow run, flow heartbeat off.

Work-pool deployments start their flow runs with this command (job variable ``command``)
instead of ``python -m prefect.engine``; the run itself is Prefect's, unchanged. Why the
heartbeat goes: see :func:`pathways.orchestration.runtime.short_flow_settings`.
"""

from __future__ import annotations

import runpy


def main() -> None:
    """Run ``prefect.engine`` as ``__main__`` (it reads the flow run id from the environment)."""
    from pathways.orchestration.runtime import short_flow_settings

    with short_flow_settings():
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
