"""Find and replace a person's identifying strings in every table but `person` and the audit chain.

Erasure pseudonymises the person row itself; this module removes what was copied
elsewhere: a name typed into a project name or a case field, an address in a
delivery error or a failed login, a name rendered into a document. It walks every
table of :func:`~pathways.store.db.table_metadata` (so tables added later are
covered), every text and JSON column:

1. the database picks candidate rows, ``lower(column) LIKE '%needle%'`` for each
   spelling of each needle (as typed, HTML-escaped as documents render it, and
   JSON-escaped as SQLite stores JSON text);
2. Python replaces, case-insensitively, whole words only (``Al`` is not replaced in
   ``Alsace``; an address not inside a longer address), and rewrites a changed row.

Skipped: the ``person`` table (other people may share a name) and the audit chain,
which is append-only and must keep verifying. :func:`find_in_audit` lists the
events whose payload nevertheless holds one of the strings (free text typed into a
decision), so the caller can report them instead of claiming a clean erasure.

Limits: a name is searched only as a whole (two words at least): a lone first name
would also hit every other Marie. On SQLite, ``lower()`` folds ASCII letters only, so a copy differing from
the original in the case of an accented letter (``ÉLODIE`` for ``Élodie``) is not
found there; PostgreSQL folds every letter.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from markupsafe import escape
from sqlalchemy import JSON, Connection, String, Table, Text, TypeDecorator, cast, or_, select, update

from pathways.notify.deliver import channel_id
from pathways.services.people.views import Identifying
from pathways.store import search
from pathways.store.db import table_metadata

SKIPPED_TABLES: Final = frozenset({"person", "auditevent", "audithead"})
_EMAIL_IN: Final = re.compile(r"[^\s@/:?&=]+@[^\s@/:?&=]+\.[^\s@/:?&=]+")
_MIN_LENGTH: Final = 2
_CHUNK: Final = 40  # needles per SQL condition list (a retention run erases many people)


@dataclass(frozen=True, slots=True)
class Needle:
    """A string to remove, how it may be bounded, and what replaces it."""

    text: str
    replacement: str
    kind: str  # "word" (names, phone), "handle", "email", "exact" (URLs, channel digests)


def needles_for(person: Identifying) -> list[Needle]:
    """Every identifying string of a person: name, handle, email, phone, channel URLs and their parts."""
    replacement = f"erased-{person.id}"
    found: list[Needle] = []

    def add(text: str | None, kind: str) -> None:
        text = (text or "").strip()
        if len(text) >= _MIN_LENGTH and text.lower() != replacement:
            found.append(Needle(text, replacement, kind))

    name = " ".join((person.name or "").split())
    if " " in name:  # a lone first name (Marie) would also erase Sainte-Marie: only full names
        add(name, "word")
        add(person.name, "word")
    add(person.handle, "handle")
    add(person.email, "email")
    add(person.phone, "word")
    for url in person.channels or ():
        add(url, "exact")
        add(channel_id(url), "exact")  # how delivery attempts name the channel
        rest = urlsplit(url)._replace(scheme="").geturl().lstrip("/")
        add(rest, "exact")  # the URL without its scheme: an address, a topic, a room
        for email in _EMAIL_IN.findall(url):
            add(email, "email")
    unique = {(n.text.lower(), n.kind): n for n in found}
    return sorted(unique.values(), key=lambda n: -len(n.text))


class Matcher:
    """One regular expression for many needles; each match is replaced by its own person's pseudonym."""

    _BOUNDS: Final = {
        "word": (r"(?<!\w)", r"(?!\w)"),
        "handle": (r"(?<![\w-])", r"(?![\w-])"),
        "email": (r"(?<![\w.+-])", r"(?!\w)"),
        "exact": ("", ""),
    }

    def __init__(self, needles: Sequence[Needle]) -> None:
        self.needles = list(needles)
        self.replacement: dict[str, str] = {}
        parts: list[str] = []
        for needle in sorted(needles, key=lambda n: -len(n.text)):
            before, after = self._BOUNDS[needle.kind]
            for spelling in _spellings(needle.text, json_text=False):
                self.replacement.setdefault(spelling.lower(), needle.replacement)
                parts.append(f"{before}{re.escape(spelling)}{after}")
        self.pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def sub(self, value: str) -> str:
        """`value` with every needle replaced."""
        if self.pattern is None:
            return value
        return self.pattern.sub(lambda m: self.replacement[m.group(0).lower()], value)

    def contains(self, value: Any) -> bool:
        """Whether a text or JSON value holds a needle."""
        return bool(_walk(value, self) != value)

    def sql_condition(self, column: Any, *, is_json: bool) -> Any:
        """A permissive SQL filter for rows whose column may hold a needle (Python decides)."""
        target = cast(column, Text) if is_json else column
        spellings = {s for n in self.needles for s in _spellings(n.text, json_text=is_json)}
        return or_(*(target.icontains(s, autoescape=True) for s in sorted(spellings)))


