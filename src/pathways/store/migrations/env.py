"""Alembic environment: migrates the connection `init_database` hands over, or the configured database."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel.sql.sqltypes import AutoString

from pathways.store.db import Store, table_metadata
from pathways.store.search import is_search_object
from pathways.store.types import JSONDoc, UTCDateTime

TYPES_IMPORT = "from pathways.store.types import JSONDoc, UTCDateTime"


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the project's column types by name, not by their SQLModel/decorator internals."""
    if type_ != "type":
        return False
    if isinstance(obj, AutoString):
        return "sa.String()" if obj.length is None else f"sa.String(length={obj.length})"
    if isinstance(obj, UTCDateTime):
        autogen_context.imports.add(TYPES_IMPORT)
        return "UTCDateTime()"
    if isinstance(obj, JSONDoc):
        autogen_context.imports.add(TYPES_IMPORT)
        return "JSONDoc"
    return False


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """Autogenerate leaves out the search indexes: dialect-specific, made by hand (migration 0009)."""
    return not (type_ in {"table", "index"} and is_search_object(name))


def run_migrations(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=table_metadata(),
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("pathways migrations run online only (init_database, or alembic upgrade)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    from pathways.settings import load_settings

    store = Store.from_url(load_settings().effective_database_url)
    try:
        with store.write() as conn:
            run_migrations(conn)
    finally:
        store.dispose()


main()
