"""The name indexes behind the case search (migration 0009), and the statements that read them.

An officer finds a case by a person's or a project's name typed without accents, in any case,
by the start of any of its words ("dub" finds "Inès L'Hermite-Dubois"). A `LIKE '%dub%'` would
read every person and project row on each search; instead each database keeps a word index that
the search reads, maintained by the database itself, so that no code path writing a name (a new
person, an edit, an import, an erasure) can leave it stale:

- **SQLite**: contentless FTS5 tables (``unicode61 remove_diacritics 2``: accents and case
  folded by the tokenizer), kept by triggers on ``person`` and ``project``. They are no
  SQLModel tables: :func:`is_search_object` tells migrations and schema checks to leave them
  out. A migration that rebuilds ``person`` or ``project`` (alembic's batch mode copies and
  drops a table, and its triggers with it) must run :func:`sqlite_schema` again;
  ``tests/integration/test_case_search.py`` checks the triggers are there at the head.
- **PostgreSQL**: GIN indexes on the folded name's ``tsvector`` (the ``simple`` configuration,
  no stemming; accents folded with the built-in ``translate()``, so no extension is needed),
  read with prefix ``tsquery`` terms.

The folding (:mod:`pathways.domain.searchtext`) is the query's too. Changing the indexed
expressions needs a new migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

from sqlalchemy import Column, Connection, Integer, MetaData, Table, Text, bindparam, select, text
from sqlalchemy.sql import Select
from sqlmodel import SQLModel

import pathways.store.tables  # noqa: F401  the person and project tables, in SQLModel's metadata
from pathways.domain.searchtext import LIGATURES, accent_table

Named = Literal["person", "project"]
NAMED: Final[tuple[Named, ...]] = ("person", "project")
FTS_SHADOWS: Final = ("data", "idx", "docsize", "config")  # a contentless FTS5 table's own tables
TOKENIZER: Final = "tokenize='unicode61 remove_diacritics 2'"  # letters and digits; accents and case folded
CASE_REF_INDEX: Final = "ix_case_ref_pattern"  # PostgreSQL: `ref LIKE 'DIAG-2026-00%'`, any collation

# Handles for the FTS5 tables in a metadata of their own (never created from it).
_FTS_METADATA: Final = MetaData()
_FTS: Final = {
    named: Table(f"{named}_name_search", _FTS_METADATA, Column("rowid", Integer), Column("name", Text))
    for named in NAMED
}
# Aliased, so that a search nested in a statement that reads the same table is never correlated to it.
_NAMED: Final = {named: SQLModel.metadata.tables[named].alias(f"named_{named}") for named in NAMED}


def fts_table(named: Named) -> str:
    """The SQLite FTS5 table indexing the names of `named`."""
    return f"{named}_name_search"


def pg_index(named: Named) -> str:
    """The PostgreSQL GIN index on the names of `named`."""
    return f"ix_{named}_name_search"


def is_search_object(name: str | None) -> bool:
    """Whether a table or index is one of these (not in the SQLModel metadata, by design)."""
    if name is None:
        return False
    names = {CASE_REF_INDEX, *(pg_index(n) for n in NAMED)}
    for named in NAMED:
        names |= {fts_table(named), *(f"{fts_table(named)}_{shadow}" for shadow in FTS_SHADOWS)}
    return name in names


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _spelt_out(column: str) -> str:
    """SQL: `column` with its ligatures spelt out (as :func:`~pathways.domain.searchtext.fold`)."""
    sql = column
    for letter, spelt in LIGATURES.items():
        sql = f"replace({sql}, {_quote(letter)}, {_quote(spelt)})"
    return sql


def pg_vector(column: str = "name") -> str:
    """SQL (PostgreSQL): the folded words of `column`, as indexed and as searched."""
    source, target = accent_table()
    folded = f"translate({_spelt_out(column)}, {_quote(source)}, {_quote(target)})"
    return f"to_tsvector('simple'::regconfig, {folded})"


def sqlite_schema() -> list[str]:
    """SQLite: the FTS5 tables, the triggers that keep them, and their first filling."""
    statements = []
    for named in NAMED:
        fts, table = fts_table(named), f'"{named}"'
        new, old = _spelt_out("new.name"), _spelt_out("old.name")
        # S608: every piece of these statements is a constant of this module (no input).
        forget = f"INSERT INTO {fts} ({fts}, rowid, name) VALUES ('delete', old.id, {old});"  # noqa: S608
        learn = f"INSERT INTO {fts} (rowid, name) VALUES (new.id, {new});"  # noqa: S608
        statements += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5(name, content='', {TOKENIZER})",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn} END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget} END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF name ON {table} BEGIN {forget} {learn} END",
            f"INSERT INTO {fts} (rowid, name) SELECT id, {_spelt_out('name')} FROM {table}",  # noqa: S608
        ]
    return statements


def sqlite_drop() -> list[str]:
    """SQLite: undo :func:`sqlite_schema`."""
    out = []
    for named in NAMED:
        fts = fts_table(named)
        out += [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")]
        out.append(f"DROP TABLE IF EXISTS {fts}")
    return out


def postgres_schema() -> list[str]:
    """PostgreSQL: the GIN indexes on folded names, and the case reference's prefix index."""
    return [
        # fastupdate off: a search reads the index alone, never a pending list of recent rows
        # (bench/web.py: a name search took 90 ms after a bulk load, 1 ms once merged).
        *(
            f'CREATE INDEX {pg_index(n)} ON "{n}" USING gin ({pg_vector("name")}) WITH (fastupdate = off)'
            for n in NAMED
        ),
        f'CREATE INDEX {CASE_REF_INDEX} ON "case" (ref text_pattern_ops)',
    ]


def postgres_drop() -> list[str]:
    """PostgreSQL: undo :func:`postgres_schema`."""
    return [f"DROP INDEX IF EXISTS {name}" for name in (*(pg_index(n) for n in NAMED), CASE_REF_INDEX)]


def name_matches(dialect: str, named: Named, words: Sequence[str], *, key: str) -> Select[Any]:
    """SELECT the ids of the people or projects whose name has a word starting with each of `words`.

    `words` are folded (:func:`~pathways.domain.searchtext.parse_search`): letters and digits
    only, so they need no escaping in either query language. A one-letter word must be a
    whole word ("l" of "L'Atelier"), or it would match most names. `key` names the bound
    parameter (unique within the statement).
    """
    if not words:
        raise ValueError("no words to match")
    if dialect == "sqlite":
        query = " AND ".join(f'"{w}"*' if len(w) > 1 else f'"{w}"' for w in words)
        fts = _FTS[named]
        return select(fts.c.rowid).where(fts.c.name.match(bindparam(key, query)))
    terms = " & ".join(f"'{w}':*" if len(w) > 1 else f"'{w}'" for w in words)
    table = _NAMED[named]
    matches = text(f"{pg_vector(f'{table.name}.name')} @@ to_tsquery('simple'::regconfig, :{key})")
    return select(table.c.id).where(matches.bindparams(bindparam(key, terms)))


def forget_erased(conn: Connection) -> None:
    """Drop from the SQLite indexes every trace of names changed or deleted so far (after an erasure).

    FTS5 records a deletion as a marker in a new segment: the erased name's words stay in the
    older segments until they merge. 'optimize' merges them now. PostgreSQL's indexes are
    cleaned with their table by VACUUM, as the table's own old row versions are.
    """
    if conn.dialect.name != "sqlite":
        return
    for named in NAMED:
        fts = fts_table(named)
        conn.exec_driver_sql(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")  # noqa: S608  constants
