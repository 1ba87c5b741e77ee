"""The database: one :class:`Store` per process, built by the entry point, and schema upgrades.

SQLite (the embedded default) and PostgreSQL (the scaled installation) behave the
same way for callers: :meth:`Store.write` opens a transaction that takes the write
lock up front (``BEGIN IMMEDIATE`` on SQLite, so two writers queue instead of
failing on a lock upgrade), :meth:`Store.read` one that reads a single snapshot.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pkgutil
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, exc, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel

from pathways.errors import PathwaysError, Unavailable

_log = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

# Execution option read by the SQLite "begin" listener: which BEGIN to emit.
_BEGIN_OPTION: Final = "pathways_sqlite_begin"
_BEGIN_STATEMENTS: Final = {"read": "BEGIN", "write": "BEGIN IMMEDIATE"}

# How long a statement waits for a lock another connection holds before failing with
# "database is locked"; a write transaction waits as long for the write lock (`_begin_immediate`).
_SQLITE_BUSY_MS: Final = 10_000
# How often a writer retries the write lock while another holds it (`_begin_immediate`).
_SQLITE_WRITE_RETRY_SECONDS: Final = 0.001
_SQLITE_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}",
    # A decision writes ~30 WAL pages; at the default 1,000-page threshold some commit ran a
    # checkpoint (with fsync) every ~30 decisions. 10,000 pages keeps the WAL under ~40 MiB.
    # The commit that crosses it finds most pages already copied by the store's checkpointer.
    "PRAGMA wal_autocheckpoint=10000",
)

# Arbitrary constant: serialises concurrent `init_database` runs on one PostgreSQL database.
_MIGRATION_LOCK_ID: Final = 0x70617468  # "path"


class Store:
    """The application database: an Engine and the transactions callers may open on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        read_options: dict[str, Any] = {_BEGIN_OPTION: "read"}
        if engine.dialect.name == "postgresql":
            # One snapshot for the whole transaction, as SQLite's WAL readers get: a report or
            # a verification never mixes data from before and after a concurrent commit.
            read_options["isolation_level"] = "REPEATABLE READ"
        self._read_engine = engine.execution_options(**read_options)
        self._write_engine = engine.execution_options(**{_BEGIN_OPTION: "write"})
        self._checkpointer = _Checkpointer.for_engine(engine)
        self._kept = _KeptWriters(lambda: self._connect(self._write_engine))

    @classmethod
    def from_url(cls, url: str | URL) -> Store:
        """A store for a SQLAlchemy URL (``sqlite:///path.db``, ``postgresql+psycopg://...``).

        Nothing is connected or created yet: a SQLite file and its directory are
        made on the first connection.
        """
        parsed = make_url(url)
        if parsed.drivername in {"postgresql", "postgres"}:  # the driver pathways ships with
            parsed = parsed.set(drivername="postgresql+psycopg")
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            engine = create_engine(parsed)
        elif backend == "postgresql":
            engine = create_engine(
                parsed,
                # No pre-ping: it costs a round trip per transaction (~0.1-0.4 ms, a fifth of a
                # decision). A connection the server dropped fails one transaction, which
                # invalidates the pool; recycling keeps idle connections from going stale.
                pool_pre_ping=False,
                pool_size=10,
                max_overflow=10,
                pool_recycle=1800,
                connect_args={"connect_timeout": 10},
            )
        else:
            raise PathwaysError(
                f"unsupported database URL {parsed.render_as_string(hide_password=True)}",
                hint="use sqlite:///path/to/pathways.db or postgresql+psycopg://user:password@host/db",
            )
        return cls(engine)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def single_writer(self) -> bool:
        """Whether every writer queues for one lock over the whole database (SQLite)."""
        return self.engine.dialect.name == "sqlite"

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A Core connection in a write transaction: committed on exit, rolled back on error.

        A thread that writes again finds the connection of its previous write waiting for it
        (:class:`_Kept`); a write inside a write, or a thread beyond :attr:`_Kept.LIMIT`,
        takes one from the pool as usual.
        """
        kept = self._kept.take()
        if kept is None:
            with self._connect(self._write_engine) as conn, conn.begin():
                yield conn
        else:
            try:
                with kept.conn.begin():
                    yield kept.conn
            finally:
                kept.busy = False
        if self._checkpointer is not None:
            self._checkpointer.written()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A Core connection in a read transaction, rolled back on exit.

        Every statement in it sees the same snapshot (a plain BEGIN on SQLite, REPEATABLE READ
        on PostgreSQL); anything written in it is discarded.
        """
        with self._connect(self._read_engine) as conn, conn.begin() as trans:
            yield conn
            trans.rollback()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in a write transaction, committed on success.

        Objects stay readable after the block (``expire_on_commit=False``).
        """
        with self._connect(self._write_engine) as conn, Session(bind=conn, expire_on_commit=False) as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()

    def ping(self) -> None:
        """Connect once; raise :class:`PathwaysError` naming the URL if the database is unreachable."""
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection (call at shutdown, or after a fork).

        On SQLite the checkpointer stops first, so that the last connection to close copies
        the whole write-ahead log into the database file.
        """
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._kept.release_all()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.safe_url!r})"

    def _connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except exc.OperationalError as error:
            raise unreachable(self.engine.url, error) from error


