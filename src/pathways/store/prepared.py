"""Statements compiled once and run on the driver's cursor: the decision hot path.

Running a Core statement through :meth:`Connection.execute` costs 30-40 µs of Python
on top of the driver even when its compiled form is cached (execution context, events,
result set-up); a decision runs eight of them. :class:`Prepared` compiles a statement
once per dialect with SQLAlchemy and then runs it on the DBAPI cursor of the caller's
connection, inside the caller's transaction. Values go through the same type
processors SQLAlchemy would apply (UTC instants, JSON), so what is stored is the same
byte for byte, and driver errors are raised as SQLAlchemy's exceptions
(``IntegrityError``, ``OperationalError``...).

Only for statements whose every value is a named :func:`~sqlalchemy.bindparam`; SQL
comes from the statement, never from values.
"""

from __future__ import annotations

import contextlib
import operator
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Column, Connection, Table, bindparam, exc, insert
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
        rendered = compiled.positiontup if dialect.positional else dict.fromkeys(compiled.bind_names.values())
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
            sql=compiled.string,
            positional=dialect.positional,
            fixed=dict(fixed),
            binds=tuple(processors),
            take=_taker(names),
            processed=tuple((i, by_name[name]) for i, name in enumerate(names) if name in by_name),
            keys=tuple(column.key for column in selected),
            results=tuple(results),
            dbapi_error=dbapi.Error,
            dialect=dialect,
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

    def _run(
        self, conn: Connection, values: Mapping[str, Any] | Sequence[Mapping[str, Any]], many: bool
    ) -> Any:
        compiled = self._for(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            if many:
                assert isinstance(values, Sequence)
                params: Any = [self._params(compiled, v) for v in values]
            else:
                assert isinstance(values, Mapping)
                params = self._params(compiled, values)
        except (TypeError, ValueError) as error:  # a value its column refuses (e.g. a naive datetime)
            raise exc.StatementError(str(error), compiled.sql, None, error) from error
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

    def send(self, conn: Connection, values: Mapping[str, Any]) -> Sent:
        """Run the statement; inside :func:`pipeline` on PostgreSQL it is only sent, and its
        result is there once the pipeline block is left."""
        return Sent(self._for(conn.dialect), self._run(conn, values, many=False))

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Run the statement with these parameter values; the number of rows it changed."""
        cursor = self._run(conn, values, many=False)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def executemany(self, conn: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per parameter set (the driver batches them)."""
        if values:
            self._run(conn, values, many=True).close()

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row the statement returns (SELECT, or RETURNING), by column key; None if none."""
        return self.send(conn, values).first()


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
    """A statement run (or, in a pipeline, sent): its row count and first row once it is done."""

    __slots__ = ("_compiled", "_cursor")

    def __init__(self, compiled: _Compiled, cursor: Any) -> None:
        self._compiled = compiled
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        """Rows the statement changed."""
        return int(self._cursor.rowcount)

    def first(self) -> dict[str, Any] | None:
        """Its first row by column key, values processed as SQLAlchemy would; None if none."""
        compiled = self._compiled
        try:
            row = self._cursor.fetchone()
        except compiled.dbapi_error as error:
            raise exc.DBAPIError.instance(
                compiled.sql, None, error, compiled.dbapi_error, dialect=compiled.dialect
            ) from error
        if row is None:
            return None
        found = list(row)
        for index, processor in compiled.results:
            found[index] = processor(found[index])
        return dict(zip(compiled.keys, found, strict=True))


_PLAIN_BLOCK: Final = contextlib.nullcontext()


def pipeline(conn: Connection) -> contextlib.AbstractContextManager[None]:
    """Send the statements run in the block without waiting for each result (psycopg's pipeline
    mode: one round trip instead of one per statement); elsewhere a plain block.

    Results (:class:`Sent`) are there once the block is left; an error in any statement is
    raised when the block is left, as SQLAlchemy's exception, and the transaction is then
    failed (roll it back).
    """
    if conn.dialect.name != "postgresql":
        return _PLAIN_BLOCK
    return _pipeline(conn)


@contextlib.contextmanager
def _pipeline(conn: Connection) -> Iterator[None]:
    driver = conn.connection.driver_connection
    start = getattr(driver, "pipeline", None)
    if start is None:
        yield
        return
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with start():
            yield
    except dbapi_error as error:
        raise exc.DBAPIError.instance(None, None, error, dbapi_error, dialect=conn.dialect) from error
