"""Statements compiled once and run on the driver's cursor: the decision hot path.

Running a Core statement through :meth:`Connection.execute` costs 30-40 µs of Python
on top of the driver even when its compiled form is cached (execution context, events,
result set-up); a decision runs eight of them. :class:`Prepared` compiles a statement
once per dialect with SQLAlchemy and then runs it on the DBAPI cursor of the caller's
connection, inside the caller's transaction. Values go through the same type
processors SQLAlchemy would apply (UTC instants, JSON), so what is stored is the same
byte for byte, and driver errors are raised as SQLAlchemy's exceptions
(``IntegrityError``, ``OperationalError``...).

On PostgreSQL the statements do not go through psycopg's cursor but straight to libpq
(:class:`_Wire`), in its pipeline mode: each is prepared once per connection as a named
server-side statement; inside a :func:`pipeline` block each is written to the socket as it is
run, and all the answers are read after one sync when the block ends. psycopg's own pipeline
polls, sends and reads after every statement, about 0.1 ms of the client's CPU each: a
third of a decision's. psycopg's automatic preparation stays on: when psycopg deallocates
every prepared statement of the session (a rollback while it holds statements of its own, or
a DROP or ALTER run through it), the wire forgets its own, and prepares them again.

Only for statements whose every value is a named :func:`~sqlalchemy.bindparam`; SQL
comes from the statement, never from values.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import re
import select
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Column, Connection, Engine, Table, bindparam, event, exc, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement

Trace = Callable[[str, float], None]
_trace: Trace | None = None


def set_trace(trace: Trace | None) -> None:
    """Report each prepared statement run (SQL, seconds in the driver) to `trace` (benchmarks)."""
    global _trace
    _trace = trace


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: bool
    fixed: dict[str, Any]  # values written in the statement (e.g. status = 'pending')
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # parameters that need processing
    take: Callable[[Mapping[str, Any]], Any]  # positional: the parameters in order, as a sequence
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]  # positional: index -> its processor
    keys: tuple[str, ...]  # result column keys
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # result columns that need processing
    dbapi_error: type[Exception]
    dialect: Dialect
    name: bytes  # PostgreSQL: the server-side prepared statement's name on every connection
    wire_sql: bytes  # PostgreSQL: the SQL with $1..$n placeholders, as libpq sends it


_NAMES = itertools.count(1)
_PYFORMAT: Final = re.compile(r"%\(([^)]+)\)s|%%")


def _dollar(sql: str) -> tuple[str, tuple[str, ...]]:
    """psycopg's ``%(name)s`` SQL as libpq's ``$1..$n``, and the names in placeholder order."""
    order: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        if found.group(0) == "%%":
            return "%"
        return f"${order.setdefault(found.group(1), len(order) + 1)}"

    return _PYFORMAT.sub(number, sql), tuple(order)


def _taker(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A function giving the values of `names`, in order, as a new list (one C call to get them)."""
    if not names:
        return lambda _values: []
    get = operator.itemgetter(*names)
    if len(names) == 1:
        return lambda values: [get(values)]
    return lambda values: list(get(values))


