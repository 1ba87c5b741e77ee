"""What the tasks of a flow-run process share: the application, built once, and short-flow settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pathways.bootstrap import App, build

if TYPE_CHECKING:
    from prefect.settings import Settings
    from prefect.settings.legacy import Setting

_app: App | None = None


def current_app() -> App:
    """The application of this process, built from the environment on first use."""
    global _app
    if _app is None:
        _app = build()
    return _app


@contextmanager
def bound(app: App) -> Iterator[App]:
    """Run tasks in this process against `app` (tests and benchmarks run flows in-process)."""
    global _app
    previous, _app = _app, app
    try:
        yield app
    finally:
        _app = previous


@contextmanager
def short_flow_settings(updates: Mapping[Setting, Any] | None = None) -> Iterator[Settings]:
    """Prefect settings for our flows: no flow heartbeat, plus `updates`.

    The heartbeat thread exists to spot crashed runs (with an automation nobody set up here);
    a sync flow waits up to a second for it at the end of every run. Our runs are short and
    the database, not Prefect, notices unfinished work, so it is switched off. Its setting
    cannot be unset from the environment (None is not an integer), hence this, in code.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, **(updates or {})}) as settings:
        yield settings
