"""Changing a project or a person (issue 21, item 2): the use cases on SQLite and PostgreSQL.

What the web form, ``PATCH /api/v1/...`` and ``pathways ... update`` all call: validated as the
adds are, every refused field at once and nothing written then, scoped to the caller's
organisations (another organisation's row is the 404 an unknown one is), recorded in the audit
chain without personal data (the values stay in ``directory_edit``, which erasure reaches).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from builders import VALID_SIRET, distinct_siret, make_org, make_person, make_project
from pathways.bootstrap import App
from pathways.errors import FieldErrors, Forbidden, NotFound
from pathways.notify.deliver import channel_id
from pathways.services.people import editing, person_editing, privacy
from pathways.services.people.accounts import Principal
from pathways.services.people.editing import ProjectUpdate, update_project
from pathways.services.people.person_editing import PersonUpdate, update_person
from pathways.store import audit_verify
from pathways.store.core import AUDIT, EDIT, PERSON, PROJECT

VALID_BCE = "0417497106"


def principal(person: int, roles: dict[int, str]) -> Principal:
    """An account of `person` with one role per organisation."""
    return Principal(
        account_id=person,
        person_id=person,
        name="x",
        handle=f"p{person}",
        language="fr",
        session_key="k",
        roles={org: frozenset({role}) for org, role in roles.items()},
    )


def project_row(app: App, project: int) -> dict[str, Any]:
    with app.store.read() as conn:
        return dict(conn.execute(select(PROJECT).where(PROJECT.c.id == project)).mappings().one())


def person_row(app: App, person: int) -> dict[str, Any]:
    with app.store.read() as conn:
        return dict(conn.execute(select(PERSON).where(PERSON.c.id == person)).mappings().one())


def events(app: App, kind: str) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        rows = conn.execute(
            select(AUDIT.c.payload, AUDIT.c.actor_id).where(AUDIT.c.kind == kind).order_by(AUDIT.c.id)
        )
        return [{**r.payload, "_actor": r.actor_id} for r in rows]


def chains_verify(app: App) -> bool:
    with app.store.read() as conn:
        return all(r.ok for r in audit_verify.verify_chain(conn, key=app.audit_key))


@pytest.fixture
def world(app: App) -> dict[str, int]:
    org = make_org(app, name="DLA de Paris")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    carrier = make_person(app, org, role="owner", name="Lucas Girard", email="lucas@example.org")
    project = make_project(app, org, name="Recyclerie du Canal", owner=owner, siret=None, phase="idea")
    other = make_org(app, name="Réseau voisin")
    stranger = make_person(app, other, role="owner", name="Lars Peeters", email="lars@example.org")
    theirs = make_project(app, other, name="Buurtwinkel De Linde")
    return {
        "org": org,
        "officer": officer,
        "owner": owner,
        "carrier": carrier,
        "project": project,
        "other": other,
        "stranger": stranger,
        "theirs": theirs,
    }


def test_an_officer_edits_a_project_and_a_siret_makes_it_founded(app: App, world: dict[str, int]) -> None:
    officer = principal(world["officer"], {world["org"]: "officer"})
    done = update_project(
        app,
        ProjectUpdate(
            project=world["project"],
            name="Recyclerie du Canal Saint-Martin",
            siret="732 829 320 00074",
            legal_form="scic",
            permanent_jobs=7,
            owner=str(world["carrier"]),
        ),
        by=officer,
    )
    assert done.changed == ("legal_form", "name", "owner_id", "permanent_jobs", "phase", "siren", "siret")
    assert (done.phase, done.phase_from) == ("founded", "identifier")
    row = project_row(app, world["project"])
    assert (row["siret"], row["siren"], row["owner_id"], row["phase"]) == (
        VALID_SIRET,
        VALID_SIRET[:9],
        world["carrier"],
        "founded",
    )
    (event,) = events(app, "project_updated")
    assert event["_actor"] == world["officer"]
    assert event["fields"] == list(done.changed)
    # Public values as they are; the name (it may be a person's) only by its field name and digest.
    assert event["changes"]["owner_id"] == [world["owner"], world["carrier"]]
    assert event["changes"]["phase"] == ["idea", "founded"]
    assert "name" not in event["changes"]
    assert "Saint-Martin" not in str(event)
    assert len(event["values_digest"]) == 64
    (moved,) = events(app, "phase_changed")
    assert (moved["from"], moved["to"], moved["source"]) == ("idea", "founded", "identifier")
    with app.store.read() as conn:
        (edit,) = conn.execute(select(EDIT)).mappings()
    assert edit["changes"]["name"] == ["Recyclerie du Canal", "Recyclerie du Canal Saint-Martin"]
    assert edit["actor_id"] == world["officer"]
    assert edit["project_id"] == world["project"]
    assert chains_verify(app)


def test_a_phase_given_with_an_identifier_is_kept_and_said_so(app: App, world: dict[str, int]) -> None:
    done = update_project(
        app, ProjectUpdate(project=world["project"], bce=VALID_BCE, phase="emergence"), by=None
    )
    assert (done.phase, done.phase_from) == ("emergence", "given_despite_identifier")
    assert project_row(app, world["project"])["bce"] == VALID_BCE


def test_an_edit_that_changes_nothing_records_nothing(app: App, world: dict[str, int]) -> None:
    done = update_project(
        app, ProjectUpdate(project=world["project"], name="  Recyclerie du Canal "), by=None
    )
    assert done.changed == ()
    assert done.edit_id is None
    assert events(app, "project_updated") == []


def test_every_refused_field_is_named_at_once_and_nothing_is_written(app: App, world: dict[str, int]) -> None:
    before = project_row(app, world["project"])
    with pytest.raises(FieldErrors) as refused:
        update_project(
            app,
            ProjectUpdate(
                project=world["project"],
                name="   ",
                siret="73282932000075",  # one digit off
                bce="12345",
                permanent_jobs="trois",
                owner=str(world["stranger"]),  # another organisation's person: as unknown
                phase="founding",
            ),
            by=None,
        )
    found = {(p.field, p.code) for p in refused.value.problems}
    assert found == {
        ("name", "required"),
        ("siret", "identifier"),
        ("bce", "identifier"),
        ("permanent_jobs", "whole_number"),
        ("owner", "owner"),
    }
    assert refused.value.exit_code == 2
    assert project_row(app, world["project"]) == before
    assert events(app, "project_updated") == []


def test_a_phase_that_is_not_one_is_refused_with_the_phases(app: App, world: dict[str, int]) -> None:
    with pytest.raises(FieldErrors) as refused:
        update_project(app, ProjectUpdate(project=world["project"], phase="founding"), by=None)
    (problem,) = refused.value.problems
    assert (problem.field, problem.code) == ("phase", "choice")
    assert "idea, emergence, founded" in (problem.hint or "")


def test_a_siret_another_project_has_is_refused_naming_it(app: App, world: dict[str, int]) -> None:
    siret = distinct_siret()
    make_project(app, world["org"], name="Autre projet", siret=siret)
    with pytest.raises(FieldErrors) as refused:
        update_project(app, ProjectUpdate(project=world["project"], siret=siret), by=None)
    (problem,) = refused.value.problems
    assert (problem.field, problem.code) == ("siret", "identifier_taken")
    assert "Autre projet" in problem.message


def test_another_organisations_project_is_not_found_as_an_unknown_one(
    app: App, world: dict[str, int]
) -> None:
    officer = principal(world["officer"], {world["org"]: "officer"})
    answers = []
    for ref in (world["theirs"], 999_999):
        with pytest.raises(NotFound) as missing:
            update_project(app, ProjectUpdate(project=ref, name="Pris"), by=officer)
        answers.append((missing.value.message.replace(str(ref), "N"), missing.value.hint))
    assert answers[0] == answers[1]
    # By name, the other organisation's project is not found either.
    with pytest.raises(NotFound):
        update_project(app, ProjectUpdate(project="Buurtwinkel De Linde", name="Pris"), by=officer)
    assert project_row(app, world["theirs"])["name"] == "Buurtwinkel De Linde"


def test_an_auditor_may_read_but_not_change_a_project(app: App, world: dict[str, int]) -> None:
    auditor = principal(make_person(app, world["org"], role="auditor"), {world["org"]: "auditor"})
    with pytest.raises(Forbidden):
        update_project(app, ProjectUpdate(project=world["project"], name="Autre"), by=auditor)


def test_a_person_edit_keeps_contacts_out_of_the_chain(app: App, world: dict[str, int]) -> None:
    officer = principal(world["officer"], {world["org"]: "officer"})
    done = update_person(
        app,
        PersonUpdate(
            person=world["owner"],
            email="ines.dubois@example.org",
            phone="+33 6 12 34 56 78",
            language="nl",
            channels=("mailto://ines.dubois@example.org",),
        ),
        by=officer,
    )
    assert done.changed == ("channels", "email", "language", "phone")
    row = person_row(app, world["owner"])
    assert (row["email"], row["language"], row["channels"]) == (
        "ines.dubois@example.org",
        "nl",
        ["mailto://ines.dubois@example.org"],
    )
    (event,) = events(app, "person_updated")
    assert event["changes"] == {"language": ["fr", "nl"]}
    assert "example.org" not in str(event)
    assert "56 78" not in str(event)
    assert chains_verify(app)


def test_channels_to_internal_hosts_are_refused_with_the_other_problems(
    app: App, world: dict[str, int]
) -> None:
    before = person_row(app, world["owner"])
    with pytest.raises(FieldErrors) as refused:
        update_person(
            app,
            PersonUpdate(
                person=world["owner"],
                email="not an address",
                language="de",
                channels=(
                    "json://169.254.169.254/latest/meta-data",
                    "mailto://x@example.org?smtp=127.0.0.1",
                    "nope",
                ),
            ),
            by=None,
        )
    found = [(p.field, p.code) for p in refused.value.problems]
    assert found == [
        ("email", "email"),
        ("language", "choice"),
        ("channels", "channel_refused"),
        ("channels", "channel_refused"),
        ("channels", "channel_url"),
    ]
    assert "169.254.169.254" in refused.value.problems[2].message
    assert "PATHWAYS_CHANNEL_ALLOW" in (refused.value.problems[2].hint or "")
    assert person_row(app, world["owner"]) == before


def test_channels_are_removed_by_id_and_added_checked(app: App, world: dict[str, int]) -> None:
    update_person(
        app,
        PersonUpdate(person=world["owner"], channels=("mailto://ines@example.org", "ntfy://ntfy.sh/ines")),
        by=None,
    )
    update_person(
        app,
        PersonUpdate(
            person=world["owner"],
            drop_channels=(channel_id("ntfy://ntfy.sh/ines"),),
            add_channels=("mailto://ines@example.net",),
        ),
        by=None,
    )
    assert person_row(app, world["owner"])["channels"] == [
        "mailto://ines@example.org",
        "mailto://ines@example.net",
    ]


def test_an_email_another_member_has_is_refused(app: App, world: dict[str, int]) -> None:
    with pytest.raises(FieldErrors) as refused:
        update_person(app, PersonUpdate(person=world["owner"], email="LUCAS@example.org"), by=None)
    assert [(p.field, p.code) for p in refused.value.problems] == [("email", "email_taken")]
    # Another organisation's member may have it: e-mails are compared within the organisation.
    update_person(app, PersonUpdate(person=world["owner"], email="lars@example.org"), by=None)


def test_an_officer_changes_project_leads_not_other_staff(app: App, world: dict[str, int]) -> None:
    officer = principal(world["officer"], {world["org"]: "officer"})
    manager_id = make_person(app, world["org"], role="manager", name="Hugo Bernard")
    with pytest.raises(Forbidden):
        update_person(app, PersonUpdate(person=manager_id, email="hugo@evil.example"), by=officer)
    manager = principal(manager_id, {world["org"]: "manager"})
    update_person(app, PersonUpdate(person=world["officer"], phone="01 23 45 67 89"), by=manager)
    update_person(app, PersonUpdate(person=world["officer"], language="en"), by=officer)  # oneself
    with pytest.raises(NotFound):
        update_person(app, PersonUpdate(person=world["stranger"], name="Pris"), by=officer)
    assert person_row(app, world["stranger"])["name"] == "Lars Peeters"


def test_erasing_a_person_reaches_the_values_of_their_edits(app: App, world: dict[str, int]) -> None:
    update_person(app, PersonUpdate(person=world["owner"], email="ines.dubois@example.org"), by=None)
    privacy.erase_person(app, world["owner"])
    with app.store.read() as conn:
        (edit,) = conn.execute(select(EDIT.c.changes)).scalars()
    assert "example.org" not in str(edit)
    assert chains_verify(app)
    # An erased person's details cannot be set again.
    with pytest.raises(Forbidden):
        update_person(app, PersonUpdate(person=world["owner"], name="Inès"), by=None)


def test_an_owner_of_the_organisation_who_carries_the_project_can_become_its_owner_by_name(
    app: App, world: dict[str, int]
) -> None:
    done = editing.update_project(
        app, ProjectUpdate(project="Recyclerie du Canal", owner="lucas@example.org"), by=None
    )
    assert done.changed == ("owner_id",)
    assert project_row(app, world["project"])["owner_id"] == world["carrier"]
    editing.update_project(app, ProjectUpdate(project=world["project"], owner=""), by=None)
    assert project_row(app, world["project"])["owner_id"] is None
    assert frozenset({"language"}) == person_editing.PUBLIC
