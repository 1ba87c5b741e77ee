"""Fault injection and load: real processes on loopback, bounded, each test stopping by itself.

``PATHWAYS_RELIABILITY=quick`` (default, inside ``make test``) runs a few kills and a few
seconds of load; ``full`` (``make reliability``) runs many. Each test records what it
tried in the ledger (``ledger.record``), which ``report.py`` turns into docs/RELIABILITY.md.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: fault injection and load (PATHWAYS_RELIABILITY)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
