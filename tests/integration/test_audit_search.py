"""The audit search use case: what a reader may search, and "not yours" read as "unknown"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.errors import Forbidden, NotFound
from pathways.services.audit.search import PAGE_MAX, AuditSearch, search
from pathways.services.people.accounts import Principal


@dataclass(frozen=True)
class Two:
    mine: int
    theirs: int
    my_case: str
    their_case: str
    my_officer: int
    their_officer: int


@pytest.fixture
def two(app: App) -> Two:
    mine = make_org(app, name="DLA de Paris")
    officer = make_person(app, mine, name="Camille Martin")
    my_case = open_diagnosis(app, make_project(app, mine, name="Recyclerie"), officer)
    theirs = make_org(app, name="Réseau voisin")
    their_officer = make_person(app, theirs, name="Lars Peeters")
    their_case = open_diagnosis(app, make_project(app, theirs, name="Atelier"), their_officer)
    return Two(mine, theirs, my_case.ref, their_case.ref, officer, their_officer)


def manager_of(*orgs: int, officer_in: tuple[int, ...] = ()) -> Principal:
    roles = {org: frozenset({"manager"}) for org in orgs} | {
        org: frozenset({"officer"}) for org in officer_in
    }
    return Principal(1, 9999, "Hugo Bernard", "hugo", "fr", "key", roles)


def test_a_case_or_person_of_another_organisation_reads_exactly_as_an_unknown_one(app: App, two: Two) -> None:
    reader = manager_of(two.mine)

    their_case = search(app, reader, AuditSearch(case=two.their_case))
    no_case = search(app, reader, AuditSearch(case="DIAG-2099-9999"))
    assert their_case == no_case
    assert their_case.problems == {"case": "unknown"}
    assert their_case.events == ()
    assert not their_case.has_next
    assert their_case.org.id == two.mine  # the reader's own organisation, not the case's

    by_name = search(app, reader, AuditSearch(person="Lars Peeters"))
    by_id = search(app, reader, AuditSearch(person=str(two.their_officer)))
    nobody = search(app, reader, AuditSearch(person="Nobody Atall"))
    assert by_name == nobody
    assert by_id.problems == by_name.problems == {"person": "unknown"}
    assert by_id.page is None


def test_own_case_and_person_filter_the_events(app: App, two: Two) -> None:
    reader = manager_of(two.mine)

    found = search(app, reader, AuditSearch(case=two.my_case))
    assert found.problems == {}
    assert found.events
    assert {e.case for e in found.events} == {two.my_case}
    assert found.org.id == two.mine
    everyone = search(app, reader, AuditSearch())
    assert len(everyone.events) > len(found.events)
    assert all(e.organisation_id == two.mine for e in everyone.events)
    first = search(app, reader, AuditSearch(limit=1))
    assert len(first.events) == 1
    assert first.has_next
    assert search(app, reader, AuditSearch(limit=10 * PAGE_MAX)).page is not None


def test_a_visible_case_whose_audit_the_role_does_not_allow_is_refused(app: App, two: Two) -> None:
    reader = manager_of(two.mine, officer_in=(two.theirs,))

    with pytest.raises(Forbidden):
        search(app, reader, AuditSearch(case=two.their_case))
    with pytest.raises(Forbidden):
        search(app, reader, AuditSearch(org=two.theirs))
    with pytest.raises(NotFound):
        search(app, manager_of(two.mine), AuditSearch(org=two.theirs))


def test_an_end_before_the_start_is_said_and_reads_no_events(app: App, two: Two) -> None:
    wrong = search(app, manager_of(two.mine), AuditSearch(since=date(2026, 6, 2), until=date(2026, 6, 1)))
    assert wrong.problems == {"until": "before_start"}
    assert wrong.page is None


def test_a_page_holding_a_directory_edit_reads(app: App, two: Two) -> None:
    """A project's edit carries a digest of its values but no stage entry: the page still reads."""
    from pathways.services.people.editing import ProjectUpdate, update_project

    project = make_project(app, two.mine, name="Ressourcerie")
    update_project(app, ProjectUpdate(project=project, name="Ressourcerie du Canal"), by=None)

    found = search(app, manager_of(two.mine), AuditSearch())

    edits = [e for e in found.events if e.kind == "project_updated"]
    assert len(edits) == 1
    assert edits[0].payload["fields"] == ["name"]