# This process's id, kept up to date across forks: os.getpid() is a system call, and each write
# transaction asks twice whether it runs in the process that made its connection and thread.
_process = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _process.__setitem__(0, os.getpid()))


class _Kept:
    """A write connection one thread keeps between its write transactions.

    Taking a connection from the pool and giving it back costs some 60 µs of SQLAlchemy's
    Python per transaction (checkout, reset on return, events): more than the commit of a
    decision on SQLite. A thread that writes keeps its connection instead; the connection
    goes back to the pool when the thread ends, after :attr:`RECYCLE` seconds, when it
    failed, and on :meth:`Store.dispose`.
    """

    #: Threads of one store that may keep a connection; the others use the pool as before,
    #: so a crowd of threads never ties up the pool (15 connections on SQLite, 20 on PostgreSQL).
    LIMIT: Final = 8
    #: Seconds a kept connection serves before it goes back to the pool (which recycles).
    RECYCLE: Final = 300.0

    __slots__ = ("__weakref__", "_release", "busy", "conn", "pid", "since")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pid = _process[0]
        self.since = time.monotonic()
        self.busy = False
        # Runs when the keeping thread ends (its thread-local slot is dropped) or on release().
        self._release = weakref.finalize(self, _give_back, conn, self.pid)

    def usable(self) -> bool:
        return (
            self.pid == _process[0]
            and not self.conn.closed
            and not self.conn.invalidated
            and time.monotonic() - self.since < self.RECYCLE
        )

    def release(self) -> None:
        """Give the connection back to the pool (never in a forked child: it is the parent's)."""
        self._release()


def _give_back(conn: Connection, pid: int) -> None:
    if _process[0] == pid:
        with contextlib.suppress(Exception):  # a connection the server dropped: nothing to give back
            conn.close()


class _KeptWriters:
    """The :class:`_Kept` connections of one store: one slot per thread."""

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect
        self._slot = threading.local()
        self._all: weakref.WeakSet[_Kept] = weakref.WeakSet()
        self._lock = threading.Lock()

    def take(self) -> _Kept | None:
        """This thread's connection, marked busy; None when the caller should use the pool."""
        kept: _Kept | None = getattr(self._slot, "kept", None)
        if kept is not None:
            if kept.busy:
                return None  # a write inside a write on this thread
            if kept.usable():
                kept.busy = True
                return kept
            self._slot.kept = None
            kept.release()
        with self._lock:
            if len(self._all) >= _Kept.LIMIT:
                return None
            kept = _Kept(self._connect())
            self._all.add(kept)
        self._slot.kept = kept
        kept.busy = True
        return kept

    def release_all(self) -> None:
        """Give every kept connection back (the threads keeping them will take new ones)."""
        with self._lock:
            kept, self._all = list(self._all), weakref.WeakSet()
        for each in kept:
            each.release()


