"""The indexes of migration 0016 serve the statements they were made for (SQLite's query plans).

At 100,000 cases (bench/web_cpu.py) a case page read every case to find its children, the due
list read 5,000 case rows to count an officer's cases due this week, and every case page sorted
the organisation's projects by name. Here a few thousand cases nearly none of which has a
parent, SQLite's statistics made (ANALYZE, as ``bench/web.py`` does), and the plans checked:
no timing, which bench/ measures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.casework import search
from pathways.services.casework.search import CaseFilter, CaseOrder
from pathways.settings import load_settings
from pathways.store.db import Store

COPIES = 3000


@pytest.fixture
def world(sqlite_store: Store, fixed_now: datetime) -> tuple[App, int, int, int]:
    """An organisation with COPIES + 1 open cases of one officer, one of which has a parent."""
    app = App(
        settings=load_settings(environment="test"),
        store=sqlite_store,
        clock=Clock(fixed_now),
    )
    org = make_org(app)
    officer = make_person(app, org)
    parent = open_diagnosis(app, make_project(app, org), officer).id
    with sqlite_store.write() as conn:
        conn.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :copies) "
                "INSERT INTO project (organisation_id, name, territory, phase, permanent_jobs, "
                "fixed_term_jobs, created_at) "
                "SELECT organisation_id, name || ' ' || i, territory, phase, permanent_jobs, "
                "fixed_term_jobs, created_at FROM project, n"
            ),
            {"copies": COPIES},
        )
        conn.execute(
            text(
                'INSERT INTO "case" (ref, organisation_id, project_id, pathway_id, pathway_version, '
                "stage, status, officer_id, due_at, opened_at, data, version) "
                "SELECT 'DIAG-2026-' || (100000 + p.id), c.organisation_id, p.id, c.pathway_id, "
                "c.pathway_version, c.stage, c.status, c.officer_id, c.due_at, c.opened_at, c.data, 1 "
                'FROM project AS p, "case" AS c WHERE p.id != c.project_id'
            )
        )
        child = conn.execute(text('SELECT max(id) FROM "case"')).scalar_one()
        conn.execute(
            text('UPDATE "case" SET parent_id = :parent WHERE id = :child'),
            {"parent": parent, "child": child},
        )
        conn.execute(text("ANALYZE"))
    return app, org, officer, parent


def _plan(conn: Connection, statement: str, parameters: Any) -> str:
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return " / ".join(str(r[-1]) for r in rows)


@contextmanager
def _statements(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on `conn` meanwhile, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def seen(_c: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(conn, "before_cursor_execute", seen)


def test_a_cases_children_are_found_through_the_parent_index(world: tuple[App, int, int, int]) -> None:
    app, org, _officer, parent = world
    with app.store.read() as conn:
        statement = 'SELECT id FROM "case" WHERE parent_id = ? AND organisation_id = ? ORDER BY id'
        assert "USING INDEX ix_case_parent" in _plan(conn, statement, (parent, org))
        assert len(conn.exec_driver_sql(statement, (parent, org)).all()) == 1


def test_an_officers_due_list_is_counted_and_read_from_an_index_alone(
    world: tuple[App, int, int, int], fixed_now: datetime
) -> None:
    app, org, officer, _parent = world
    due = CaseFilter(
        orgs=frozenset({org}), officer_id=officer, status="open", due_by=fixed_now + timedelta(days=60)
    )
    with app.store.read() as conn:
        with _statements(conn) as sent:
            total = search.count_cases(conn, due, now=fixed_now)
            page = search.page_of_cases(conn, due, now=fixed_now, order=CaseOrder("due", descending=False))
        assert total == page.total == COPIES + 1
        counts = [_plan(conn, s, p) for s, p in sent if "count(" in s.lower()]
        lists = [_plan(conn, s, p) for s, p in sent if "LIMIT" in s]
    assert counts
    assert all("COVERING INDEX ix_case_open_officer_due" in plan for plan in counts)
    assert lists  # in deadline order through an index (one officer here: either index of open cases)
    assert all("SEARCH case USING INDEX ix_case_open" in plan for plan in lists)
    assert all("TEMP B-TREE" not in plan for plan in lists)


def test_an_organisations_projects_are_read_by_name_in_index_order(world: tuple[App, int, int, int]) -> None:
    app, org, _officer, _parent = world
    with app.store.read() as conn:
        statement = "SELECT id, name FROM project WHERE organisation_id = ? ORDER BY name LIMIT 500"
        plan = _plan(conn, statement, (org,))
    assert "COVERING INDEX ix_project_org_name" in plan
    assert "TEMP B-TREE" not in plan


@pytest.mark.parametrize(
    ("officer_only", "index"), [(True, "ix_case_officer_project_key"), (False, "ix_case_org_project")]
)
def test_cases_by_project_name_are_read_in_index_order(
    world: tuple[App, int, int, int], fixed_now: datetime, officer_only: bool, index: str
) -> None:
    """Migration 0018: the page's ids read in the order of an index of ``case.project_key``,
    nothing sorted (no temporary B-tree), then the page's 50 rows; past the sort limit too."""
    app, org, officer, _parent = world
    where = CaseFilter(orgs=frozenset({org}), officer_id=officer if officer_only else None)
    order = CaseOrder("project", descending=False)
    with app.store.read() as conn:
        with _statements(conn) as sent:
            page = search.page_of_cases(
                conn, where, now=fixed_now, order=order, page=2, page_size=50, sort_limit=1000
            )
        lists = [_plan(conn, s, p) for s, p in sent if "LIMIT" in s and "count(" not in s.lower()]
        everyone = search.find_cases(conn, where, now=fixed_now, order=CaseOrder(), limit=COPIES + 1)
    expected = sorted(everyone, key=lambda c: (c.project.lower(), c.id))[50:100]
    assert [c.id for c in page.items] == [c.id for c in expected]
    assert page.order == order
    assert len(lists) == 1
    chosen = lists[0].split("LIST SUBQUERY 1 / ")[1].split(" / ")[0]  # the page's ids
    assert chosen.startswith(f"SEARCH case USING COVERING INDEX {index} ")
    assert lists[0].count("TEMP B-TREE") == 1  # only the page's 50 rows are sorted, not the ids
    assert "SEARCH case USING INTEGER PRIMARY KEY" in lists[0]  # only the page's own rows are read


def test_a_long_list_is_counted_up_to_its_count_limit(
    world: tuple[App, int, int, int], fixed_now: datetime
) -> None:
    app, org, _officer, _parent = world
    every = CaseFilter(orgs=frozenset({org}))
    with app.store.read() as conn:
        counted = search.page_of_cases(
            conn, every, now=fixed_now, order=CaseOrder("officer", descending=False), count_limit=1000,
            sort_limit=1000,
        )  # fmt: skip
        far = search.page_of_cases(conn, every, now=fixed_now, page=30, count_limit=1000)
        whole = search.page_of_cases(conn, every, now=fixed_now, count_limit=COPIES + 1)
    assert (counted.total, counted.more, counted.pages) == (1000, True, 20)
    assert counted.order == CaseOrder()  # past the sort limit: newest first, as an uncounted list
    assert len(counted.items) == 50
    assert (far.total, far.more, len(far.items), far.pages) == (1000, True, 50, 31)  # past it: still read
    assert (whole.total, whole.more, whole.pages) == (COPIES + 1, False, -(-(COPIES + 1) // 50))
