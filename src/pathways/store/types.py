"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on every backend (SQLite keeps no zone).

    On SQLite the value is stored as SQLAlchemy's ``DATETIME`` writes it (``YYYY-MM-DD
    HH:MM:SS.ffffff``, UTC). A decision binds some sixteen instants: the processors below do
    in one step what SQLAlchemy composes from :meth:`process_bind_param` and ``DATETIME``'s
    own processor (two calls and a ``%`` format each), with the same bytes
    (``tests/integration/test_store.py`` checks it against SQLAlchemy's).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pathways stores timezone-aware instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name != "sqlite" or type(self.impl_instance.dialect_impl(dialect)) is not SQLITE_DATETIME:
            return super().bind_processor(dialect)
        return _sqlite_bind

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name != "sqlite" or type(self.impl_instance.dialect_impl(dialect)) is not SQLITE_DATETIME:
            return super().result_processor(dialect, coltype)
        return _sqlite_result


def _sqlite_bind(value: datetime | None) -> str | None:
    if value is None:
        return None
    zone = value.tzinfo
    if zone is None:
        raise ValueError(f"naive datetime {value!r}: pathways stores timezone-aware instants only")
    # SQLAlchemy's storage format, %04d-%02d-%02d %02d:%02d:%02d.%06d, in one C call: the first 26
    # characters of the ISO form (years are always written with four digits), without "+00:00".
    if zone is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_result(value: str | None) -> datetime | None:
    # What SQLAlchemy's SQLite DATETIME does with the text SQLite gives back (lenient about its shape).
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


class JSONDoc(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact).

    The PostgreSQL type is looked up when the dialect is PostgreSQL (:meth:`load_dialect_impl`),
    so this module does not import SQLAlchemy's PostgreSQL dialect (some 60 ms, asyncpg's and
    asyncio's modules with it). The tables still do: SQLAlchemy loads a dialect to check an
    argument named after it, such as the partial indexes' ``postgresql_where``. In expressions
    it is JSON: its operators (``payload["stage"]``), ``None`` stored as JSON ``null`` and
    unhashable values, as the JSON type it decorates.
    """

    impl = JSON
    cache_ok = True
    hashable = False  # as JSON's: a dict or a list is no key
    should_evaluate_none = True  # as JSON's (none_as_null=False): None is written as JSON null

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return super().load_dialect_impl(dialect)
