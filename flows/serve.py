"""Serve every flow of this folder with its schedule from one process: ``python flows/serve.py``.

The same as ``pathways serve-flows``: the sweep every 5 minutes, the dispatcher every
minute, each pathway's flow when the relay sees work queued and every 15 minutes to catch
up; with no ``PREFECT_API_URL``, on an embedded Prefect server under ``var/prefect``.
The schedules are in :mod:`pathways.orchestration.deployments`; for many machines, run
``pathways worker`` instead.
"""

import sys

from pathways.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "serve-flows", *sys.argv[1:]]
    main()
