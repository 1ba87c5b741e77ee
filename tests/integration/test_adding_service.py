"""Adding an organisation, a person or a project through the use cases the entry points call
(`adding.add_*(app, command, by=...)`): each opens its own transaction, checks what the account
may do (an organisation it has no role in does not exist for it) and returns a typed view.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Table, func, select

from builders import VALID_SIRET, make_org, make_person, principal
from pathways.bootstrap import App
from pathways.errors import FieldError, FieldErrors, Forbidden, NotFound
from pathways.services.people import adding
from pathways.services.people.views import OrgView, PersonView, ProjectView
from pathways.store.core import AUDIT, PERSON, PROJECT


def count(app: App, table: Table) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def last_event(app: App) -> tuple[str, int | None, dict[str, object]]:
    with app.store.read() as conn:
        row = conn.execute(select(AUDIT).order_by(AUDIT.c.id.desc()).limit(1)).mappings().one()
    return row["kind"], row["actor_id"], dict(row["payload"])


def test_the_operator_adds_an_organisation_and_gets_its_view(app: App) -> None:
    added = adding.add_org(app, adding.AddOrg("Régie de quartier", "FR-75"), by=None)

    assert isinstance(added, OrgView)
    assert (added.slug, added.territory, added.timezone, added.language) == (
        "regie-de-quartier",
        "FR-75",
        "Europe/Paris",
        "fr",
    )
    assert last_event(app) == (
        "organisation_added",
        None,
        {"slug": "regie-de-quartier", "territory": "FR-75"},
    )


def test_an_account_may_not_add_an_organisation(app: App) -> None:
    org = make_org(app)
    manager = principal(app, make_person(app, org, role="manager"))

    with pytest.raises(Forbidden):
        adding.add_org(app, adding.AddOrg("Ailleurs", "FR-75"), by=manager)


def test_an_officer_adds_a_person_recorded_as_theirs(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    command = adding.AddPerson("Inès Dubois", org, "owner", email="ines@example.org", channels=())

    added = adding.add_person(app, command, by=principal(app, officer))

    assert isinstance(added, PersonView)
    assert (added.name, added.email) == ("Inès Dubois", "ines@example.org")
    assert last_event(app) == ("person_added", officer, {"person": added.id, "role": "owner"})


def test_another_organisations_officer_gets_the_not_found_of_an_unknown_organisation(app: App) -> None:
    mine, theirs = make_org(app), make_org(app, name="Ailleurs")
    outsider = principal(app, make_person(app, mine))
    people = count(app, PERSON)

    with pytest.raises(NotFound) as hidden:
        adding.add_person(app, adding.AddPerson("Inès Dubois", theirs, "owner"), by=outsider)
    with pytest.raises(NotFound) as unknown:
        adding.add_person(app, adding.AddPerson("Inès Dubois", 999_999, "owner"), by=outsider)
    with pytest.raises(NotFound) as by_name:
        adding.add_project(app, adding.AddProject("Épicerie", "Ailleurs"), by=outsider)
    with pytest.raises(NotFound) as unknown_name:
        adding.add_project(app, adding.AddProject("Épicerie", "Nulle part"), by=outsider)

    assert str(hidden.value) == str(unknown.value).replace("999999", str(theirs))
    assert str(hidden.value).startswith(f"no organisation '{theirs}'")
    assert str(by_name.value) == str(unknown_name.value).replace("Nulle part", "Ailleurs")
    # one code too, said alike in every language: nothing tells "not yours" from "not there"
    assert {hidden.value.code, unknown.value.code, by_name.value.code, unknown_name.value.code} == {
        "organisation_not_found_here"
    }
    assert count(app, PERSON) == people
    assert count(app, PROJECT) == 0


def test_a_role_the_account_may_not_give_and_a_read_only_role_are_refused(app: App) -> None:
    org = make_org(app)
    officer = principal(app, make_person(app, org))
    auditor = principal(app, make_person(app, org, role="auditor"))
    people = count(app, PERSON)

    with pytest.raises(Forbidden, match="adding a person as manager"):
        adding.add_person(app, adding.AddPerson("Hugo Petit", org, "manager"), by=officer)
    with pytest.raises(Forbidden, match=r"organisation '\d+' \(write\)"):
        adding.add_person(app, adding.AddPerson("Hugo Petit", org, "owner"), by=auditor)
    with pytest.raises(Forbidden, match="only the operator"):
        adding.add_person(
            app, adding.AddPerson("Hugo Petit", org, "owner", email="a@b.fr", existing=True), by=officer
        )

    assert count(app, PERSON) == people


def test_an_officer_adds_a_project_led_by_a_person_of_its_organisation(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    owner = make_person(app, org, role="owner", name="Inès Dubois")
    command = adding.AddProject("Épicerie solidaire", str(org), owner=owner, siret=VALID_SIRET)

    added = adding.add_project(app, command, by=principal(app, officer))

    assert isinstance(added, ProjectView)
    assert (added.name, added.owner_id, added.phase, added.siret) == (
        "Épicerie solidaire",
        owner,
        "founded",
        VALID_SIRET,
    )
    kind, actor, payload = last_event(app)
    assert (kind, actor, payload["project"], payload["phase_from"]) == (
        "project_added",
        officer,
        added.id,
        "identifier",
    )


def test_an_owner_of_another_organisation_is_not_found_as_an_unknown_one(app: App) -> None:
    mine, theirs = make_org(app), make_org(app, name="Ailleurs")
    officer = principal(app, make_person(app, mine))
    stranger = make_person(app, theirs, role="owner")

    # Refused beside the owner field, with the other fields' problems (see web/pages.py).
    with pytest.raises(FieldErrors) as hidden:
        adding.add_project(app, adding.AddProject("Épicerie", mine, owner=stranger), by=officer)
    with pytest.raises(FieldErrors) as unknown:
        adding.add_project(app, adding.AddProject("Épicerie", mine, owner=999_999), by=officer)

    assert str(hidden.value) == str(unknown.value).replace("999999", str(stranger))
    assert count(app, PROJECT) == 0


def test_the_operator_is_answered_with_the_directorys_own_messages(app: App) -> None:
    org = make_org(app, name="DLA Paris")
    make_person(app, org, email="camille@example.org")

    with pytest.raises(NotFound, match="no org 'DLA Lyon'") as unknown:
        adding.add_project(app, adding.AddProject("Épicerie", "DLA Lyon"), by=None)
    with pytest.raises(FieldError, match="exists already with this e-mail"):
        adding.add_person(
            app, adding.AddPerson("Camille", "DLA Paris", "officer", email="camille@example.org"), by=None
        )

    assert unknown.value.code == "org_not_found"
    assert count(app, PROJECT) == 0
