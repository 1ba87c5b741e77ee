"""The one place that wires settings, database and pathway catalogue together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

from pathways.domain.registry import Registry, programme_registry
from pathways.settings import Settings, load_settings
from pathways.store.db import Store

if TYPE_CHECKING:
    from pathways.domain.loader import PathwayCatalog
    from pathways.notify.port import Notifier
    from pathways.services.casework.work import FollowUp
    from pathways.services.tx import Tx

# An automatic step's implementation: runs the outbox job in the transaction, says what it did.
StepRunner: TypeAlias = "Callable[[App, Tx, Mapping[str, Any]], str]"


@dataclass(frozen=True, slots=True)
class Clock:
    """The time decisions take effect; fixed by `--now` for simulations and back-dated records."""

    fixed: datetime | None = None

    def now(self) -> datetime:
        """The effective instant (timezone-aware UTC)."""
        return self.fixed if self.fixed is not None else datetime.now(UTC)

    @staticmethod
    def real() -> datetime:
        """The instant of recording, whatever the effective time."""
        return datetime.now(UTC)


@dataclass
class App:
    """What every entry point (CLI, web, flow) builds once and passes down."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=Clock)
    steps: Mapping[str, StepRunner] | None = None  # None: casework.work.STEP_RUNNERS
    notify: Notifier | None = None  # None: Apprise (pathways.notify.port.AppriseNotifier); a fake in tests

    @cached_property
    def step_runners(self) -> Mapping[str, StepRunner]:
        """The implementation of each automatic step, by name."""
        if self.steps is not None:
            return self.steps
        # Imported when first needed, so that building an App imports no use case.
        from pathways.services.casework.work import STEP_RUNNERS

        return STEP_RUNNERS

    @cached_property
    def registry(self) -> Registry:
        """The checks and automatic steps pathway files may name; LookupError if a step lacks code."""
        return programme_registry().implemented_by(self.step_runners.keys())

    @cached_property
    def catalog(self) -> PathwayCatalog:
        """Every published pathway version (before any publication: the folder's files), checked once.

        A published version is parsed and checked when first read: see :meth:`check_pathways`.
        """
        from pathways.services.catalogue.definitions import catalog

        return catalog(self)

    def check_pathways(self) -> PathwayCatalog:
        """The catalogue with every version parsed and checked now, and the automatic steps' code
        against their declarations (:attr:`registry`): what a server does on start, so that a
        broken published version is said then, not by a first request or flow run."""
        _ = self.registry
        return self.catalog.checked()

    @cached_property
    def notifier(self) -> Notifier:
        """What sends a rendered message on a channel: Apprise, within the operator's allowed hosts."""
        if self.notify is not None:
            return self.notify
        from pathways.notify.allowlist import parse_allow
        from pathways.notify.port import AppriseNotifier

        return AppriseNotifier(parse_allow(self.settings.channel_allow))

    def after_commit(self, case_id: int, *, queued: bool = True) -> FollowUp:
        """Carry out the work a committed change to case `case_id` queued (documents, hand-offs, steps).

        Every entry point (pages, API, CLI) calls this once its transaction has committed (the
        demo, replaying the past, runs the same follow-up inline whatever the executor).
        With ``PATHWAYS_EXECUTOR=inline`` the work runs here, now, scoped as
        :func:`pathways.services.casework.work.follow_up` says (that case and the cases it opens,
        never another organisation's); with ``prefect`` nothing runs here: the relay asks Prefect
        for the runs. ``queued=False`` (a decision that says it queued nothing) skips the look.
        """
        from pathways.services.casework.work import FollowUp, follow_up

        if self.settings.executor != "inline":
            return FollowUp(deferred=True)
        return follow_up(self, case_id) if queued else FollowUp()

    @property
    def audit_key(self) -> bytes:
        """The HMAC key of the audit chain."""
        return (self.settings.audit_key or self.settings.secret_key).encode()


def build(settings: Settings | None = None, *, now: datetime | None = None) -> App:
    """Build the application from settings (read from the environment when not given)."""
    settings = settings or load_settings()
    return App(settings=settings, store=Store.from_url(settings.effective_database_url), clock=Clock(now))