class _Checkpointer:
    """Copies SQLite's write-ahead log into the database file on a thread beside the writers.

    Left to itself, SQLite checkpoints inside the commit that takes the log past
    ``wal_autocheckpoint`` pages: that one commit copies thousands of pages into the database
    file while its caller waits (a fifth of the time of a run of decisions). Here each write
    transaction wakes a thread that runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a connection
    of its own: it copies what is committed without waiting for or blocking any reader or
    writer, with the GIL released while SQLite works, so the copying runs on another core and
    the commit that crosses the threshold only finishes the job. If the thread falls behind
    or fails, SQLite's own checkpoint still bounds the log. The thread ends after a few
    idle seconds (and on :meth:`Store.dispose`); the next write starts it again, in
    whichever process writes.
    """

    #: Shortest pause between two checkpoints: commits in between are copied together.
    PAUSE: Final = 0.05
    #: Idle seconds after which the thread closes its connection and ends.
    IDLE: Final = 5.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.passes = 0  # checkpoints run (tests, diagnostics)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    @classmethod
    def for_engine(cls, engine: Engine) -> _Checkpointer | None:
        """A checkpointer for a SQLite database file; None for memory or URI databases."""
        if engine.dialect.name != "sqlite":
            return None
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:") or engine.url.query:
            return None
        return cls(Path(database))

    def written(self) -> None:
        """A write transaction committed: wake the thread (start it if it is not running)."""
        if not self._wake.is_set():  # commits during a pause are copied by the next pass anyway
            self._wake.set()
        thread = self._thread
        if thread is None or not thread.is_alive() or self._pid != _process[0]:
            self._start()

    def stop(self) -> None:
        """End the thread and close its connection (waits for a checkpoint under way)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping.set()
            self._wake.set()
        if thread is not None and self._pid == os.getpid():
            thread.join(timeout=30)
        self._stopping.clear()

    def _start(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread is not here
                self._pid, self._thread = os.getpid(), None
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="pathways-sqlite-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            uri = f"file:{quote(str(self.path))}?mode=rw"  # never creates the file
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            _log.debug("checkpointer for %s not started: %s", self.path, error)
            return
        try:
            while self._wake.wait(timeout=self.IDLE) and not self._stopping.is_set():
                self._wake.clear()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.passes += 1
                if self._stopping.wait(self.PAUSE):
                    break
        except sqlite3.Error as error:  # SQLite's own checkpoint takes over
            _log.warning("checkpoint of %s failed: %s", self.path, error)
        finally:
            conn.close()


def unreachable(url: URL, error: BaseException) -> Unavailable:
    """The error for a database that cannot be reached, naming it (password masked)."""
    safe = url.render_as_string(hide_password=True)
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if url.get_backend_name() == "sqlite":
        hint = "check that the directory exists or can be created and that the file is writable"
    else:
        hint = (
            "check that the server is running and accepts connections on that host and port, "
            "that the database exists, and the user name and password (PATHWAYS_DATABASE_URL)"
        )
    return Unavailable(f"cannot connect to the database {safe}: {reason}", hint=hint)


def table_metadata() -> MetaData:
    """Every application table: imports each module of ``pathways.store``, which registers its tables.

    Tables defined outside ``tables.py`` would otherwise be missing whenever their
    module happens not to be imported (migrations, schema checks, test clean-up).
    """
    package = importlib.import_module("pathways.store")
    for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if not module.ispkg:
            importlib.import_module(module.name)
    return SQLModel.metadata


def latest_revision() -> str:
    """The newest migration shipped with this version of pathways."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise PathwaysError(f"no migration found in {MIGRATIONS_DIR}")
    return head


