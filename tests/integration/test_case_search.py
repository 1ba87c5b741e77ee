"""Finding cases (services.casework.search) on SQLite and PostgreSQL: what a search matches,
filters, sort and pages, always within the caller's organisations, through the name indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from builders import INTAKE_RELEVANT, VALID_SIRET, decide, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.casework.search import (
    CaseFilter,
    CaseOrder,
    Titles,
    count_cases,
    find_cases,
    page_of_cases,
)
from pathways.services.people import privacy
from pathways.store import search as search_index

BCE = "0403170701"


@dataclass(frozen=True)
class World:
    app: App
    org: int
    other_org: int
    officer: int
    colleague: int
    refs: dict[str, str]  # what each case is, by a short name


@pytest.fixture
def world(app: App) -> World:
    org, other_org = make_org(app, name="DLA Paris"), make_org(app, name="DLA Lyon")
    officer = make_person(app, org, name="Camille Martin")
    colleague = make_person(app, org, name="Hugo Petit")
    owner = make_person(app, org, role="owner", name="Inès L'Hermite-Dubois")
    refs = {
        "atelier": open_diagnosis(
            app, make_project(app, org, name="L'Atelier Vélo Œuvre", siret=VALID_SIRET), officer
        ).ref,
        "owned": open_diagnosis(app, make_project(app, org, name="Recyclerie", owner=owner), colleague).ref,
        "belgian": open_diagnosis(
            app, make_project(app, org, name="Kringwinkel", siret=None, bce=BCE), colleague
        ).ref,
    }
    elsewhere = make_person(app, other_org, name="Camille Rhône")
    refs["elsewhere"] = open_diagnosis(
        app, make_project(app, other_org, name="L'Atelier de Lyon"), elsewhere
    ).ref
    return World(app, org, other_org, officer, colleague, refs)


def found(world: World, text: str, **filters: object) -> list[str]:
    chosen: dict[str, Any] = {"status": None, **filters}
    where = CaseFilter(orgs=frozenset({world.org}), text=text, **chosen)
    with world.app.store.read() as conn:
        items = find_cases(conn, where, now=world.app.clock.now(), order=CaseOrder("ref", False))
    return [i.ref for i in items]


def refs_of(world: World, *names: str) -> list[str]:
    return sorted(world.refs[n] for n in names)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("atelier", ("atelier",)),  # a word of the project's name
        ("ATEL", ("atelier",)),  # the start of a word, any case
        ("velo oeuvre", ("atelier",)),  # every word, accents and ligature aside
        ("Vélo", ("atelier",)),
        ("dubois", ("owned",)),  # the project owner's name, after a hyphen
        ("ines l'hermite", ("owned",)),
        ("camille", ("atelier",)),  # the officer's name (not the namesake of another organisation)
        ("petit", ("owned", "belgian")),
        ("732 829 320 00074", ("atelier",)),  # the SIRET, with spaces
        ("73282932000074", ("atelier",)),
        ("732829320", ("atelier",)),  # its SIREN
        ("0403.170.701", ("belgian",)),  # a BCE number, with dots
        ("nothing like it", ()),
    ],
)
def test_a_search_matches_names_people_and_identifiers(
    world: World, typed: str, expected: tuple[str, ...]
) -> None:
    assert found(world, typed) == refs_of(world, *expected)


def test_a_search_finds_a_reference_whole_or_by_its_start_in_any_case(world: World) -> None:
    ref = world.refs["owned"]
    assert found(world, ref.lower()) == [ref]
    assert found(world, ref[:-1]) == refs_of(world, "atelier", "owned", "belgian")  # DIAG-2026-000
    assert found(world, "ZZZZ-2026") == []


def test_another_organisations_case_is_never_found_even_by_its_exact_reference(world: World) -> None:
    theirs = world.refs["elsewhere"]
    assert found(world, theirs) == []
    assert found(world, "lyon") == []
    assert theirs not in found(world, "atelier")
    where = CaseFilter(orgs=frozenset({world.other_org}), text=theirs)
    with world.app.store.read() as conn:
        assert [i.ref for i in find_cases(conn, where, now=world.app.clock.now())] == [theirs]


def test_filters_by_pathway_stage_officer_status_and_overdue(world: World) -> None:
    app = world.app
    decide(app, world.refs["owned"], "relevant", INTAKE_RELEVANT, by=world.colleague)
    assert found(world, "", stage="shared_diagnosis") == [world.refs["owned"]]
    assert found(world, "", stage="intake", officer_id=world.colleague) == [world.refs["belgian"]]
    assert found(world, "", pathway="ongoing_support") == []
    assert found(world, "", pathway="diagnosis", officer_id=world.officer) == [world.refs["atelier"]]
    assert found(world, "", status="closed") == []
    assert len(found(world, "", status="open")) == 3
    assert found(world, "", overdue=True) == []
    later = app.clock.now() + timedelta(days=90)
    where = CaseFilter(orgs=frozenset({world.org}), overdue=True)
    with app.store.read() as conn:
        overdue = find_cases(conn, where, now=later)
    assert sorted(i.ref for i in overdue) == refs_of(world, "atelier", "owned", "belgian")
    assert all(i.overdue(later) for i in overdue)


def test_sorts_by_every_key_both_ways_with_titles_and_ids_breaking_ties(world: World) -> None:
    where = CaseFilter(orgs=frozenset({world.org}))
    now = world.app.clock.now()
    with world.app.store.read() as conn:
        by_project = [i.project for i in find_cases(conn, where, now=now, order=CaseOrder("project", False))]
        assert by_project == ["Kringwinkel", "L'Atelier Vélo Œuvre", "Recyclerie"]
        by_officer = [i.officer for i in find_cases(conn, where, now=now, order=CaseOrder("officer", True))]
        assert by_officer == ["Hugo Petit", "Hugo Petit", "Camille Martin"]
        newest = [i.ref for i in find_cases(conn, where, now=now)]
        assert newest == sorted(newest, reverse=True)
        titles = Titles({"diagnosis": "Diagnostic"}, {("diagnosis", "intake"): "Accueil"})
        for key in ("ref", "project", "pathway", "stage", "status", "due", "officer", "opened"):
            for descending in (False, True):
                order = CaseOrder.parse(("-" if descending else "") + key)
                assert order is not None
                assert len(find_cases(conn, where, now=now, order=order, titles=titles)) == 3


def test_a_list_longer_than_the_sort_limit_comes_newest_first_unless_the_key_is_indexed(world: World) -> None:
    where = CaseFilter(orgs=frozenset({world.org}))
    every_status = CaseFilter(orgs=frozenset({world.org}), status=None)
    now = world.app.clock.now()
    with world.app.store.read() as conn:
        costly = page_of_cases(conn, where, now=now, order=CaseOrder("officer", False), sort_limit=2)
        indexed = page_of_cases(conn, where, now=now, order=CaseOrder("ref", False), sort_limit=2)
        by_project = page_of_cases(conn, where, now=now, order=CaseOrder("project", False), sort_limit=2)
        # The project name's index begins with the status: a list of every status is not in its order.
        unsorted = page_of_cases(conn, every_status, now=now, order=CaseOrder("project", False), sort_limit=2)
        short = page_of_cases(conn, where, now=now, order=CaseOrder("officer", False), sort_limit=3)
    assert costly.order == CaseOrder()
    newest = sorted(world.refs[n] for n in ("atelier", "owned", "belgian"))[::-1]
    assert [i.ref for i in costly.items] == newest
    assert indexed.order == CaseOrder("ref", False)
    assert by_project.order == CaseOrder("project", False)
    assert [i.project for i in by_project.items] == ["Kringwinkel", "L'Atelier Vélo Œuvre", "Recyclerie"]
    assert unsorted.order == CaseOrder()
    assert [i.ref for i in unsorted.items] == newest
    assert short.order == CaseOrder("officer", False)
    assert [i.officer for i in short.items] == ["Camille Martin", "Hugo Petit", "Hugo Petit"]


@pytest.mark.parametrize("hostile", ["id; DROP TABLE person", "-", "", "officer_id", "due desc", "--ref"])
def test_only_known_sort_keys_are_read(hostile: str) -> None:
    assert CaseOrder.parse(hostile) is None
    assert CaseOrder.parse("-due") == CaseOrder("due", True)
    assert str(CaseOrder.parse("project")) == "project"


def test_pages_hold_the_total_and_stay_stable(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, name="Léa Roux")
    refs = [open_diagnosis(app, make_project(app, org, siret=None), officer).ref for _ in range(7)]
    where = CaseFilter(orgs=frozenset({org}), text="roux")
    now = app.clock.now()
    with app.store.read() as conn:
        pages = [page_of_cases(conn, where, now=now, page=n, page_size=3) for n in (1, 2, 3, 4)]
        assert count_cases(conn, where, now=now) == 7
    assert [p.total for p in pages] == [7, 7, 7, 7]
    assert [p.pages for p in pages] == [3, 3, 3, 3]
    assert [len(p.items) for p in pages] == [3, 3, 1, 0]
    assert [i.ref for p in pages for i in p.items] == sorted(refs, reverse=True)


def test_the_indexes_follow_every_change_of_a_name(world: World) -> None:
    app = world.app
    with app.store.write() as conn:
        conn.execute(text("UPDATE project SET name = 'Garage solidaire' WHERE name = 'Recyclerie'"))
    assert found(world, "recyclerie") == []
    assert found(world, "garage") == [world.refs["owned"]]
    privacy.erase_person(app, world.officer)
    assert found(world, "camille") == []


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_an_erased_name_leaves_no_word_in_the_sqlite_index(world: World) -> None:
    app = world.app
    privacy.erase_person(app, world.officer)
    with app.store.read() as conn:
        blobs = conn.execute(text(f"SELECT block FROM {search_index.fts_table('person')}_data")).scalars()
        assert not any(b"martin" in bytes(b or b"") for b in blobs)


def test_search_triggers_and_indexes_exist_at_the_latest_migration(app: App) -> None:
    with app.store.read() as conn:
        if app.store.dialect == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            events = ("insert", "delete", "update")
            expected = {f"{search_index.fts_table(n)}_{e}" for n in search_index.NAMED for e in events}
        else:
            query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            expected = {search_index.pg_index(n) for n in search_index.NAMED} | {search_index.CASE_REF_INDEX}
        assert expected <= set(conn.execute(text(query)).scalars())


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_name_search_reads_the_index_not_every_row(world: World) -> None:
    app = world.app
    where = CaseFilter(orgs=frozenset({world.org}), text="dubois")
    people = search_index.name_matches("postgresql", "person", ("dubois",), key="k")
    with app.store.read() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: ask which index can serve
        sql = str(people.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())
        assert search_index.pg_index("person") in plan, plan
        assert len(find_cases(conn, where, now=app.clock.now())) == 1
