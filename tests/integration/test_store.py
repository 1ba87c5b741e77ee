"""The database layer on SQLite and PostgreSQL: schema, transactions, column types."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, bindparam, func, insert, inspect, select, text, update
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError
from sqlmodel import select as orm_select

from pathways.errors import PathwaysError
from pathways.store import audit
from pathways.store import db as store_db
from pathways.store.db import Store, init_database, latest_revision, table_metadata
from pathways.store.prepared import Prepared, PreparedRows, pipeline
from pathways.store.tables import Case, Organisation, Person, Project
from pathways.store.types import UTCDateTime
from threads import on_threads

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=UTC)


def add_organisation(conn: Connection, *, slug: str = "dla-69", created_at: datetime = AT) -> int:
    values = {"slug": slug, "name": slug.upper(), "territory": "FR-69", "created_at": created_at}
    values |= {"timezone": "Europe/Paris", "language": "fr"}
    new_id = conn.execute(insert(Organisation).values(values)).inserted_primary_key
    assert new_id is not None
    return int(new_id[0])


def schema_differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, table_metadata()))


def test_migrations_create_exactly_the_tables(store: Store) -> None:
    with store.read() as conn:
        assert schema_differences(conn) == []
        names = set(inspect(conn).get_table_names())
    assert names == set(table_metadata().tables) | {"alembic_version"}


def test_init_database_again_is_a_no_op(store: Store) -> None:
    with store.write() as conn:
        add_organisation(conn)
    first = init_database(store)
    second = init_database(store)
    assert first == second == latest_revision()
    with store.read() as conn:
        assert conn.execute(select(Organisation.slug)).scalars().all() == ["dla-69"]
        assert schema_differences(conn) == []


def test_store_reports_its_dialect(store: Store) -> None:
    assert store.dialect in {"sqlite", "postgresql"}
    assert store.dialect == store.engine.dialect.name


def test_partial_indexes_exist(store: Store) -> None:
    expected = {
        "ix_case_open_due": "status = 'open'",
        "ix_notice_pending_due": "status = 'pending'",
        "ix_outbox_ready": "status = 'pending'",
    }
    if store.dialect == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    with store.read() as conn:
        definitions = dict(conn.execute(text(query)).tuples().all())
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
        assert conn.execute(select(Organisation.slug)).scalars().all() == ["kept"]


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def test_a_thread_writes_again_on_the_connection_it_kept(store: Store) -> None:
    with store.write() as conn:
        first = _driver(conn)
    with store.write() as conn:
        again = _driver(conn)
    seen: list[Any] = []

    def other_thread() -> None:
        with store.write() as conn:
            seen.append(_driver(conn))

    assert on_threads(other_thread, [()]) == []
    assert again is first
    assert seen[0] is not first


def test_a_read_inside_a_write_gets_a_connection_and_snapshot_of_its_own(store: Store) -> None:
    with store.write() as outer:
        add_organisation(outer, slug="outer")
        outer_driver = _driver(outer)
        with store.read() as inner:
            assert _driver(inner) is not outer_driver
            assert inner.execute(select(Organisation.slug)).scalars().all() == []
    with store.write() as conn:
        assert _driver(conn) is outer_driver


def test_a_write_inside_a_write_takes_a_connection_from_the_pool(postgres_store: Store) -> None:
    """(SQLite has one writer at a time: a write inside a write would wait for itself.)"""
    store = postgres_store
    with store.write() as outer:
        add_organisation(outer, slug="outer")
        with store.write() as inner:
            assert _driver(inner) is not _driver(outer)
            add_organisation(inner, slug="inner")
        kept = _driver(outer)
    with store.write() as conn:
        assert _driver(conn) is kept
    with store.read() as conn:
        assert sorted(conn.execute(select(Organisation.slug)).scalars()) == ["inner", "outer"]


def test_a_failed_write_leaves_the_kept_connection_ready_for_the_next(store: Store) -> None:
    with store.write() as conn:
        kept = _driver(conn)

    def write_twice() -> None:
        with store.write() as conn:
            add_organisation(conn, slug="twice")
            add_organisation(conn, slug="twice")

    with pytest.raises(IntegrityError):
        write_twice()
    with store.write() as conn:
        add_organisation(conn, slug="once")
        assert _driver(conn) is kept
    with store.read() as conn:
        assert conn.execute(select(Organisation.slug)).scalars().all() == ["once"]


def test_kept_connections_go_back_to_the_pool_when_their_thread_ends_and_on_dispose(store: Store) -> None:
    pool = store.engine.pool
    with store.write():
        pass
    baseline = pool.checkedout()  # type: ignore[attr-defined]

    def writer() -> None:
        with store.write():
            pass

    assert on_threads(writer, [()] * 3) == []
    assert pool.checkedout() == baseline  # type: ignore[attr-defined]

    store.dispose()
    with store.write() as conn:  # a new pool, a new kept connection
        add_organisation(conn, slug="after-dispose")
    assert store.engine.pool.checkedout() == 1  # type: ignore[attr-defined]


def test_threads_beyond_the_limit_write_through_the_pool(store: Store) -> None:
    from pathways.store.db import _Kept

    count = _Kept.LIMIT + 3
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
            select(Organisation.created_at).where(Organisation.id == organisation_id)
        ).scalar_one()
    assert stored.tzinfo is UTC
    assert stored == in_paris.astimezone(UTC)
    assert stored.isoformat() == "2026-10-25T01:30:00.654321+00:00"


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.write() as conn:
        add_organisation(conn, created_at=datetime(2026, 1, 5, 9, 0))
    with store.read() as conn:
        assert conn.execute(select(Organisation.id)).first() is None


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
        assert conn.execute(select(Case.data)).scalar_one() == data
        assert conn.execute(select(Person.channels, Person.topics)).one() == (
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
        conn.execute(select(Organisation.id)).all()
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
                name = conn.execute(select(Organisation.name)).scalar_one()
                conn.execute(Organisation.__table__.update().values(name=name + suffix))  # type: ignore[attr-defined]

    errors = on_threads(rename, [("a",), ("b",)])
    assert errors == []
    with sqlite_store.read() as conn:
        name = conn.execute(select(Organisation.name)).scalar_one()
    assert len(name) == len("COUNTER") + 40  # no update lost


def _hold_the_write_lock(store: Store) -> sqlite3.Connection:
    database = store.engine.url.database
    assert database is not None
    other = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_sqlite_writer_waits_for_the_write_lock_and_takes_it_when_freed(sqlite_store: Store) -> None:
    """Another connection holds the write lock: `write()` waits (retrying), then goes through."""
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
        assert conn.execute(select(Organisation.slug).order_by(Organisation.slug)).scalars().all() == [
            "after",
            "before",
        ]
        # the wait for the lock does not change how long other statements wait
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_a_sqlite_writer_gives_up_at_the_busy_timeout(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "_SQLITE_BUSY_MS", 200)
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
        assert conn.execute(select(Organisation.id)).first() is None
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


# --- statements run on the driver's cursor (store.prepared) ----------------------------------

PERSON = Person.__table__  # type: ignore[attr-defined]
ORGANISATION = Organisation.__table__  # type: ignore[attr-defined]
_INSERT_PERSON = Prepared(
    insert(PERSON)
    .values({c: bindparam(c.key, type_=c.type) for c in PERSON.c if c.key != "id"})
    .returning(PERSON.c.id)
)
_PERSON_BY_HANDLE = Prepared(
    select(PERSON.c.id, PERSON.c.created_at, PERSON.c.channels).where(PERSON.c.handle == bindparam("h"))
)
_RENAME = Prepared(
    update(ORGANISATION).where(ORGANISATION.c.slug == bindparam("b_slug")).values(name=bindparam("b_name"))
)


def person_row(handle: str, created_at: datetime) -> dict[str, Any]:
    return {
        "handle": handle,
        "name": handle.title(),
        "email": None,
        "phone": None,
        "language": "nl",
        "channels": ["mailto://a@example.org", "ntfy://topic"],
        "digest": True,
        "topics": [],
        "created_at": created_at,
        "erased_at": None,
    }


def test_prepared_statements_store_what_core_stores(store: Store) -> None:
    in_brussels = datetime(2026, 10, 25, 2, 30, 0, 654321, tzinfo=ZoneInfo("Europe/Brussels"), fold=1)
    with store.write() as conn:
        conn.execute(insert(PERSON).values(person_row("core", in_brussels)))
        found = _INSERT_PERSON.first(conn, person_row("prepared", in_brussels))
    assert found is not None
    assert isinstance(found["id"], int)
    with store.read() as conn:
        # What the database holds, as the driver gives it back: the same for both rows.
        raw = conn.execute(text("SELECT handle, created_at, channels FROM person ORDER BY handle")).all()
        core_row, prepared_row = (tuple(r)[1:] for r in raw)
        assert core_row == prepared_row
        back = _PERSON_BY_HANDLE.first(conn, {"h": "prepared"})
        missing = _PERSON_BY_HANDLE.first(conn, {"h": "nobody"})
    assert back == {
        "id": found["id"],
        "created_at": in_brussels.astimezone(UTC),
        "channels": ["mailto://a@example.org", "ntfy://topic"],
    }
    assert back["created_at"].tzinfo is UTC
    assert missing is None


_PEOPLE_FROM = Prepared(
    select(PERSON.c.handle, PERSON.c.created_at, PERSON.c.channels)
    .where(PERSON.c.handle >= bindparam("h"))
    .order_by(PERSON.c.handle)
)


def test_prepared_statements_give_every_row_in_or_out_of_a_pipeline(store: Store) -> None:
    with store.write() as conn:
        for handle in ("ada", "bea", "cyd"):
            _INSERT_PERSON.first(conn, person_row(handle, AT))
    expected = [
        {"handle": h, "created_at": AT, "channels": ["mailto://a@example.org", "ntfy://topic"]}
        for h in ("bea", "cyd")
    ]
    with store.read() as conn:
        alone = _PEOPLE_FROM.all(conn, {"h": "b"})
        with pipeline(conn):
            sent = _PEOPLE_FROM.send(conn, {"h": "b"}), _PEOPLE_FROM.send(conn, {"h": "z"})
        together = [s.all() for s in sent]
        first = _PEOPLE_FROM.send(conn, {"h": "b"}).first()
    assert alone == expected
    assert together == [expected, []]
    assert first == expected[0]


_INSERT_PEOPLE = PreparedRows(PERSON, [c for c in PERSON.c if c.key != "id"])


def test_prepared_rows_insert_any_number_of_rows_in_or_out_of_a_pipeline(store: Store) -> None:
    def rows(*handles: str) -> list[dict[str, Any]]:
        return [{f"b_{k}": v for k, v in person_row(h, AT).items()} for h in handles]

    with store.write() as conn:
        _INSERT_PEOPLE.insert(conn, [])
        _INSERT_PEOPLE.insert(conn, rows("one"))
        with pipeline(conn):
            _INSERT_PEOPLE.insert(conn, rows("two", "three", "four"))
        _INSERT_PEOPLE.insert(conn, rows("five", "six", "seven"))  # the same row count again
    with store.read() as conn:
        stored = conn.execute(select(PERSON.c.handle, PERSON.c.created_at, PERSON.c.channels)).all()
    assert sorted(h for h, _at, _channels in stored) == sorted(
        ["one", "two", "three", "four", "five", "six", "seven"]
    )
    assert {(at, tuple(channels)) for _h, at, channels in stored} == {
        (AT, ("mailto://a@example.org", "ntfy://topic"))
    }

    def insert_twice() -> None:
        with store.write() as conn, pipeline(conn):
            _INSERT_PEOPLE.insert(conn, rows("eight", "eight"))

    with pytest.raises(IntegrityError):
        insert_twice()
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(PERSON)).scalar() == 7


def test_prepared_statements_count_rows_and_raise_sqlalchemy_errors(store: Store) -> None:
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        assert _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "DLA du Rhône"}) == 1
        assert _RENAME.execute(conn, {"b_slug": "nowhere", "b_name": "x"}) == 0

    def insert_twice() -> None:
        with store.write() as conn:
            _INSERT_PERSON.first(conn, person_row("twice", AT))
            _INSERT_PERSON.first(conn, person_row("twice", AT))

    with pytest.raises(IntegrityError):
        insert_twice()
    with pytest.raises(StatementError, match="naive datetime"), store.write() as conn:
        _INSERT_PERSON.first(conn, person_row("naive", datetime(2026, 1, 5, 9, 0)))
    with store.read() as conn:
        assert conn.execute(select(PERSON.c.id)).first() is None  # both rolled back
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "DLA du Rhône"


def test_pipeline_gives_results_after_the_block_and_fails_the_transaction(store: Store) -> None:
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        with pipeline(conn):
            renamed = _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Renamed"})
            inserted = _INSERT_PERSON.send(conn, person_row("piped", AT))
        assert renamed.rowcount == 1
        first = inserted.first()
        assert first is not None
        assert isinstance(first["id"], int)

    def rename_and_insert_a_duplicate() -> None:
        with store.write() as conn, pipeline(conn):
            _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Not kept"})
            _INSERT_PERSON.send(conn, person_row("piped", AT))  # duplicate handle

    with pytest.raises(IntegrityError):
        rename_and_insert_a_duplicate()
    with store.read() as conn:
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "Renamed"
        assert conn.execute(select(func.count()).select_from(PERSON)).scalar_one() == 1


def test_pipeline_keeps_the_order_of_statements_run_through_sqlalchemy_inside_it(store: Store) -> None:
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        with pipeline(conn):
            _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "First"})
            seen = conn.execute(select(ORGANISATION.c.name)).scalar_one()  # sends what is queued first
            renamed = _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Second"})
            assert renamed.rowcount == 1  # asking for a result inside the block sends the rest
            _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Third"})
        assert seen == "First"
    with store.read() as conn:
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "Third"


def _failed_write_leaves_the_kept_connection_clean(
    store: Store, failing: Callable[[Connection], None], error: type[Exception], match: str | None = None
) -> None:
    """`failing` (a pipeline block after a rename) raises `error`; nothing of it is kept, and the
    thread's next write runs on the same connection."""
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        kept = _driver(conn)

    def fail() -> None:
        with store.write() as conn, pipeline(conn):
            _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Not kept"})
            failing(conn)

    with pytest.raises(error, match=match):
        fail()
    with store.write() as conn:
        assert _driver(conn) is kept  # the connection was left clean, and kept
        assert _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "Kept"}) == 1
    with store.read() as conn:
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "Kept"


