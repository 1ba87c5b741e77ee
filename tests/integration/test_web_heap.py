"""A server process freezes its long-lived heap once started (``create_app(freeze_heap=True)``,
as ``pathways serve`` and the workers' factory build it): full collections then walk only what
requests made, not the ~184,000 objects of the modules and pathways (bench/web.py --timing)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pathways.bootstrap import App
from pathways.web.app import create_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """No object frozen before or after the test (frozen garbage is never freed)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("unfrozen")
def test_a_server_process_freezes_its_heap_once_started(app: App) -> None:
    web = create_app(app, freeze_heap=True)
    assert gc.get_freeze_count() == 0  # not when built: once started, the pathways loaded
    with TestClient(web) as client:
        assert gc.get_freeze_count() > 10_000
        assert client.get("/login").status_code == 200


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.usefixtures("unfrozen")
def test_an_application_built_by_tests_leaves_the_collector_alone(app: App) -> None:
    with TestClient(create_app(app)) as client:
        assert client.get("/login").status_code == 200
        assert gc.get_freeze_count() == 0