class Prepared:
    """A Core statement run on the driver's cursor of the caller's connection."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled: Any = self.statement.compile(dialect=dialect)
        binds: dict[str, Any] = compiled.binds
        sql: str = compiled.string
        wire = dialect.name == "postgresql"
        if wire:
            sql, names = _dollar(sql)
        else:
            rendered = (
                compiled.positiontup if dialect.positional else dict.fromkeys(compiled.bind_names.values())
            )
            names = tuple(rendered)
        processors = []
        fixed = []
        for name in names:
            bind = binds[name]
            if not bind.required:
                fixed.append((name, bind.effective_value))
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((name, processor))
        selected = list(getattr(self.statement, "exported_columns", ()))  # SELECT or RETURNING
        results = []
        for index, column in enumerate(selected):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                results.append((index, processor))
        dbapi = dialect.loaded_dbapi
        by_name = dict(processors)
        return _Compiled(
            sql=sql,
            positional=wire or dialect.positional,
            fixed=dict(fixed),
            binds=tuple(processors),
            take=_taker(names),
            processed=tuple((i, by_name[name]) for i, name in enumerate(names) if name in by_name),
            keys=tuple(column.key for column in selected),
            results=tuple(results),
            dbapi_error=dbapi.Error,
            dialect=dialect,
            name=b"pathways_%d" % next(_NAMES),
            wire_sql=sql.encode(),
        )

    @staticmethod
    def _params(compiled: _Compiled, values: Mapping[str, Any]) -> Any:
        if compiled.fixed:
            values = {**compiled.fixed, **values}
        if compiled.positional:
            params = compiled.take(values)
            for index, processor in compiled.processed:
                params[index] = processor(params[index])
            return params
        params = dict(values)
        for name, processor in compiled.binds:
            params[name] = processor(params[name])
        return params

    def _values(self, compiled: _Compiled, values: Mapping[str, Any]) -> Any:
        try:
            return self._params(compiled, values)
        except (TypeError, ValueError) as error:  # a value its column refuses (e.g. a naive datetime)
            raise exc.StatementError(str(error), compiled.sql, None, error) from error

    def _run(
        self, conn: Connection, values: Mapping[str, Any] | Sequence[Mapping[str, Any]], many: bool
    ) -> Any:
        compiled = self._for(conn.dialect)
        cursor = conn.connection.cursor()
        if many:
            assert isinstance(values, Sequence)
            params: Any = [self._values(compiled, v) for v in values]
        else:
            assert isinstance(values, Mapping)
            params = self._values(compiled, values)
        started = time.perf_counter() if _trace is not None else 0.0
        try:
            if many:
                cursor.executemany(compiled.sql, params)
            else:
                cursor.execute(compiled.sql, params)
        except compiled.dbapi_error as error:
            raise exc.DBAPIError.instance(
                compiled.sql, params, error, compiled.dbapi_error, dialect=compiled.dialect, ismulti=many
            ) from error
        if _trace is not None:
            _trace(compiled.sql, time.perf_counter() - started)
        return cursor

    def _queue(self, conn: Connection, values: Mapping[str, Any]) -> Sent:
        """PostgreSQL: queue the statement on the connection's wire (sent when the block ends)."""
        compiled = self._for(conn.dialect)
        wire = _Wire.of(conn)
        sent = wire.queue(compiled, self._values(compiled, values))
        if not wire.depth:
            wire.flush()
        return sent

    def send(self, conn: Connection, values: Mapping[str, Any]) -> Sent:
        """Run the statement; inside :func:`pipeline` on PostgreSQL it is only queued, and its
        result is there once the pipeline block is left."""
        if conn.dialect.name == "postgresql":
            return self._queue(conn, values)
        return Sent(self._for(conn.dialect), self._run(conn, values, many=False))

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Run the statement with these parameter values; the number of rows it changed."""
        if conn.dialect.name == "postgresql":
            return self._queue(conn, values).rowcount
        cursor = self._run(conn, values, many=False)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def executemany(self, conn: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per parameter set (the driver batches them; on PostgreSQL
        they are sent together)."""
        if not values:
            return
        if conn.dialect.name != "postgresql":
            self._run(conn, values, many=True).close()
            return
        compiled = self._for(conn.dialect)
        wire = _Wire.of(conn)
        for each in values:
            wire.queue(compiled, self._values(compiled, each))
        if not wire.depth:
            wire.flush()

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row the statement returns (SELECT, or RETURNING), by column key; None if none."""
        return self.send(conn, values).first()

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row the statement returns, by column key (for a few rows: they are all loaded)."""
        return self.send(conn, values).all()


