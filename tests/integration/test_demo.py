"""`pathways init --demo`: every stage of every pathway holds a case, by construction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from builders import demo_loaded
from pathways.bootstrap import App
from pathways.demo import seed as demo
from pathways.demo.data import SHOWCASE
from pathways.domain import identifiers
from pathways.services.people import resources
from pathways.store.core import CASE, ENTRY, JOB, PERSON, PROJECT, VALUE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The demo loaded once for the module (the tests only read it), its clock on 8 July 2026."""
    with demo_loaded(_sqlite_template, tmp_path_factory.mktemp("demo")) as app:
        yield app


def test_every_stage_of_every_pathway_holds_a_demo_case(loaded: App) -> None:
    with loaded.store.read() as conn:
        open_at = Counter((r[0], r[1]) for r in conn.execute(select(CASE.c.pathway_id, CASE.c.stage)) if r[1])
        ended = {(r[0], r[1]) for r in conn.execute(select(CASE.c.pathway_id, CASE.c.result)) if r[1]}
    for spec in loaded.catalog.latest():
        for stage in spec.stages:
            assert open_at[(spec.id, stage.id)] >= 1, f"no demo case at {spec.id}:{stage.id}"
    assert {("diagnosis", "redirected"), ("diagnosis", "completed"), ("peer_transfer", "completed")} <= ended


def test_the_demo_opens_one_case_per_project_some_overdue_some_handed_off(loaded: App) -> None:
    now = loaded.clock.now()
    with loaded.store.read() as conn:
        projects = [dict(r) for r in conn.execute(select(PROJECT)).mappings()]
        cases = [dict(r) for r in conn.execute(select(CASE)).mappings()]
        jobs = Counter(conn.execute(select(JOB.c.status)).scalars())
        languages = set(conn.execute(select(PERSON.c.language)).scalars())
    assert 90 <= len(projects) <= 110  # the programmes of issue 24 brought 35
    assert {p["id"] for p in projects} <= {c["project_id"] for c in cases}  # no project refused by a rule
    assert set(jobs) == {"done"}
    overdue = [c for c in cases if c["status"] == "open" and c["due_at"] is not None and c["due_at"] < now]
    assert len(overdue) >= 5
    parents = {c["id"]: c for c in cases}
    handed = [c for c in cases if c["parent_id"] and parents[c["parent_id"]]["pathway_id"] == "diagnosis"]
    assert len(handed) >= 3
    assert {"fr", "nl", "en"} <= languages
    forms = {p["legal_form"] for p in projects}
    assert {"association", "scic", "scop", "asbl", "vzw"} <= forms
    for project in projects:
        if project["siret"]:
            assert identifiers.check_siret(project["siret"]) == project["siret"]
        if project["bce"]:
            assert identifiers.check_bce(project["bce"]) == project["bce"]
        if project["rna"]:
            assert len(project["rna"]) == 10
            assert project["rna"].startswith("W")


def test_one_swarming_parent_has_children_and_the_impact_that_proves_its_model(loaded: App) -> None:
    with loaded.store.read() as conn:
        parent = (
            conn.execute(
                select(CASE)
                .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
                .where(PROJECT.c.name == SHOWCASE)
            )
            .mappings()
            .one()
        )
        children = (
            conn.execute(select(CASE.c.project_id).where(CASE.c.parent_id == parent["id"])).scalars().all()
        )
        phases = conn.execute(select(PROJECT.c.phase).where(PROJECT.c.id.in_(children))).scalars().all()
        values = conn.execute(select(VALUE.c.id).where(VALUE.c.project_id == parent["project_id"])).all()
    assert parent["pathway_id"] == "swarming"
    assert len(children) == 3
    assert parent["project_id"] not in children  # each carrier is a new project
    assert sorted(phases) == ["founded", "idea", "idea"]  # the children went their own ways
    assert len(values) >= 3


def test_resource_persons_have_topics_and_one_reached_the_yearly_cap(loaded: App) -> None:
    with loaded.store.read() as conn:
        listed = resources.list_resources(conn, now=loaded.clock.now())
    assert len(listed) >= 6
    assert all(r.topics for r in listed)
    assert any(not r.available for r in listed)
    assert sum(r.transfers_this_year for r in listed) >= 4


def test_the_demo_is_added_once(loaded: App) -> None:
    assert demo.load(loaded)["created"] is False


def test_the_demo_closes_cases_through_exits_each_with_its_reason(loaded: App) -> None:
    with loaded.store.read() as conn:
        exited = conn.execute(
            select(CASE.c.pathway_id, CASE.c.result, ENTRY.c.note)
            .join(ENTRY, (ENTRY.c.case_id == CASE.c.id) & (ENTRY.c.outcome == CASE.c.result))
            .where(CASE.c.result.in_(("withdrawn", "transfer_not_held")))
        ).all()
    assert {(pathway, result) for pathway, result, _ in exited} == {
        ("ongoing_support", "withdrawn"),  # a local project lead of a replication
        ("peer_transfer", "transfer_not_held"),
    }
    assert all(note and note.strip() for _, _, note in exited)
