"""Test data builders with sensible defaults: each one calls the public services in its own transaction.

Usage (with the ``app`` fixture of tests/conftest.py)::

    org = make_org(app)
    officer = make_person(app, org)
    project = make_project(app, org)
    case = open_diagnosis(app, project, officer)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from pathways.bootstrap import App, Clock
from pathways.demo import seed
from pathways.domain.identifiers import luhn_valid
from pathways.services.casework import cases, opening, recording
from pathways.services.casework.views import OpenedCase
from pathways.services.people import directory
from pathways.services.people.accounts import Principal
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.db import Store

VALID_SIRET = "73282932000074"
_serial = count(1)
_sirets = count(1)
_DISTINCT: Any = object()  # make_project's default: a SIRET of its own


def _luhn_complete(payload: str) -> str:
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def distinct_siret() -> str:
    """A valid SIRET no other call returns (its own SIREN too: one legal entity per project)."""
    n = next(_sirets)
    siren = _luhn_complete(f"{40_000_000 + n:08d}")
    return _luhn_complete(f"{siren}0001")


def make_org(app: App, *, name: str | None = None, territory: str = "FR-75", **extra: Any) -> int:
    """A support organisation (default: in Paris); returns its id."""
    with write(app) as tx:
        return directory.add_org(tx, name=name or f"DLA {next(_serial)}", territory=territory, **extra).id


def make_person(
    app: App,
    org: int,
    *,
    name: str | None = None,
    role: str = "officer",
    email: str | None = None,
    language: str | None = "fr",
    channels: tuple[str, ...] = (),
) -> int:
    """A person with a role in `org` (default: an officer); returns the id."""
    with write(app) as tx:
        return directory.add_person(
            tx,
            name=name or f"Camille Martin {next(_serial)}",
            org=org,
            role=role,
            email=email,
            language=language,
            channels=list(channels),
        ).id


def make_project(
    app: App,
    org: int,
    *,
    name: str | None = None,
    owner: int | None = None,
    siret: str | None = _DISTINCT,
    bce: str | None = None,
    territory: str | None = None,
    phase: str = "founded",
    legal_form: str | None = "association",
    permanent_jobs: int = 3,
) -> int:
    """A project eligible for a diagnosis (founded association with salaried jobs); returns its id.

    Each project gets a SIRET of its own unless `siret` is given (None: no SIRET).
    """
    with write(app) as tx:
        return directory.add_project(
            tx,
            name=name or f"Recyclerie {next(_serial)}",
            org=org,
            owner=owner,
            siret=distinct_siret() if siret is _DISTINCT else siret,
            bce=bce,
            territory=territory,
            phase=phase,
            legal_form=legal_form,
            permanent_jobs=permanent_jobs,
        ).id


def open_case(
    app: App,
    project: int,
    officer: int | None,
    pathway: str,
    *,
    at: datetime | None = None,
) -> OpenedCase:
    """Open a case of `pathway` for `project`: its id, ref, stage, due_at and pathway."""
    with write(app, actor_id=officer, at=at) as tx:
        return opening.open_case(tx, app.catalog, project=project, pathway=pathway, officer=officer)


def open_diagnosis(app: App, project: int, officer: int | None, *, at: datetime | None = None) -> OpenedCase:
    """Open a diagnosis case for `project`, followed by `officer`."""
    return open_case(app, project, officer, "diagnosis", at=at)


def decide(
    app: App,
    case: str | int,
    outcome: str,
    values: dict[str, Any] | None = None,
    *,
    by: int | None = None,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> recording.Decided:
    """Record a decision in its own transaction."""
    with write(app, actor_id=by, at=at) as tx:
        return cases.decide(
            tx,
            app.catalog,
            case=case,
            outcome=outcome,
            values=values or {},
            expected_version=expected_version,
        )


# Valid values for each diagnosis stage, keyed by outcome.
INTAKE_RELEVANT = {
    "met_on": "2026-07-08",
    "legal_form": "association",
    "salaried_jobs": "4",
    "request": "Consolider le modèle économique",
}
DIAGNOSIS_ACCEPTED = {
    "interviews": "2026-07-10;2026-07-17",
    "validated_on": "2026-07-20",
    "priority_issues": "Modèle économique, gouvernance",
}
PLAN_VALIDATED = {"board_approval": "yes", "board_approval_on": "2026-07-22", "committee_date": "2026-09-15"}
COMMITTEE_FAVOURABLE = {"opinion_on": "2026-09-15"}


@contextmanager
def demo_loaded(template: Path, folder: Path) -> Iterator[App]:
    """The demo (``pathways init --demo``) in a copy of the migrated SQLite `template` in `folder`,
    its clock on 8 July 2026, until the block ends."""
    path = folder / "pathways.db"
    shutil.copyfile(template, path)
    store = Store.from_url(f"sqlite:///{path}")
    settings = load_settings(config_dir=Path("config"), environment="test")
    app = App(settings=settings, store=store, clock=Clock(datetime(2026, 7, 8, 8, 0, tzinfo=UTC)))
    assert seed.load(app)["created"] is True
    try:
        yield app
    finally:
        store.dispose()


def principal(app: App, person: int) -> Principal:
    """The person as a signed-in account sees itself: its roles from its memberships (no password
    hashing: the accounts' own tests cover logging in)."""
    with app.store.read() as conn:
        row = directory.find_person(conn, person)
        roles: dict[int, set[str]] = {}
        for org, role in directory.roles_of(conn, person):
            roles.setdefault(org, set()).add(role)
    return Principal(
        account_id=person,
        person_id=person,
        name=row.name,
        handle=row.handle,
        language="fr",
        session_key="test",
        roles={org: frozenset(held) for org, held in roles.items()},
    )