def _spellings(text: str, *, json_text: bool) -> set[str]:
    # As typed, and HTML-escaped as Jinja (markupsafe) and the standard library write it.
    spellings = {text, str(escape(text)), html.escape(text, quote=True), html.escape(text, quote=False)}
    if json_text:  # how the text looks inside stored JSON (SQLite keeps \\u escapes)
        spellings |= {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    return spellings


def _walk(value: Any, matcher: Matcher) -> Any:
    if isinstance(value, str):
        return matcher.sub(value)
    if isinstance(value, list):
        return [_walk(item, matcher) for item in value]
    if isinstance(value, dict):
        return {_walk(key, matcher): _walk(item, matcher) for key, item in value.items()}
    return value


def _text_columns(table: Table) -> list[tuple[Any, bool]]:
    columns = []
    for column in table.columns:
        if column.primary_key:
            continue
        # SQLModel's AutoString decorates String; JSONDoc decorates JSON (JSONB on PostgreSQL).
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(kind, JSON):
            columns.append((column, True))
        elif isinstance(kind, String | Text):
            columns.append((column, False))
    return columns


def scrub(conn: Connection, needles: Sequence[Needle]) -> Counter[str]:
    """Replace the needles in every table but `person` and the audit chain; rows changed per table."""
    changed: Counter[str] = Counter()
    for start in range(0, len(needles), _CHUNK):
        matcher = Matcher(needles[start : start + _CHUNK])
        for table in table_metadata().sorted_tables:
            if table.name not in SKIPPED_TABLES:
                changed[table.name] += _scrub_table(conn, table, matcher)
    search.forget_erased(conn)  # the name indexes (not tables of the metadata) kept the old words
    return +changed


def _scrub_table(conn: Connection, table: Table, matcher: Matcher) -> int:
    columns = _text_columns(table)
    keys = list(table.primary_key.columns)
    if not columns or not keys:
        return 0
    condition = or_(*(matcher.sql_condition(column, is_json=is_json) for column, is_json in columns))
    rows = conn.execute(select(*keys, *(c for c, _ in columns)).where(condition)).mappings().all()
    count = 0
    for row in rows:
        values = {c.name: _walk(row[c.name], matcher) for c, _ in columns}
        values = {name: value for name, value in values.items() if value != row[name]}
        if not values:
            continue
        if "version" in table.c and table.name == "case":
            values["version"] = table.c.version + 1  # a decision in flight on the old data gets a conflict
        conn.execute(update(table).where(*(k == row[k.name] for k in keys)).values(**values))
        count += 1
    return count


def find_in_audit(conn: Connection, needles: Sequence[Needle]) -> list[int]:
    """Ids of audit events whose payload holds one of the needles (they cannot be rewritten)."""
    if not needles:
        return []
    event = table_metadata().tables["auditevent"]
    found: list[int] = []
    for start in range(0, len(needles), _CHUNK):
        matcher = Matcher(needles[start : start + _CHUNK])
        rows = conn.execute(
            select(event.c.id, event.c.payload).where(matcher.sql_condition(event.c.payload, is_json=True))
        )
        found += [row.id for row in rows if matcher.contains(row.payload)]
    return sorted(set(found))


def all_needles(people: Iterable[Identifying]) -> list[Needle]:
    """The needles of several people, longest first (so a longer name wins over a shorter one)."""
    return sorted((n for person in people for n in needles_for(person)), key=lambda n: -len(n.text))
