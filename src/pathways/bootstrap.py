"""The one place that wires settings, database and pathway catalogue together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.settings import Settings, load_settings
from pathways.store.db import Store


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

    @cached_property
    def catalog(self) -> PathwayCatalog:
        """Every pathway definition, loaded and checked once."""
        return load_pathway_dir(self.settings.pathways_dir, templates=self.settings.templates_dir)

    @property
    def audit_key(self) -> bytes:
        """The HMAC key of the audit chain."""
        return (self.settings.audit_key or self.settings.secret_key).encode()


def build(settings: Settings | None = None, *, now: datetime | None = None) -> App:
    """Build the application from settings (read from the environment when not given)."""
    settings = settings or load_settings()
    return App(settings=settings, store=Store.from_url(settings.effective_database_url), clock=Clock(now))
