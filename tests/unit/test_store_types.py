"""The JSON column type: JSONB on PostgreSQL, JSON elsewhere, and the PostgreSQL dialect left unloaded.

:class:`pathways.store.types.JSONDoc` picks JSONB when the dialect is PostgreSQL, so a process on
SQLite does not import SQLAlchemy's PostgreSQL dialect for it. In statements it is the JSON type
it replaced (``JSON().with_variant(JSONB(), "postgresql")``): the same SQL, on both backends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, make_url, select
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeEngine

from pathways.store.types import JSONDoc


def _table(name: str, kind: TypeEngine[Any] | type[TypeEngine[Any]]) -> Table:
    return Table(name, MetaData(), Column("id", Integer, primary_key=True), Column("payload", kind))


def _statements(table: Table) -> list[ClauseElement]:
    payload = table.c.payload
    return [
        select(table.c.id).where(payload["stage"].as_string() == "intake"),
        select(table.c.id).where(payload["a"]["b"].as_integer() > 1),
        select(payload["k"]),
        select(table.c.id).where(payload.is_(None)),
        table.insert().values(payload=None),
        table.insert().values(payload={"stage": "intake"}),
    ]


@pytest.mark.parametrize("url", ["postgresql+psycopg://", "sqlite://"])
def test_json_documents_are_written_and_queried_as_before(url: str) -> None:
    from sqlalchemy.dialects.postgresql import JSONB

    dialect = make_url(url).get_dialect()()

    before = _table("t", JSON().with_variant(JSONB(), "postgresql"))
    now = _table("t", JSONDoc)

    for was, statement in zip(_statements(before), _statements(now), strict=True):
        expected, compiled = was.compile(dialect=dialect), statement.compile(dialect=dialect)
        assert (str(compiled), compiled.params) == (str(expected), expected.params)
    assert now.c.payload.type.compile(dialect=dialect) == (
        "JSONB" if dialect.name == "postgresql" else "JSON"
    )


def test_the_column_types_do_not_load_the_postgresql_dialect() -> None:
    probe = "import json, sys; import pathways.store.types; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    assert "sqlalchemy" in loaded
    assert [m for m in loaded if m.startswith("sqlalchemy.dialects.postgresql")] == []
