"""Find cases: the case list's search, filters, sort and pages (web page, API and exports).

A search text matches a case when any of its readings does (:func:`parse_search`): the start
of its reference, the SIREN/SIRET/BCE of its project (typed with or without spaces), or words
starting the name of its project, of the project's owner, of its officer or of its resource
person, accents and case aside. The names are read through the word indexes of
:mod:`pathways.store.search`, never by reading every name.

Every query is within a set of organisations (the caller's): a case elsewhere is never
found, not even by its exact reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, get_args

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
    union_all,
)

from pathways.domain.searchtext import SearchText, parse_search
from pathways.errors import FieldError
from pathways.services.casework.views import CaseItem
from pathways.store.core import CASE, PERSON, PROJECT
from pathways.store.search import name_matches

SortKey = Literal["ref", "project", "pathway", "stage", "status", "due", "officer", "opened"]
SORT_KEYS: Final[tuple[SortKey, ...]] = get_args(SortKey)
Status = Literal["open", "closed"]
DEFAULT_SORT: Final[SortKey] = "opened"
# Read in index order, whatever the list's size: the only sorts the API offers (api_order).
INDEXED_SORTS: Final[tuple[SortKey, ...]] = ("opened", "ref", "due")
# Read in index order too when the list is of one status (every list but "all"): the project
# name's sort key is a column of the case (migration 0018: ix_case_org_project and
# ix_case_officer_project_key), and a status is the column before it in both indexes.
STATUS_INDEXED_SORTS: Final[tuple[SortKey, ...]] = ("project",)

_FOUND = CASE.alias("found")  # the cases a reading matches, apart from the listed ones
_NAMED_PROJECT = PROJECT.alias("searched_project")


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Which cases to list: every condition given must hold."""

    orgs: frozenset[int] | None
    """The caller's organisations (None: every organisation, for operators' commands)."""
    text: str | None = None
    pathway: str | None = None
    stage: str | None = None
    officer_id: int | None = None
    org_id: int | None = None
    status: Status | None = "open"
    overdue: bool = False
    """Only open cases past their deadline."""
    due_by: datetime | None = None
    """Only open cases due by then, overdue ones included (the due list)."""


@dataclass(frozen=True, slots=True)
class CaseOrder:
    """A whitelisted sort key and its direction; the case id breaks ties (stable pages)."""

    key: SortKey = DEFAULT_SORT
    descending: bool = True

    @classmethod
    def parse(cls, text: str | None) -> CaseOrder | None:
        """``due`` (ascending) or ``-due`` (descending); None for anything but a known key."""
        text = (text or "").strip()
        descending = text.startswith("-")
        key = text.removeprefix("-")
        for known in SORT_KEYS:
            if key == known:
                return cls(known, descending)
        return None

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.key


def api_order(text: str) -> CaseOrder:
    """The order an API client asks for: a key an index serves (:data:`INDEXED_SORTS`), ``-`` first
    for descending; FieldError on ``sort`` naming the allowed keys for any other, costly at 100,000
    cases (the case list page sorts by the others on short lists only: :func:`page_of_cases`)."""
    order = CaseOrder.parse(text)
    if order is None or order.key not in INDEXED_SORTS:
        allowed = ", ".join(INDEXED_SORTS)
        shown = text.strip()[:40]
        raise FieldError(
            "sort",
            f"'{shown}' is not a sort the API offers: choose one of {allowed} (`-` first for descending)",
            code="sort_key",
            params={"value": shown, "allowed": allowed},
        )
    return order