def test_a_failure_inside_a_pipeline_block_rolls_back_what_was_sent(store: Store) -> None:
    def own_mistake(_conn: Connection) -> None:
        raise ValueError("the caller's own mistake")

    _failed_write_leaves_the_kept_connection_clean(store, own_mistake, ValueError, "own mistake")


_NAMES_PREPARED = text("SELECT name, statement FROM pg_prepared_statements ORDER BY name")


def test_postgres_statements_are_prepared_once_per_connection_and_again_after_psycopg_deallocates(
    postgres_store: Store,
) -> None:
    store = postgres_store
    fresh = Prepared(select(ORGANISATION.c.name).where(ORGANISATION.c.slug == bindparam("b_slug")))
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        with pipeline(conn):  # the same new statement twice in one block: one Parse
            one = fresh.send(conn, {"b_slug": "dla-69"})
            two = fresh.send(conn, {"b_slug": "nowhere"})
        assert one.first() == {"name": "DLA-69"}
        assert two.first() is None
        for slug in ("a", "b", "c", "d", "e", "f"):  # psycopg prepares this one itself at the fifth
            conn.execute(select(ORGANISATION.c.id).where(ORGANISATION.c.slug == slug))

    def fail() -> None:
        with store.write() as conn:
            fresh.first(conn, {"b_slug": "dla-69"})
            add_organisation(conn, slug="dla-69")  # duplicate: rolled back

    with pytest.raises(IntegrityError):
        fail()  # a rollback: psycopg, holding a statement of its own, deallocates all of them
    with store.write() as conn:
        assert fresh.first(conn, {"b_slug": "dla-69"}) == {"name": "DLA-69"}
        prepared = conn.execute(_NAMES_PREPARED).all()
    assert [statement for _name, statement in prepared].count(fresh._for(conn.dialect).sql) == 1


