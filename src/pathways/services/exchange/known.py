"""What the database already holds that an import names, looked up in bulk for a whole file:
organisations, people, projects by SIRET or BCE number, members by e-mail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Table, func, select, text

from pathways.services.exchange.csvfile import Row
from pathways.store.core import MEMBER, ORG, PERSON, PROJECT

if TYPE_CHECKING:
    pass


MAX_ID: Final = 2**31 - 1  # ids are INTEGER columns: a larger number names no row
IN_CHUNK: Final = 900  # values per IN (...) when looking rows up in the database


def pairs(
    conn: Connection,
    table: Table,
    column: str,
    values: Iterable[Any],
    *,
    people: bool = False,
    of: str = "id",
) -> Iterator[tuple[Any, Any]]:
    """(`of`, value) of the rows whose `column` is one of `values` (text compared lower-cased)."""
    key = table.c[column]
    text = key.type.python_type is str
    wanted = sorted({v.lower() if text else v for v in values})
    compared = func.lower(key) if text else key
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(table.c[of], key).where(compared.in_(wanted[start : start + IN_CHUNK]))
        if people:
            query = query.where(PERSON.c.erased_at.is_(None))  # an erased person owns nothing new
        yield from conn.execute(query).tuples()


class Orgs:
    """Organisations by id, slug or name (as `find_org` finds them), read once."""

    def __init__(self, conn: Connection) -> None:
        rows = conn.execute(select(ORG.c.id, ORG.c.slug, ORG.c.name, ORG.c.territory)).all()
        self.territory = {r.id: r.territory for r in rows}
        self.by_key: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            self.by_key[row.slug.lower()].add(row.id)
            self.by_key[row.name.lower()].add(row.id)

    def find(self, row: Row, ref: str) -> int | None:
        if is_id(ref) and int(ref) in self.territory:
            return int(ref)
        found = self.by_key.get(ref.lower(), set())
        if len(found) == 1:
            return next(iter(found))
        row.fail(
            "org",
            f"org '{ref}' is ambiguous: use the id, one of {sorted(found)}" if found else f"no org '{ref}'",
        )
        return None


class People:
    """The people a file names, by id, handle, email or name, among the members of the row's
    organisation (as `find_person` finds them with `org_id`): anyone else is unknown."""

    def __init__(self, conn: Connection, refs: Iterable[str]) -> None:
        wanted = {ref.lower() for ref in refs}
        self.ids = {
            i for i, _ in pairs(conn, PERSON, "id", (int(r) for r in wanted if is_id(r)), people=True)
        }
        self.keys: dict[str, dict[str, set[int]]] = {}
        for key in ("handle", "email", "name"):
            found: dict[str, set[int]] = defaultdict(set)
            for person_id, value in pairs(conn, PERSON, key, wanted, people=True):
                found[value.lower()].add(person_id)
            self.keys[key] = found
        named = self.ids.union(*(ids for found in self.keys.values() for ids in found.values()))
        self.orgs: dict[int, set[int]] = defaultdict(set)  # person id -> organisations they are a member of
        for org_id, person_id in pairs(conn, MEMBER, "person_id", named, of="organisation_id"):
            self.orgs[person_id].add(org_id)

    def find(self, row: Row, column: str, ref: str, org_id: int | None) -> int | None:
        """The id of the member of `org_id` that `ref` names (None: an unknown organisation has none)."""
        if is_id(ref) and int(ref) in self.ids and org_id in self.orgs[int(ref)]:
            return int(ref)
        for key in ("handle", "email", "name"):
            found = {i for i in self.keys[key].get(ref.lower(), set()) if org_id in self.orgs[i]}
            if len(found) == 1:
                return next(iter(found))
            if found:
                row.fail(column, f"person '{ref}' is ambiguous: use the id, one of {sorted(found)}")
                return None
        row.fail(column, f"no person '{ref}'")
        return None


def projects_by_number(
    conn: Connection, column: str, numbers: Iterable[str]
) -> dict[tuple[int, str], tuple[int, str]]:
    """(organisation id, number) -> (id, name) of the projects whose `column` is one of `numbers`."""
    wanted = sorted(set(numbers))
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(PROJECT.c.organisation_id, PROJECT.c[column], PROJECT.c.id, PROJECT.c.name).where(
            PROJECT.c[column].in_(wanted[start : start + IN_CHUNK])
        )
        for org_id, number, project_id, name in conn.execute(query.order_by(PROJECT.c.id.desc())).tuples():
            found[org_id, number] = (project_id, name)  # the oldest wins (ids descending)
    return found


def is_id(ref: str) -> bool:
    """Whether `ref` is a row id: ASCII digits ('²' is a digit to str.isdigit) in the id column's range."""
    return ref.isascii() and ref.isdigit() and len(ref) <= 10 and int(ref) <= MAX_ID


def members_by_email(conn: Connection, wanted: Iterable[str]) -> dict[tuple[int, str], tuple[int, str]]:
    """(organisation id, lower-cased e-mail) -> (id, handle) of members (not erased) with these e-mails."""
    emails = sorted({email.lower() for email in wanted})
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for start in range(0, len(emails), IN_CHUNK):
        query = (
            select(MEMBER.c.organisation_id, func.lower(PERSON.c.email), PERSON.c.id, PERSON.c.handle)
            .join(MEMBER, MEMBER.c.person_id == PERSON.c.id)
            .where(func.lower(PERSON.c.email).in_(emails[start : start + IN_CHUNK]))
            .where(PERSON.c.erased_at.is_(None))
            .order_by(PERSON.c.id.desc())
        )
        for org_id, email, person_id, handle in conn.execute(query).tuples():
            found[org_id, email] = (person_id, handle)  # the oldest wins (ids descending)
    return found


def new_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, taken before inserting.

    With the ids known, a plain executemany does the insert: psycopg sends it in
    pipeline mode, where ``INSERT ... RETURNING`` over many rows was five times
    slower (psycopg parses each very long multi-row statement). On SQLite the write
    transaction holds the database lock, so the next ids are simply max(id) + 1...
    """
    if conn.dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
        return [int(i) for i in conn.execute(query, {"table": table.name, "n": count}).scalars()]
    start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return list(range(start + 1, start + 1 + count))