@dataclass(frozen=True, slots=True)
class Titles:
    """What a reader sees for pathway and stage ids, to sort by it rather than by the id."""

    pathways: Mapping[str, str]
    stages: Mapping[tuple[str, str], str]


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of a list, and how many cases the whole list holds."""

    items: tuple[CaseItem, ...]
    total: int
    page: int
    page_size: int
    order: CaseOrder = CaseOrder()
    """The order the items are in: the one asked for, unless the list was too long for it."""
    more: bool = False
    """The list holds more than `total` cases: it was counted that far only (``count_limit``)."""

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, empty or not); of a list counted only in part
        (:attr:`more`), those counted, and one past this page while it is full."""
        counted = max(1, -(-self.total // self.page_size))
        if not self.more:
            return counted
        return max(counted, self.page + (1 if len(self.items) == self.page_size else 0))


_COLUMNS: Final = (
    CASE.c.id,
    CASE.c.ref,
    CASE.c.organisation_id,
    CASE.c.project_id,
    PROJECT.c.name.label("project"),
    CASE.c.pathway_id,
    CASE.c.pathway_version,
    CASE.c.stage,
    CASE.c.status,
    CASE.c.result,
    CASE.c.due_at,
    CASE.c.officer_id,
    PERSON.c.name.label("officer"),
    CASE.c.opened_at,
    CASE.c.closed_at,
    CASE.c.version,
)


def find_cases(
    conn: Connection,
    where: CaseFilter,
    *,
    now: datetime,
    order: CaseOrder = CaseOrder(),
    titles: Titles | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[CaseItem]:
    """The cases `where` selects, in `order`, `limit` of them from `offset`."""
    return _find(conn, _conditions(conn, where, now), order, titles, offset, limit)


def count_cases(conn: Connection, where: CaseFilter, *, now: datetime) -> int:
    """How many cases `where` selects."""
    return _count(conn, _conditions(conn, where, now))


def page_of_cases(
    conn: Connection,
    where: CaseFilter,
    *,
    now: datetime,
    order: CaseOrder = CaseOrder(),
    titles: Titles | None = None,
    page: int = 1,
    page_size: int = 50,
    sort_limit: int | None = None,
    count_limit: int | None = None,
) -> CasePage:
    """Page `page` (from 1) of the cases `where` selects, with their total.

    A list of more than `sort_limit` cases is sorted only by a key an index serves
    (:data:`INDEXED_SORTS`, and :data:`STATUS_INDEXED_SORTS` for a list of one status): any
    other order reads and sorts every case of the list on each page (100,000 cases by officer
    name: about 100 ms on SQLite, 300 on PostgreSQL). Such a list comes newest first instead,
    and :attr:`CasePage.order` says so.

    With `count_limit`, a list is counted up to that many cases only (:attr:`CasePage.more`
    says when it holds more): counting is reading, each case of the list from an index, where
    a page reads 50 (100,000 open cases: 3.5 ms of SQLite's CPU to count, under 2 to read a page).
    """
    conditions = _conditions(conn, where, now)
    total = _count(conn, conditions, None if count_limit is None else count_limit + 1)
    more = count_limit is not None and total > count_limit
    total = min(total, count_limit) if count_limit is not None else total
    if sort_limit is not None and (more or total > sort_limit) and not _indexed(order, where):
        order = CaseOrder()
    start = (page - 1) * page_size
    items = _find(conn, conditions, order, titles, start, page_size) if more or start < total else []
    return CasePage(tuple(items), total, page, page_size, order, more)


def _indexed(order: CaseOrder, where: CaseFilter) -> bool:
    """Whether an index gives the list in `order` (see :func:`page_of_cases`)."""
    one_status = where.status is not None or where.overdue or where.due_by is not None
    return order.key in INDEXED_SORTS or (one_status and order.key in STATUS_INDEXED_SORTS)


def _find(
    conn: Connection,
    conditions: list[ColumnElement[bool]],
    order: CaseOrder,
    titles: Titles | None,
    offset: int,
    limit: int,
) -> list[CaseItem]:
    """The page's cases. In any order but the indexed ones, the page's ids are chosen first, from
    the case table alone (and the officer's name for that sort): in index order for the project
    name (``case.project_key``, migration 0018), else from an index holding the filters, the
    whole list sorted; then only those 50 cases' rows and names are read."""
    ordered = _order(order, titles)
    query = (
        select(*_COLUMNS)
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .outerjoin(PERSON, PERSON.c.id == CASE.c.officer_id)  # names live only in the person table
        .order_by(*ordered)
    )
    if order.key in INDEXED_SORTS:
        query = query.where(*conditions).limit(limit).offset(offset)
    else:
        chosen = select(CASE.c.id).where(*conditions).order_by(*ordered).limit(limit).offset(offset)
        if order.key == "officer":
            chosen = chosen.outerjoin(PERSON, PERSON.c.id == CASE.c.officer_id)
        query = query.where(CASE.c.id.in_(chosen))
    return [CaseItem(**row) for row in conn.execute(query).mappings()]


def _count(conn: Connection, conditions: list[ColumnElement[bool]], upto: int | None = None) -> int:
    """How many cases meet `conditions`; at most `upto` (counted no further)."""
    if upto is None:
        return int(conn.execute(select(func.count()).select_from(CASE).where(*conditions)).scalar_one())
    first = select(CASE.c.id).where(*conditions).limit(upto).subquery()
    return int(conn.execute(select(func.count()).select_from(first)).scalar_one())


def _conditions(conn: Connection, where: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if where.orgs is not None:
        out.append(CASE.c.organisation_id.in_(sorted(where.orgs)))
    if where.org_id is not None:
        out.append(CASE.c.organisation_id == where.org_id)
    if where.overdue:
        out += [CASE.c.status == "open", CASE.c.due_at.is_not(None), CASE.c.due_at < now]
    elif where.status is not None:
        out.append(CASE.c.status == where.status)
    if where.due_by is not None:
        out += [CASE.c.status == "open", CASE.c.due_at.is_not(None), CASE.c.due_at <= where.due_by]
    if where.pathway is not None:
        out.append(CASE.c.pathway_id == where.pathway)
    if where.stage is not None:
        out.append(CASE.c.stage == where.stage)
    if where.officer_id is not None:
        out.append(CASE.c.officer_id == where.officer_id)
    search = parse_search(where.text)
    if search is not None:
        out.append(CASE.c.id.in_(_matching(conn, search)))
    return out


def _matching(conn: Connection, search: SearchText) -> Select[Any] | CompoundSelect[Any]:
    """The ids of the cases any reading of `search` matches (each reading through an index)."""
    dialect = conn.dialect.name
    found: list[Select[Any]] = []
    if search.reference is not None:
        ref, prefix = _FOUND.c.ref, search.reference
        starts = ref.like(prefix + "%") if dialect == "postgresql" else _starts(ref, prefix)
        found.append(select(_FOUND.c.id).where(starts))
    if search.words:
        people = _ids(conn, name_matches(dialect, "person", search.words, key="search_people"), "people")
        projects = _ids(
            conn, name_matches(dialect, "project", search.words, key="search_projects"), "projects"
        )
        owned = select(_NAMED_PROJECT.c.id).where(people(_NAMED_PROJECT.c.owner_id))
        found += [
            select(_FOUND.c.id).where(projects(_FOUND.c.project_id)),
            select(_FOUND.c.id).where(_FOUND.c.project_id.in_(owned)),
            select(_FOUND.c.id).where(people(_FOUND.c.officer_id)),
            select(_FOUND.c.id).where(people(_FOUND.c.resource_id)),
        ]
    if search.digits is not None:
        identified = select(_NAMED_PROJECT.c.id).where(_identifier(search.digits))
        found.append(select(_FOUND.c.id).where(_FOUND.c.project_id.in_(identified)))
    return union_all(*found) if len(found) > 1 else found[0]


def _ids(
    conn: Connection, matches: Select[Any], name: str
) -> Callable[[ColumnElement[Any]], ColumnElement[bool]]:
    """``column IN (the ids `matches` selects)``, as a condition on any column.

    SQLite reads the word index inside the statement. PostgreSQL is given the ids themselves,
    read first: its statistics then tell that the owners found are nobody's officer, where a
    subquery made it plan for thousands of cases per person found and read every case.
    """
    if conn.dialect.name != "postgresql":

        def within(column: ColumnElement[Any]) -> ColumnElement[bool]:
            return column.in_(matches)

        return within
    ids = bindparam(f"{name}_ids", list(conn.execute(matches).scalars()), type_=ARRAY(Integer))

    def among(column: ColumnElement[Any]) -> ColumnElement[bool]:
        return column == any_(ids)

    return among


def _identifier(digits: str) -> ColumnElement[bool]:
    """A project whose SIREN, SIRET or BCE number starts with `digits` (each through its index)."""
    project = _NAMED_PROJECT.c
    if len(digits) <= 9:
        return or_(_starts(project.siren, digits), _starts(project.bce, digits))
    siret = and_(project.siren == digits[:9], _starts(project.siret, digits))
    return or_(project.bce == digits, siret) if len(digits) == 10 else siret


def _starts(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix` (digits, letters, dashes), as a range its B-tree index serves.

    The case reference's prefix is a LIKE on PostgreSQL instead: there a range is right only in
    the "C" collation, and a ``text_pattern_ops`` index serves LIKE in any
    (:data:`pathways.store.search.CASE_REF_INDEX`). On SQLite LIKE ignores case, and no index
    serves it. Digits sort the same way in every collation.
    """
    following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < following)


def _order(order: CaseOrder, titles: Titles | None) -> list[Any]:
    key: Any
    if order.key == "pathway" and titles is not None and titles.pathways:
        key = case(dict(titles.pathways), value=CASE.c.pathway_id, else_=CASE.c.pathway_id)
    elif order.key == "stage" and titles is not None and titles.stages:
        whens = [
            (and_(CASE.c.pathway_id == p, CASE.c.stage == s), title)
            for (p, s), title in titles.stages.items()
        ]
        key = case(*whens, else_=CASE.c.stage)
    else:
        key = {
            "ref": CASE.c.ref,
            "project": CASE.c.project_key,  # lower(project.name), kept by the database (0018)
            "pathway": CASE.c.pathway_id,
            "stage": CASE.c.stage,
            "status": CASE.c.status,
            "due": CASE.c.due_at,
            "officer": func.lower(PERSON.c.name),
            "opened": CASE.c.id,
        }[order.key]
    tie = CASE.c.id.desc() if order.descending else CASE.c.id.asc()
    if order.key == "opened":
        return [tie]
    if order.key == "project":  # never null: in index order on both databases (no NULLS LAST)
        return [key.desc() if order.descending else key.asc(), tie]
    ordered = key.desc() if order.descending else key.asc()
    return [ordered.nulls_last(), tie]