def test_postgres_statements_deallocated_behind_its_back_fail_one_transaction_only(
    postgres_store: Store,
) -> None:
    store = postgres_store
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        assert _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "Before"}) == 1
        _driver(conn).pgconn.exec_(b"DEALLOCATE ALL")  # on libpq: psycopg does not see it

    def rename() -> None:
        with store.write() as conn:
            _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "Lost"})

    with pytest.raises(DBAPIError, match="does not exist"):
        rename()
    with store.write() as conn:
        assert _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "After"}) == 1
    with store.read() as conn:
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "After"


def test_postgres_statements_begin_the_transaction_the_store_asked_for(postgres_store: Store) -> None:
    with postgres_store.write() as conn:
        add_organisation(conn, slug="dla-69")
    with postgres_store.read() as conn:
        assert _PERSON_BY_HANDLE.first(conn, {"h": "nobody"}) is None  # the first statement: BEGIN
        assert conn.execute(text("SHOW transaction_isolation")).scalar_one() == "repeatable read"
    with postgres_store.write() as conn:
        assert _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "x"}) == 1
        assert conn.execute(text("SHOW transaction_isolation")).scalar_one() == "read committed"


def test_a_value_the_driver_cannot_send_fails_its_write_only(store: Store) -> None:
    def rename_to_an_object(conn: Connection) -> None:
        _RENAME.send(conn, {"b_slug": "dla-69", "b_name": object()})

    _failed_write_leaves_the_kept_connection_clean(store, rename_to_an_object, StatementError)