def init_database(store: Store) -> str:
    """Upgrade the schema to the latest migration and return that revision (idempotent)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    # ConfigParser interpolation: a literal '%' in the path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    with store._connect(store._write_engine) as conn:
        sqlite = store.dialect == "sqlite"
        if sqlite:
            # SQLite's ALTER TABLE recipe (alembic batch mode) copies and drops tables: foreign
            # keys must be off meanwhile, and the pragma is ignored inside a transaction.
            _driver_execute(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if store.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise PathwaysError(
                            f"the migration left {len(broken)} rows with dangling foreign keys "
                            f"in {store.safe_url} (first: {tuple(broken[0])}); nothing was changed",
                            hint="fix the migration, then run it again",
                        )
                revision = MigrationContext.configure(conn).get_current_revision()
        finally:
            if sqlite:
                _driver_execute(conn, "PRAGMA foreign_keys=ON")
    if revision is None:
        raise PathwaysError(f"no migration found in {MIGRATIONS_DIR}")
    return revision


def _driver_execute(conn: Connection, statement: str) -> None:
    """Run a statement on the DBAPI connection itself, outside any SQLAlchemy transaction."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    dbapi.execute(statement)


def _configure_sqlite(engine: Engine) -> None:
    """Pragmas on every connection and SQLAlchemy-controlled BEGIN (the pysqlite recipe)."""
    if event.contains(engine, "begin", _sqlite_begin):
        return
    event.listen(engine, "do_connect", _sqlite_make_directory)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_make_directory(
    _dialect: Any, _record: ConnectionPoolEntry, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> None:
    database = cargs[0] if cargs else cparams.get("database")
    if isinstance(database, str) and database and database != ":memory:" and not database.startswith("file:"):
        # If this fails, sqlite3 fails next with "unable to open database file", which
        # `Store` turns into a PathwaysError naming the database.
        with contextlib.suppress(OSError):
            Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Stop the sqlite3 module from issuing BEGIN itself (and skipping it before SELECT and DDL):
    # `_sqlite_begin` emits it, so every transaction really is one.
    dbapi_connection.isolation_level = None
    for pragma in _SQLITE_PRAGMAS:
        dbapi_connection.execute(pragma)


def _sqlite_begin(conn: Connection) -> None:
    # On the driver itself: every transaction starts here, and SQLAlchemy's execution
    # machinery costs more than the BEGIN. A failure (database locked past busy_timeout)
    # is raised as SQLAlchemy's exception, as it would have been.
    statement = _BEGIN_STATEMENTS[conn.get_execution_options().get(_BEGIN_OPTION, "read")]
    dbapi_error = conn.dialect.loaded_dbapi.Error
    driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
    try:
        if statement == "BEGIN IMMEDIATE":
            _begin_immediate(driver)
        else:
            driver.execute(statement)
    except dbapi_error as error:
        raise exc.DBAPIError.instance(statement, None, error, dbapi_error, dialect=conn.dialect) from error


def _begin_immediate(driver: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried every millisecond while another connection holds the write lock.

    SQLite's own wait (``busy_timeout``) sleeps 1, 2, 5, 10 ... then 100 ms between tries: a
    writer that has waited a while sleeps on while the lock is freed and taken again by
    writers that came later. Writers of a busy server then wait for nothing, and the longest
    waits grow (bench/web.py, saturated decisions, bench/RESULTS.md). Trying again every
    millisecond, with the same deadline, hands the lock on within a millisecond of its release.
    """
    driver.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + _SQLITE_BUSY_MS / 1000
        while True:
            try:
                driver.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # extended codes too
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(_SQLITE_WRITE_RETRY_SECONDS)
            else:
                return
    finally:
        driver.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
