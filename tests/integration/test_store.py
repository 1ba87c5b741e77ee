"""The database layer on SQLite and PostgreSQL: schema, transactions, column types."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Connection,
    DateTime,
    bindparam,
    create_engine,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.pool import NullPool
from sqlmodel import col
from sqlmodel import select as orm_select

from pathways.errors import PathwaysError
from pathways.store import audit
from pathways.store import db as store_db
from pathways.store.core import ORG as ORGANISATION
from pathways.store.db import Store, init_database, latest_revision, table_metadata
from pathways.store.search import is_search_object
from pathways.store.tables import Case, Organisation, Person, Project
from pathways.store.types import UTCDateTime
from threads import on_threads


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    return not (type_ in {"table", "index"} and is_search_object(name))


PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=UTC)


def add_organisation(conn: Connection, *, slug: str = "dla-69", created_at: datetime = AT) -> int:
    values = {"slug": slug, "name": slug.upper(), "territory": "FR-69", "created_at": created_at}
    values |= {"timezone": "Europe/Paris", "language": "fr"}
    new_id = conn.execute(insert(Organisation).values(values)).inserted_primary_key
    assert new_id is not None
    return int(new_id[0])


def schema_differences(conn: Connection) -> list[Any]:
    # The search indexes are dialect-specific, outside the metadata by design (pathways.store.search).
    opts = {"compare_type": True, "include_name": include_name}
    context = MigrationContext.configure(conn, opts=opts)
    return list(compare_metadata(context, table_metadata()))


def test_migrations_create_exactly_the_tables(store: Store) -> None:
    with store.read() as conn:
        assert schema_differences(conn) == []
        names = {n for n in inspect(conn).get_table_names() if not is_search_object(n)}
    assert names == set(table_metadata().tables) | {"alembic_version"}


def test_init_database_again_is_a_no_op(store: Store) -> None:
    with store.write() as conn:
        add_organisation(conn)
    first = init_database(store)
    second = init_database(store)
    assert first == second == latest_revision()
    with store.read() as conn:
        assert conn.execute(select(col(Organisation.slug))).scalars().all() == ["dla-69"]
        assert schema_differences(conn) == []


def test_store_reports_its_dialect(store: Store) -> None:
    assert store.dialect in {"sqlite", "postgresql"}
    assert store.dialect == store.engine.dialect.name


def test_partial_indexes_exist(store: Store) -> None:
    expected = {
        "ix_case_open_due": "status = 'open'",
        "ix_notice_pending_due": "status = 'pending'",
        "ix_outbox_ready": "status = 'pending'",
        "ix_case_parent": "parent_id IS NOT NULL",  # migration 0016
        "ix_case_open_org_due": "status = 'open'",
        "ix_case_open_officer_due": "status = 'open'",
    }
    if store.dialect == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    with store.read() as conn:
        definitions: dict[str, str] = dict(conn.execute(text(query)).tuples().all())
    for name, condition in expected.items():
        where = definitions[name].split(" WHERE ", 1)[1]
        assert re.sub(r"[()]|::text", "", where) == condition, definitions[name]


def test_write_commits_and_rolls_back_on_error(store: Store) -> None:
    with store.write() as conn:
        add_organisation(conn, slug="kept")

    def fail_after_writing() -> None:
        with store.write() as conn:
            add_organisation(conn, slug="discarded")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_after_writing()
    with store.read() as conn:
        assert conn.execute(select(col(Organisation.slug))).scalars().all() == ["kept"]


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def test_a_read_inside_a_write_gets_a_connection_and_snapshot_of_its_own(store: Store) -> None:
    with store.write() as outer:
        add_organisation(outer, slug="outer")
        outer_driver = _driver(outer)
        with store.read() as inner:
            assert _driver(inner) is not outer_driver
            assert inner.execute(select(col(Organisation.slug))).scalars().all() == []


def test_a_write_inside_a_write_takes_a_connection_from_the_pool(postgres_store: Store) -> None:
    """(SQLite has one writer at a time: a write inside a write would wait for itself.)"""
    store = postgres_store
    with store.write() as outer:
        add_organisation(outer, slug="outer")
        with store.write() as inner:
            assert _driver(inner) is not _driver(outer)
            add_organisation(inner, slug="inner")
    with store.read() as conn:
        assert sorted(conn.execute(select(col(Organisation.slug))).scalars()) == ["inner", "outer"]


def test_a_failed_write_leaves_the_pool_ready_for_the_next(store: Store) -> None:
    def write_twice() -> None:
        with store.write() as conn:
            add_organisation(conn, slug="twice")
            add_organisation(conn, slug="twice")

    with pytest.raises(IntegrityError):
        write_twice()
    with store.write() as conn:
        add_organisation(conn, slug="once")
    with store.read() as conn:
        assert conn.execute(select(col(Organisation.slug))).scalars().all() == ["once"]


def test_connections_go_back_to_the_pool_after_each_transaction_and_on_dispose(store: Store) -> None:
    pool = store.engine.pool

    def writer() -> None:
        with store.write():
            pass
        with store.read():
            pass

    assert on_threads(writer, [()] * 3) == []
    assert pool.checkedout() == 0  # type: ignore[attr-defined]  # QueuePool's, not on Pool

    store.dispose()
    with store.write() as conn:  # a new pool
        add_organisation(conn, slug="after-dispose")
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_many_threads_write_at_once_through_the_pool(store: Store) -> None:
    count = 11
    inside = threading.Barrier(count)

    def writer(number: int) -> None:
        with store.write() as conn:
            if store.dialect == "postgresql":  # every thread in a write at the same moment
                inside.wait(timeout=30)
            add_organisation(conn, slug=f"org-{number}")

    errors = on_threads(writer, [(n,) for n in range(count)])

    assert errors == []
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(Organisation)).scalar() == count


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), store.write() as conn:
        conn.execute(
            insert(Project).values(organisation_id=999, name="Orphan", territory="FR-69", created_at=AT)
        )


def test_session_commits_and_keeps_objects_readable(store: Store) -> None:
    with store.session() as session:
        organisation = Organisation(slug="incubator", name="Incubator", territory="BE-BRU", created_at=AT)
        session.add(organisation)
    assert organisation.id is not None
    with store.session() as session:
        found = session.exec(orm_select(Organisation).where(Organisation.slug == "incubator")).one()
    assert found.created_at == AT


def test_aware_datetimes_round_trip_as_utc(store: Store) -> None:
    # The repeated hour when summer time ends, second pass (UTC+1).
    in_paris = datetime(2026, 10, 25, 2, 30, 0, 654321, tzinfo=PARIS, fold=1)
    with store.write() as conn:
        organisation_id = add_organisation(conn, created_at=in_paris)
    with store.read() as conn:
        stored = conn.execute(
            select(col(Organisation.created_at)).where(col(Organisation.id) == organisation_id)
        ).scalar_one()
    assert stored.tzinfo is UTC
    assert stored == in_paris.astimezone(UTC)
    assert stored.isoformat() == "2026-10-25T01:30:00.654321+00:00"


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.write() as conn:
        add_organisation(conn, created_at=datetime(2026, 1, 5, 9, 0))
    with store.read() as conn:
        assert conn.execute(select(col(Organisation.id))).first() is None


def test_json_columns_round_trip(store: Store) -> None:
    data = {
        "headcount": 12,
        "turnover": 1250.5,
        "ess": True,
        "redirected_to": None,
        "title": "Coopérative d'activité — Liège",
        "stages": [{"id": "intake", "fields": {"siren": "732829320"}}, []],
    }
    with store.write() as conn:
        organisation_id = add_organisation(conn)
        project_id = conn.execute(
            insert(Project).values(
                organisation_id=organisation_id, name="CAE", territory="BE-WAL", created_at=AT
            )
        ).inserted_primary_key
        assert project_id is not None
        case_values = {
            "ref": "DIAG-2026-0001",
            "organisation_id": organisation_id,
            "project_id": project_id[0],
            "pathway_id": "diagnosis",
            "pathway_version": 1,
            "opened_at": AT,
            "data": data,
        }
        conn.execute(insert(Case).values(case_values))
        conn.execute(
            insert(Person).values(
                handle="amelie",
                name="Amélie",
                channels=["mailto://amelie@example.org"],
                topics=[],
                created_at=AT,
            )
        )
    with store.read() as conn:
        assert conn.execute(select(col(Case.data))).scalar_one() == data
        assert conn.execute(select(col(Person.channels), col(Person.topics))).one() == (
            ["mailto://amelie@example.org"],
            [],
        )


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(sqlite_store: Store) -> None:
    with sqlite_store.read() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 10000}


def test_sqlite_file_and_directory_are_made_on_first_connection(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "pathways.db"
    store = Store.from_url(f"sqlite:///{path}")
    assert not path.parent.exists()  # building a store creates nothing
    try:
        assert init_database(store) == latest_revision()
    finally:
        store.dispose()
    assert path.is_file()


def test_sqlite_write_takes_the_write_lock_up_front(sqlite_store: Store) -> None:
    """`write()` is BEGIN IMMEDIATE (writers queue at BEGIN), `read()` a plain BEGIN."""
    database = sqlite_store.engine.url.database
    assert database is not None

    def other_writer_can_begin() -> bool:
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        else:
            other.execute("ROLLBACK")
            return True
        finally:
            other.close()

    with sqlite_store.read() as conn:
        conn.execute(select(col(Organisation.id))).all()
        assert other_writer_can_begin()
    with sqlite_store.write():  # no statement yet: the lock is taken by BEGIN itself
        assert not other_writer_can_begin()
    assert other_writer_can_begin()


def test_sqlite_writers_queue_instead_of_failing(sqlite_store: Store) -> None:
    """Two read-then-write transactions at once: with BEGIN IMMEDIATE neither gets SQLITE_BUSY."""
    with sqlite_store.write() as conn:
        add_organisation(conn, slug="counter")
    barrier = threading.Barrier(2)

    def rename(suffix: str) -> None:
        barrier.wait()
        for _ in range(20):
            with sqlite_store.write() as conn:
                name = conn.execute(select(col(Organisation.name))).scalar_one()
                conn.execute(ORGANISATION.update().values(name=name + suffix))

    errors = on_threads(rename, [("a",), ("b",)])
    assert errors == []
    with sqlite_store.read() as conn:
        name = conn.execute(select(col(Organisation.name))).scalar_one()
    assert len(name) == len("COUNTER") + 40  # no update lost


def _hold_the_write_lock(store: Store) -> sqlite3.Connection:
    database = store.engine.url.database
    assert database is not None
    other = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_sqlite_writer_waits_for_the_write_lock_and_takes_it_when_freed(sqlite_store: Store) -> None:
    """Another connection holds the write lock: `write()` waits (busy_timeout), then goes through."""
    with sqlite_store.write() as conn:
        add_organisation(conn, slug="before")
    other = _hold_the_write_lock(sqlite_store)
    errors: list[BaseException] = []

    def add() -> None:
        try:
            with sqlite_store.write() as conn:
                add_organisation(conn, slug="after")
        except BaseException as error:  # noqa: BLE001  reported by the test
            errors.append(error)

    writer = threading.Thread(target=add)
    writer.start()
    writer.join(timeout=0.3)
    assert writer.is_alive()  # still waiting: the lock is held
    other.execute("ROLLBACK")
    other.close()
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert errors == []
    with sqlite_store.read() as conn:
        assert conn.execute(select(col(Organisation.slug)).order_by(Organisation.slug)).scalars().all() == [
            "after",
            "before",
        ]
        # the wait for the lock does not change how long other statements wait
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_a_sqlite_writer_gives_up_at_the_busy_timeout(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "_SQLITE_BUSY_MS", 200)
    sqlite_store.dispose()  # the connections made from here on wait 200 ms
    other = _hold_the_write_lock(sqlite_store)
    try:
        with pytest.raises(OperationalError, match="database is locked"), sqlite_store.write():
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    with sqlite_store.write() as conn:  # the lock is free again: the next writer goes through
        add_organisation(conn)


def test_unreachable_postgres_is_named_with_its_password_masked() -> None:
    store = Store.from_url("postgresql+psycopg://pathways:s3cret-pw@127.0.0.1:1/pathways")
    try:
        with pytest.raises(PathwaysError) as raised:
            store.ping()
    finally:
        store.dispose()
    message = str(raised.value)
    assert "postgresql+psycopg://pathways:***@127.0.0.1:1/pathways" in message
    assert "s3cret-pw" not in message
    assert "check that the server is running" in message
    assert raised.value.exit_code == 1


def test_unopenable_sqlite_file_is_a_pathways_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = Store.from_url(f"sqlite:///{blocker / 'pathways.db'}")
    with pytest.raises(PathwaysError, match="cannot connect to the database sqlite:///"):
        init_database(store)


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(PathwaysError, match="unsupported database URL"):
        Store.from_url("mysql://root:pw@localhost/pathways")


def test_each_test_starts_empty_with_identities_restarted(store: Store) -> None:
    with store.write() as conn:
        assert conn.execute(select(col(Organisation.id))).first() is None
        assert add_organisation(conn) == 1


def test_read_sees_one_snapshot(store: Store) -> None:
    count = select(func.count()).select_from(Organisation)
    with store.read() as reader:
        assert reader.execute(count).scalar_one() == 0
        with store.write() as writer:
            add_organisation(writer)
        assert reader.execute(count).scalar_one() == 0
    with store.read() as reader:
        assert reader.execute(count).scalar_one() == 1


def test_a_postgresql_url_without_driver_uses_psycopg() -> None:
    store = Store.from_url("postgresql://pathways@db.example.org/pathways")
    assert store.engine.url.drivername == "postgresql+psycopg"
    assert store.dialect == "postgresql"


# --- PostgreSQL: psycopg's prepared statements, a lost connection ------------------------------

_RENAME = (
    update(ORGANISATION).where(ORGANISATION.c.slug == bindparam("b_slug")).values(name=bindparam("b_name"))
)


def test_postgres_statements_run_again_are_prepared_on_the_server(postgres_store: Store) -> None:
    store = postgres_store
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        for name in ("once", "twice"):  # psycopg prepares it as it runs the second time
            assert conn.execute(_RENAME, {"b_slug": "dla-69", "b_name": name}).rowcount == 1
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any(statement.startswith("UPDATE organisation SET name=") for statement in prepared)


def test_a_postgres_connection_lost_fails_one_write_and_the_next_reconnects(postgres_store: Store) -> None:
    store = postgres_store
    store.dispose()  # from here on the pool holds one connection: the one the server drops
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(store.engine.url, poolclass=NullPool)
    with admin.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar_one()
        other.commit()
    admin.dispose()

    def rename() -> None:
        with store.write() as conn:
            conn.execute(_RENAME, {"b_slug": "dla-69", "b_name": "Lost"})

    with pytest.raises(OperationalError):
        rename()
    with store.write() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert conn.execute(_RENAME, {"b_slug": "dla-69", "b_name": "After"}).rowcount == 1
    with store.read() as conn:
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "After"


# --- SQLite: the write-ahead log and the instants' fast path -------------------------------------


def test_sqlite_dispose_folds_the_log_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "pathways.db"
    store = Store.from_url(f"sqlite:///{path}")
    init_database(store)
    with store.write() as conn:
        add_organisation(conn)
    store.dispose()
    assert not path.with_name("pathways.db-wal").exists()  # the last connection closed: log folded in
    with sqlite3.connect(path) as alone:
        assert alone.execute("SELECT slug FROM organisation").fetchall() == [("dla-69",)]


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, PARIS, ZoneInfo("America/Cayenne"), ZoneInfo("Pacific/Kiritimati")]),
    )
)
def test_sqlite_instants_are_stored_as_sqlalchemy_stores_them(instant: datetime) -> None:
    """UTCDateTime's one-step SQLite processors give SQLAlchemy's own text and value back."""
    dialect = sqlite_dialect.dialect()
    column = UTCDateTime()
    fast_bind = column.dialect_impl(dialect).bind_processor(dialect)
    fast_result = column.dialect_impl(dialect).result_processor(dialect, None)
    assert fast_bind is not None
    assert fast_result is not None
    naive = instant.astimezone(UTC).replace(tzinfo=None)
    reference_type = DateTime().dialect_impl(dialect)
    assert isinstance(reference_type, SQLITE_DATETIME)
    reference = reference_type.bind_processor(dialect)
    assert reference is not None
    assert fast_bind(instant) == reference(naive)
    assert fast_result(fast_bind(instant)) == instant.astimezone(UTC)
    assert audit._instant(instant) == instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with pytest.raises(ValueError, match="naive datetime"):
        fast_bind(naive)
    assert fast_bind(None) is None
    assert fast_result(None) is None
