"""`pathways init --demo` and the cooperation between social enterprises: cases at every stage and
two ends, members who joined and left, and shares with the DLA de Paris at each consent's stage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from builders import demo_loaded
from pathways.bootstrap import App
from pathways.services.collaboration import sharing
from pathways.store.core import CASE, CASE_MEMBER, CASE_SHARE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with demo_loaded(_sqlite_template, tmp_path_factory.mktemp("demo-cooperation")) as app:
        yield app


def test_the_cooperation_cases_stand_at_several_stages_with_members_and_shares(loaded: App) -> None:
    with loaded.store.read() as conn:
        rows = conn.execute(
            select(CASE.c.id, CASE.c.stage, CASE.c.result).where(CASE.c.pathway_id == "cooperation")
        ).all()
        members = conn.execute(select(CASE_MEMBER.c.case_id, CASE_MEMBER.c.removed_at)).all()
        shares = [s for case_id, _s, _r in rows for s in sharing.shares_of(conn, case_id)]
        shared_now = {case_id for case_id, _s, _r in rows if sharing.partner_orgs(conn, case_id)}
        total_shares = conn.execute(select(CASE_SHARE.c.id)).all()
    stages = Counter(stage for _i, stage, _r in rows if stage)
    assert set(stages) == {"emergence", "formalisation", "first_action", "review"}
    assert {result for _i, _s, result in rows if result} == {"continued", "no_agreement"}
    assert {case_id for case_id, _ in members} == {case_id for case_id, _s, _r in rows}  # each has a member
    assert sum(1 for _c, removed in members if removed is not None) == 2  # one left; one with its share
    assert sorted(s.status for s in shares) == ["offered", "shared", "withdrawn"]
    assert len(total_shares) == 3
    assert len(shared_now) == 1