def test_a_postgres_connection_lost_in_a_pipeline_fails_one_write_and_the_next_reconnects(
    postgres_store: Store,
) -> None:
    store = postgres_store
    with store.write() as conn:
        add_organisation(conn, slug="dla-69")
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with store.engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar_one()
        admin.commit()

    def rename() -> None:
        with store.write() as conn, pipeline(conn):
            _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Lost"})
            _RENAME.send(conn, {"b_slug": "dla-69", "b_name": "Lost too"})

    with pytest.raises(OperationalError):
        rename()
    with store.write() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert _RENAME.execute(conn, {"b_slug": "dla-69", "b_name": "After"}) == 1
    with store.read() as conn:
        assert conn.execute(select(ORGANISATION.c.name)).scalar_one() == "After"


# --- SQLite: the checkpointer and the instants' fast path -----------------------------------


def test_sqlite_checkpointer_copies_the_log_beside_the_writers(sqlite_store: Store) -> None:
    checkpointer = sqlite_store._checkpointer
    assert checkpointer is not None
    with sqlite_store.write() as conn:
        add_organisation(conn)
    deadline = time.monotonic() + 10
    while checkpointer.passes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.passes >= 1, "the commit did not wake the checkpointer"
    # What it copied is in the database file itself: read the file alone, without the log.
    checkpointer.stop()
    db = Path(str(sqlite_store.engine.url.database))
    copy = db.with_name("copy.db")
    copy.write_bytes(db.read_bytes())  # the main file only: no -wal beside it
    with sqlite3.connect(copy) as alone:
        assert alone.execute("SELECT slug FROM organisation").fetchall() == [("dla-69",)]


