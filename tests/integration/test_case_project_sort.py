"""The case list by project name (migration 0018: ``case.project_key``, kept by the database) gives
the order the list always had, ``lower(project.name)`` then the case id, on SQLite and PostgreSQL:
checked page by page against a Python sort over a few hundred cases whose project names tie,
differ only in case, or begin with an accented capital."""

from __future__ import annotations

import string
from datetime import datetime

import pytest
from sqlalchemy import bindparam, text

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.casework.search import CaseFilter, CaseOrder, find_cases, page_of_cases
from pathways.services.casework.views import CaseItem

NAMES = (
    "Recyclerie", "recyclerie", "RECYCLERIE", "Épicerie solidaire", "épicerie solidaire", "Epicerie",
    "Œuvre commune", "oeuvre", "L'Atelier Vélo", "l'atelier vélo", "Atelier", "atelier", "Zèbre", "zebre",
    "Café associatif", "Cafe associatif", "Ça roule", "Crèche", "Creche", "Ålborg",
)  # fmt: skip
CASES = 300
PAGE = 50


def db_lower(dialect: str, name: str) -> str:
    """The database's ``lower()``: SQLite folds ASCII letters only; PostgreSQL (UTF-8) every letter."""
    if dialect == "sqlite":
        return name.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))
    return name.lower()


def expected(app: App, items: list[CaseItem], descending: bool) -> list[int]:
    """The ids in project-name order, sorted in Python (code point order: SQLite's binary collation,
    PostgreSQL's C.UTF-8 here)."""
    ordered = sorted(items, key=lambda c: (db_lower(app.store.dialect, c.project), c.id), reverse=descending)
    return [c.id for c in ordered]


@pytest.fixture
def cases(app: App) -> tuple[int, int]:
    """CASES open cases of one organisation, two officers, fifteen projects a name."""
    org = make_org(app)
    officers = [make_person(app, org, name=n) for n in ("Camille Martin", "Hugo Petit")]
    for i in range(CASES):
        project = make_project(app, org, name=NAMES[(i * 7) % len(NAMES)], siret=None)
        open_diagnosis(app, project, officers[i % 2])
    return org, officers[0]


def pages(app: App, where: CaseFilter, order: CaseOrder, now: datetime) -> list[int]:
    with app.store.read() as conn:
        out: list[int] = []
        for n in range(1, CASES // PAGE + 2):
            page = page_of_cases(conn, where, now=now, order=order, page=n, page_size=PAGE, sort_limit=10)
            assert page.order == order  # served by an index: never dropped for newest first
            out += [c.id for c in page.items]
    return out


@pytest.mark.parametrize("descending", [False, True])
def test_pages_by_project_name_follow_a_python_sort_with_ties_and_accents(
    app: App, cases: tuple[int, int], descending: bool, fixed_now: datetime
) -> None:
    org, officer = cases
    order = CaseOrder("project", descending)
    for where in (
        CaseFilter(orgs=frozenset({org})),
        CaseFilter(orgs=frozenset({org}), officer_id=officer),
    ):
        with app.store.read() as conn:
            everyone = find_cases(conn, where, now=fixed_now, limit=CASES + 1)
            # The statement the list was sorted by before migration 0018: the project's own name.
            direction = "DESC" if descending else "ASC"
            before = (
                conn.execute(
                    text(
                        'SELECT "case".id FROM "case" JOIN project ON project.id = "case".project_id '
                        f'WHERE "case".id IN :ids ORDER BY lower(project.name) {direction}, '
                        f'"case".id {direction}'
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"ids": [c.id for c in everyone]},
                )
                .scalars()
                .all()
            )
        assert len(everyone) == (CASES if where.officer_id is None else CASES // 2)
        assert list(before) == expected(app, everyone, descending)
        assert pages(app, where, order, fixed_now) == expected(app, everyone, descending)


def test_the_sort_key_follows_a_renamed_project_and_a_case_moved_to_another(
    app: App, cases: tuple[int, int], fixed_now: datetime
) -> None:
    org, _officer = cases
    where = CaseFilter(orgs=frozenset({org}))
    with app.store.write() as conn:
        conn.execute(text("UPDATE project SET name = 'AAA Première' WHERE id = 2"))
        conn.execute(text('UPDATE "case" SET project_id = 3 WHERE project_id = 4'))
    with app.store.read() as conn:
        first = find_cases(conn, where, now=fixed_now, order=CaseOrder("project", False), limit=3)
        keys: dict[int, str] = dict(conn.execute(text('SELECT id, project_key FROM "case"')).tuples().all())
        names: dict[int, str] = dict(
            conn.execute(
                text(
                    'SELECT "case".id, project.name FROM "case" '
                    'JOIN project ON project.id = "case".project_id'
                )
            )
            .tuples()
            .all()
        )
    assert [c.project for c in first][:1] == ["AAA Première"]
    assert keys == {i: db_lower(app.store.dialect, name) for i, name in names.items()}
