"""The database: one :class:`Store` per process, built by the entry point, and schema upgrades.

SQLite (the embedded default) and PostgreSQL (the scaled installation) behave the
same way for callers: :meth:`Store.write` opens a transaction that takes the write
lock up front (``BEGIN IMMEDIATE`` on SQLite, so two writers queue instead of
failing on a lock upgrade), :meth:`Store.read` one that reads a single snapshot.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, exc, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel

from pathways.errors import PathwaysError, Unavailable

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

# Execution option read by the SQLite "begin" listener: which BEGIN to emit.
_BEGIN_OPTION: Final = "pathways_sqlite_begin"
_BEGIN_STATEMENTS: Final = {"read": "BEGIN", "write": "BEGIN IMMEDIATE"}

# How long a statement, BEGIN IMMEDIATE included, waits for a lock another connection holds
# before failing with "database is locked" (SQLite's own busy handler does the waiting).
_SQLITE_BUSY_MS: Final = 10_000
_SQLITE_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    # A decision writes ~30 WAL pages; at the default 1,000-page threshold some commit ran a
    # checkpoint (with fsync) every ~30 decisions. 10,000 pages keeps the WAL under ~40 MiB.
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
                connect_args={
                    "connect_timeout": 10,
                    # psycopg prepares a statement on the server after it has run this many times
                    # on a connection (its default is 5): the statements built once at module
                    # level come back with the same SQL text, so a decision's are prepared on
                    # each pooled connection from their second run on.
                    "prepare_threshold": 1,
                },
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
        """A Core connection from the pool in a write transaction: committed on exit, rolled
        back on error."""
        with self._connect(self._write_engine) as conn, conn.begin():
            yield conn

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

        On SQLite the last connection to close copies the write-ahead log into the database file.
        """
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.safe_url!r})"

    def _connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except exc.OperationalError as error:
            raise unreachable(self.engine.url, error) from error


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
    # `_sqlite_begin` emits it, so every transaction really is one (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None
    for pragma in (*_SQLITE_PRAGMAS, f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}"):
        dbapi_connection.execute(pragma)


def _sqlite_begin(conn: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so that two writers queue at BEGIN (SQLite's
    # busy handler retries it until busy_timeout) instead of one failing on a lock upgrade.
    conn.exec_driver_sql(_BEGIN_STATEMENTS[conn.get_execution_options().get(_BEGIN_OPTION, "read")])