def test_sqlite_checkpointer_stops_with_the_store_and_starts_again_on_a_write(tmp_path: Path) -> None:
    path = tmp_path / "pathways.db"
    store = Store.from_url(f"sqlite:///{path}")
    init_database(store)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    with store.write() as conn:
        add_organisation(conn)
    thread = checkpointer._thread  # this store's own thread (other tests' may still be running)
    assert thread is not None
    assert thread.is_alive()
    store.dispose()
    assert not thread.is_alive()
    assert not path.with_name("pathways.db-wal").exists()  # the last connection closed: log folded in
    with store.write() as conn:  # a disposed store reconnects, and so does its checkpointer
        add_organisation(conn, slug="dla-75")
    again = checkpointer._thread
    assert again is not None
    assert again is not thread
    assert again.is_alive()
    store.dispose()
    assert not again.is_alive()


def test_no_checkpointer_for_postgresql_or_memory_databases() -> None:
    assert Store.from_url("postgresql+psycopg://u@127.0.0.1:1/x")._checkpointer is None
    assert Store.from_url("sqlite://")._checkpointer is None
    assert Store.from_url("sqlite:///:memory:")._checkpointer is None


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
    reference = SQLITE_DATETIME().bind_processor(dialect)
    assert reference is not None
    assert fast_bind(instant) == reference(naive)
    assert fast_result(fast_bind(instant)) == instant.astimezone(UTC)
    assert audit._instant(instant) == instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with pytest.raises(ValueError, match="naive datetime"):
        fast_bind(naive)
    assert fast_bind(None) is None
    assert fast_result(None) is None
