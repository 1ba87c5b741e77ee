"""`pathways init --demo` and the programmes of issue 24: each at several stages, two incubation
cohorts whose members agree on their dates, and the Fabrique's leads carrying their projects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from builders import demo_loaded
from pathways.bootstrap import App
from pathways.services.reporting import cohorts
from pathways.store.core import CASE, PROJECT

PROGRAMMES = ("fabrique", "incubation", "impact_evaluation", "aces_support")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with demo_loaded(_sqlite_template, tmp_path_factory.mktemp("demo-programmes")) as app:
        yield app


def test_each_programme_holds_cases_at_several_stages_and_ends(loaded: App) -> None:
    with loaded.store.read() as conn:
        rows = conn.execute(select(CASE.c.pathway_id, CASE.c.stage, CASE.c.result)).all()
    for pathway in PROGRAMMES:
        stages = Counter(stage for p, stage, _ in rows if p == pathway and stage)
        ends = Counter(result for p, _, result in rows if p == pathway and result)
        assert len(stages) >= 3, (pathway, stages)
        assert len(ends) >= 2, (pathway, ends)


def test_the_incubator_runs_two_cohorts_whose_members_agree_on_their_dates(loaded: App) -> None:
    with loaded.store.read() as conn:
        found = cohorts.list_cohorts(conn, loaded.catalog, orgs=None, lang="fr", now=loaded.clock.now())
    assert [(c.name, len(c.members), c.dates_differ) for c in found] == [
        ("Promotion 8", 3, False),
        ("Promotion 7", 4, False),
    ]
    earlier = found[1]
    assert (earlier.in_progress, earlier.launched, earlier.stopped) == (1, 2, 1)
    assert earlier.start is not None
    assert earlier.end is not None
    assert found[0].start is not None
    assert earlier.start < found[0].start < earlier.end


def test_the_fabriques_projects_are_carried_once_a_lead_is_found(loaded: App) -> None:
    with loaded.store.read() as conn:
        rows = conn.execute(
            select(CASE.c.stage, CASE.c.result, PROJECT.c.owner_id, PROJECT.c.phase)
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .where(CASE.c.pathway_id == "fabrique")
        ).all()
        handed = (
            conn.execute(
                select(CASE.c.pathway_id).where(
                    CASE.c.parent_id.in_(select(CASE.c.id).where(CASE.c.pathway_id == "fabrique"))
                )
            )
            .scalars()
            .all()
        )
    before = {"need_detection", "opportunity_study", "lead_search"}
    assert {owner for stage, _, owner, _ in rows if stage in before} == {None}
    assert all(
        owner is not None for stage, _, owner, _ in rows if stage in {"feasibility", "creation_support"}
    )
    assert sorted(handed) == ["incubation", "ongoing_support"]


def test_the_dla_report_of_the_demo_counts_sectors_of_activity_and_mission_themes(loaded: App) -> None:
    from pathways.services.reporting.funders import FunderQuery, funder_report

    with loaded.store.read() as conn:
        orgs = frozenset(conn.execute(select(CASE.c.organisation_id).distinct()).scalars())
        year = loaded.clock.now().year  # the demo's decisions go back months: this year and the last
        lines = [
            line
            for y in (year - 1, year)
            for line in funder_report(conn, FunderQuery(kind="dla", year=y, orgs=orgs)).lines
        ]
    themes = {line.detail for line in lines if line.indicator == "missions_by_theme"}
    sectors = {line.detail for line in lines if line.indicator == "structures_by_sector"}
    assert len(themes - {""}) >= 3, themes
    assert {"environment", "social_action", "culture"} <= sectors
    ended = sum(line.count or 0 for line in lines if line.indicator == "missions")
    assert sum(line.count or 0 for line in lines if line.indicator == "missions_by_theme") == ended