class PreparedRows:
    """An INSERT of any number of rows into `table`, each value named b_<column> as in
    :class:`Prepared`.

    SQLite runs one statement per row in the driver's C loop (``executemany``). PostgreSQL gets
    one multi-row INSERT (compiled once per row count): in a :func:`pipeline` each statement sent
    costs the client its own system calls, which are most of its share of a decision.
    """

    __slots__ = ("_columns", "_each", "_table", "_together")

    def __init__(self, table: Table, columns: Sequence[Column[Any]]) -> None:
        self._table = table
        self._columns = tuple(columns)
        self._each = Prepared(
            insert(table).values({c: bindparam(f"b_{c.key}", type_=c.type) for c in columns})
        )
        self._together: dict[int, Prepared] = {}

    def insert(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows` (in a pipeline on PostgreSQL: sent, checked when the block is left)."""
        if not rows:
            return
        if conn.dialect.name != "postgresql":
            self._each.executemany(conn, rows)
            return
        count = len(rows)
        statement = self._together.get(count)
        if statement is None:
            values = [
                {c: bindparam(f"b_{c.key}_{i}", type_=c.type) for c in self._columns} for i in range(count)
            ]
            statement = self._together[count] = Prepared(insert(self._table).values(values))
        statement.send(
            conn, {f"{name}_{i}": value for i, row in enumerate(rows) for name, value in row.items()}
        )


class Sent:
    """A statement run (or, in a pipeline, queued): its row count and first row once it is done."""

    __slots__ = ("_compiled", "_cursor", "_error", "_rowcount", "_rows", "_wire")

    def __init__(self, compiled: _Compiled, cursor: Any = None, wire: _Wire | None = None) -> None:
        self._compiled = compiled
        self._cursor = cursor  # SQLite: the driver's cursor holding the result
        self._wire = wire  # PostgreSQL: the wire it waits on, until answered
        self._rowcount = -1
        self._rows: Sequence[Sequence[Any]] = ()
        self._error: Exception | None = None

    def _answered(self, rowcount: int, rows: Sequence[Sequence[Any]]) -> None:
        self._wire = None
        self._rowcount = rowcount
        self._rows = rows

    def _failed(self, error: Exception) -> None:
        self._wire = None
        self._error = error

    def _wait(self) -> None:
        if self._wire is not None:
            self._wire.flush()  # still queued: send what the block has so far
        if self._error is not None:
            raise self._error

    @property
    def rowcount(self) -> int:
        """Rows the statement changed."""
        if self._cursor is not None:
            return int(self._cursor.rowcount)
        self._wait()
        return self._rowcount

    def first(self) -> dict[str, Any] | None:
        """Its first row by column key, values processed as SQLAlchemy would; None if none."""
        if self._cursor is None:
            self._wait()
            row = self._rows[0] if self._rows else None
        else:
            row = self._fetch(self._cursor.fetchone)
        return None if row is None else self._mapping(row)

    def all(self) -> list[dict[str, Any]]:
        """Every row it returns, as :meth:`first` gives the first."""
        if self._cursor is None:
            self._wait()
            rows = self._rows
        else:
            rows = self._fetch(self._cursor.fetchall)
        return [self._mapping(row) for row in rows]

    def _fetch(self, fetch: Callable[[], Any]) -> Any:
        compiled = self._compiled
        try:
            return fetch()
        except compiled.dbapi_error as error:
            raise exc.DBAPIError.instance(
                compiled.sql, None, error, compiled.dbapi_error, dialect=compiled.dialect
            ) from error

    def _mapping(self, row: Sequence[Any]) -> dict[str, Any]:
        compiled = self._compiled
        found = list(row)
        for index, processor in compiled.results:
            found[index] = processor(found[index])
        return dict(zip(compiled.keys, found, strict=True))


# --- PostgreSQL: statements sent to libpq together ------------------------------------------


_ATTRIBUTE: Final = "_pathways_wire"  # the psycopg connection's wire, kept on the connection


class _Wire:
    """One psycopg connection's statements, sent to libpq as they come and answered together.

    A statement is written to the socket as soon as it is run (the server starts on it while
    the caller prepares the next) without waiting for anything; its answer is read when the
    :func:`pipeline` block ends, after one sync, with the answers of the others. Each statement
    is prepared on the connection the first time it runs there (its ``Parse`` goes just before
    it). Outside a block a statement is answered at once: one round trip, as on psycopg's
    cursor. The transaction is begun as psycopg would begin it (isolation level, read-only and
    deferrable settings), so that psycopg's ``commit()`` and ``rollback()`` end it as usual.
    psycopg's lock on the connection is held from the first statement to the last answer.
    """

    __slots__ = ("depth", "driver", "expected", "poll", "prepared", "transformer")

    def __init__(self, driver: Any) -> None:
        from psycopg.adapt import Transformer  # psycopg is imported only where PostgreSQL is used

        self.driver = driver
        self.depth = 0  # open pipeline blocks
        self.prepared: set[bytes] = set()  # statement names prepared on this connection
        # What each command sent and not yet answered is for: a statement (its Sent and
        # values), a Parse (None and the statement's name) or BEGIN (None, None).
        self.expected: list[tuple[Sent, Any] | tuple[None, bytes | None]] = []
        self.transformer = Transformer(driver)
        self.poll = select.poll()
        self.poll.register(driver.pgconn.socket, select.POLLIN)
        # psycopg sends DEALLOCATE ALL right after its prepare manager's clear() says it had
        # statements of its own (a rollback, a DROP or ALTER run through it): these go too.
        manager = driver._prepared
        clear = manager.clear

        def clear_and_forget() -> bool:
            deallocating = bool(clear())
            if deallocating:
                self.prepared.clear()
            return deallocating

        manager.clear = clear_and_forget

    @classmethod
    def of(cls, conn: Connection) -> _Wire:
        driver = conn.connection.driver_connection
        wire: _Wire | None = getattr(driver, _ATTRIBUTE, None)
        if wire is None:
            wire = cls(driver)
            setattr(driver, _ATTRIBUTE, wire)
        return wire

    def queue(self, compiled: _Compiled, params: Any) -> Sent:
        """Send the statement without waiting; its answer comes with :meth:`flush`."""
        from psycopg import pq
        from psycopg.adapt import PyFormat

        driver = self.driver
        pgconn = driver.pgconn
        started = time.perf_counter() if _trace is not None else 0.0
        try:
            values = self.transformer.dump_sequence(params, [PyFormat.TEXT] * len(params))
        except compiled.dbapi_error as error:  # a value psycopg cannot send: nothing was sent
            raise exc.StatementError(str(error), compiled.sql, params, error) from error
        sent = Sent(compiled, wire=self)
        first = not self.expected
        if first:
            driver.lock.acquire()
            try:
                pgconn.enter_pipeline_mode()
            except BaseException:
                driver.lock.release()
                raise
        try:
            if first and not driver.autocommit and pgconn.transaction_status == pq.TransactionStatus.IDLE:
                pgconn.send_query_params(_begin_command(driver), None)
                self.expected.append((None, None))
            name = compiled.name
            if name not in self.prepared:
                pgconn.send_prepare(name, compiled.wire_sql)
                self.prepared.add(name)  # taken back if the Parse fails
                self.expected.append((None, name))
            pgconn.send_query_prepared(name, values)
            self.expected.append((sent, params))
            pgconn.flush()  # what the socket takes now; the rest goes with the sync
        except BaseException:
            self._broken()
            driver.lock.release()
            raise
        if _trace is not None:
            _trace(compiled.sql, time.perf_counter() - started)
        return sent

    def drop(self) -> None:
        """End what was sent when the block failed: its answers, errors included, are dropped
        (the caller rolls the transaction back)."""
        with contextlib.suppress(exc.DBAPIError):
            self.flush()

    def flush(self) -> None:
        """Read the answer of every statement sent; raise the first error as SQLAlchemy's."""
        expected, self.expected = self.expected, []
        if not expected:
            return
        started = time.perf_counter() if _trace is not None else 0.0
        try:
            failure = self._answers(expected)
        except BaseException as error:
            self._broken()
            first = _next_statement(expected, None)._compiled
            if not isinstance(error, first.dbapi_error):
                raise
            failed = exc.DBAPIError.instance(first.sql, None, error, first.dbapi_error, dialect=first.dialect)
            for target, _ in expected:
                if target is not None:
                    target._failed(failed)
            raise failed from error
        finally:
            self.driver.lock.release()
        if _trace is not None:
            _trace("SYNC", time.perf_counter() - started)  # the wait for every answer
        if failure is not None:
            raise _aborted(failure) from failure[0]

    def _answers(
        self, expected: list[tuple[Sent, Any] | tuple[None, bytes | None]]
    ) -> tuple[Exception, _Compiled, Any] | None:
        """Sync, then give each statement its answer; the first error, its statement and values."""
        from psycopg import errors, pq

        pgconn = self.driver.pgconn
        pgconn.pipeline_sync()
        while pgconn.flush():  # the socket's buffer is full: wait until it can take more
            self._wait(select.POLLOUT)
        failure: tuple[Exception, _Compiled, Any] | None = None
        for target, detail in expected:
            result = self._result()
            while self._result() is not None:  # each command's answer ends with a null result
                pass
            status = result.status
            if status in {pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.PIPELINE_ABORTED}:
                if target is None and detail is not None:
                    self.prepared.discard(detail)  # the Parse did not run
                if status == pq.ExecStatus.FATAL_ERROR:
                    error = errors.error_from_result(result, encoding=self.driver.info.encoding)
                    if error.sqlstate == "26000":  # a prepared statement is gone (DEALLOCATE ALL)
                        self.prepared.clear()
                    if failure is None:
                        statement = target if target is not None else _next_statement(expected, detail)
                        failure = (error, statement._compiled, detail if target is not None else None)
                if target is not None:
                    target._failed(_aborted(failure))
                continue
            if target is None:
                continue
            rows: Sequence[Sequence[Any]] = ()
            if status == pq.ExecStatus.TUPLES_OK and result.ntuples:
                self.transformer.set_pgresult(result)
                rows = self.transformer.load_rows(0, result.ntuples, tuple)
            target._answered(int(result.command_tuples or 0), rows)
        sync = self._result()
        assert sync is not None
        assert sync.status == pq.ExecStatus.PIPELINE_SYNC, sync.status
        pgconn.exit_pipeline_mode()
        return failure

    def _result(self) -> Any:
        pgconn = self.driver.pgconn
        while pgconn.is_busy():
            self._wait(select.POLLIN)
            pgconn.consume_input()
        return pgconn.get_result()

    def _wait(self, events: int) -> None:
        self.poll.modify(self.driver.pgconn.socket, events)
        self.poll.poll()

    def _broken(self) -> None:
        """Answers may be left unread: the connection cannot be trusted with another statement."""
        setattr(self.driver, _ATTRIBUTE, None)
        self.expected = []
        self.driver.close()


def _next_statement(expected: Sequence[tuple[Any, Any]], name: bytes | None) -> Sent:
    """The statement a failed BEGIN or Parse was sent for (the first one after it)."""
    return next(
        target
        for target, _ in expected
        if isinstance(target, Sent) and (name is None or target._compiled.name == name)
    )


@event.listens_for(Engine, "before_cursor_execute")
def _answer_first(conn: Connection, *_args: Any) -> None:
    """Read the answers of what :class:`Prepared` sent on `conn` before SQLAlchemy runs a
    statement there: the statements stay in order, and psycopg finds its connection free (the
    wire holds psycopg's lock on it until then)."""
    if conn.dialect.name == "postgresql":
        wire = getattr(conn.connection.driver_connection, _ATTRIBUTE, None)
        if wire is not None and wire.expected:
            wire.flush()


def _aborted(failure: tuple[Exception, _Compiled, Any] | None) -> Exception:
    """What a statement after a failed one raises when its result is asked for."""
    if failure is None:
        return exc.InvalidRequestError("the statement was not run: an earlier one failed")
    error, compiled, params = failure
    return exc.DBAPIError.instance(
        compiled.sql, params, error, compiled.dbapi_error, dialect=compiled.dialect
    )


def _begin_command(driver: Any) -> bytes:
    """The BEGIN psycopg sends for this connection's settings."""
    parts = [b"BEGIN"]
    if driver.isolation_level is not None:
        parts += [b"ISOLATION LEVEL", driver.isolation_level.name.replace("_", " ").encode()]
    if driver.read_only is not None:
        parts.append(b"READ ONLY" if driver.read_only else b"READ WRITE")
    if driver.deferrable is not None:
        parts.append(b"DEFERRABLE" if driver.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


_PLAIN_BLOCK: Final = contextlib.nullcontext()


def pipeline(conn: Connection) -> contextlib.AbstractContextManager[None]:
    """Send the statements of :class:`Prepared` run in the block together, when it is left
    (PostgreSQL; elsewhere a plain block).

    Results (:class:`Sent`) are there once the block is left (asking for one inside the block
    sends what is queued so far); an error in any statement is raised when the block is left,
    as SQLAlchemy's exception, and the transaction is then failed (roll it back). A statement
    run through SQLAlchemy inside the block first reads those answers; do not use the psycopg
    connection directly inside the block (it waits for psycopg's lock, which the block holds).
    """
    if conn.dialect.name != "postgresql":
        return _PLAIN_BLOCK
    return _pipeline(conn)


@contextlib.contextmanager
def _pipeline(conn: Connection) -> Iterator[None]:
    wire = _Wire.of(conn)
    wire.depth += 1
    try:
        yield
    except BaseException:
        wire.depth -= 1
        if not wire.depth:
            wire.drop()
        raise
    wire.depth -= 1
    if not wire.depth:
        wire.flush()
