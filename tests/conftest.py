"""Shared fixtures.

Databases: ``store`` runs a test on both backends; ``sqlite_store`` and
``postgres_store`` on one. Each backend is migrated once per session (per
xdist worker) and every test starts from empty tables:

- SQLite: a copy of a freshly migrated file, in the test's own ``tmp_path``;
- PostgreSQL: the worker's own database ``pathways_test_<worker>_<pid>``, every table
  emptied and every identity restarted before the test.

PostgreSQL is ``PATHWAYS_TEST_POSTGRES_URL`` (default: the local server); when it
cannot be reached its tests are skipped, or fail when ``CI=true``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from pathways.bootstrap import App, Clock
from pathways.settings import load_settings
from pathways.store.db import Store, init_database, table_metadata

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses PostgreSQL, so `-m "not postgres"` leaves them out."""
    for item in items:
        if "postgres_store" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """An empty, migrated database: the test runs once on SQLite and once on PostgreSQL."""
    backend_store: Store = request.getfixturevalue(f"{request.param}_store")
    return backend_store


@pytest.fixture
def sqlite_store(_sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated SQLite database of the test's own."""
    path = tmp_path / "pathways.db"
    shutil.copyfile(_sqlite_template, path)
    store = Store.from_url(f"sqlite:///{path}")
    yield store
    store.dispose()


@pytest.fixture
def postgres_store(_postgres_worker_store: Store) -> Store:
    """The worker's PostgreSQL database, every table emptied and every identity restarted first."""
    with _postgres_worker_store.write() as conn:
        conn.execute(text(_empty_postgres_tables()))
    return _postgres_worker_store


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (copying beats migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    store = Store.from_url(f"sqlite:///{path}")
    init_database(store)
    store.dispose()  # the last connection checkpoints the WAL into the file: the copy is whole
    return path


@pytest.fixture(scope="session")
def _postgres_worker_store() -> Iterator[Store]:
    """This worker's own PostgreSQL database, created from scratch and migrated once."""
    server = make_url(os.environ.get("PATHWAYS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    worker = re.sub(r"\W", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    # The pid keeps two test sessions on one server (two terminals, two engineers) apart.
    name = f"pathways_test_{worker}_{os.getpid()}"
    _recreate_database(server, name)
    store = Store.from_url(server.set(database=name))
    init_database(store)
    yield store
    store.dispose()
    _maintenance(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', reachable_required=False)


@functools.cache
def _empty_postgres_tables() -> str:
    """`TRUNCATE ... RESTART IDENTITY CASCADE`, as DELETEs (dependants first) and sequence restarts.

    Same end state, but TRUNCATE gives every table and index a new file: 100-400 ms a
    test here, against ~3 ms for deleting the few rows a test leaves.
    """
    quote = make_url(DEFAULT_POSTGRES_URL).get_dialect()().identifier_preparer.quote
    deletes = "\n".join(
        f"  DELETE FROM {quote(table.name)};" for table in reversed(table_metadata().sorted_tables)
    )
    return f"""DO $$ DECLARE used record; BEGIN
{deletes}
  FOR used IN SELECT schemaname, sequencename FROM pg_sequences
              WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', used.schemaname, used.sequencename);
  END LOOP;
END $$"""


def _recreate_database(server: URL, name: str) -> None:
    _maintenance(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def _maintenance(server: URL, *statements: str, reachable_required: bool = True) -> None:
    """Run statements on the server's `postgres` database, outside any transaction."""
    engine = create_engine(
        server.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    except exc.OperationalError as error:
        if not reachable_required:
            return
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        message = (
            f"PostgreSQL is unreachable at {server.render_as_string(hide_password=True)} ({reason}): "
            "start the server or set PATHWAYS_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires the PostgreSQL tests", pytrace=False)
        pytest.skip(message)
    finally:
        engine.dispose()


# --- application ----------------------------------------------------------------------------


@pytest.fixture
def fixed_now() -> datetime:
    """The effective time of every change an ``app`` makes: Wednesday 8 July 2026, 10:00 in Paris."""
    return datetime(2026, 7, 8, 8, 0, tzinfo=UTC)


@pytest.fixture
def app(store: Store, fixed_now: datetime) -> App:
    """The application on an empty database (both backends), its clock fixed at ``fixed_now``."""
    return App(
        settings=load_settings(config_dir=Path("config"), environment="test"),
        store=store,
        clock=Clock(fixed_now),
    )
