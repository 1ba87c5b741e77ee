"""Finding 1: a reference to a person or project is resolved within the organisation it is used for.

A decision's person field (peer transfer's resource person, a list of managers met), a case's
officer, a project's owner and a CSV import's owners name people. Another organisation's
person, named by id, handle, e-mail or name, must get exactly the answer a person who does not
exist gets (CLI exit 2 or 3, API 422, the same message), and nothing may be written or queued:
otherwise the other organisation's person is printed in documents, messaged, and confirmed to
exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    decide,
    make_org,
    make_person,
    make_project,
    open_case,
)
from pathways.bootstrap import App
from pathways.errors import NotFound
from pathways.services.exchange import importing
from pathways.services.people import accounts, directory, resources
from pathways.services.tx import write
from pathways.store.core import AUDIT, CASE, ENTRY, JOB, PROJECT
from pathways.web import create_app
from security.attack import attacked
from security.inprocess_cli import run_cli

PASSWORD = "correct horse battery staple"
REQUEST = {"beneficiary_role": "salaried_director", "network": "PTCE Lyon Sud", "reason": "Gouvernance"}
WAYS = ("id", "handle", "email", "name")


@dataclass(frozen=True)
class World:
    app: App
    client: TestClient
    token: str
    ref: str  # a peer-transfer case of the own organisation, at matching
    diagnosis: str  # a diagnosis case of the own organisation, at shared_diagnosis
    own_org: int
    own_resource: int
    theirs: dict[str, str]  # way -> the other organisation's resource person, named that way
    nobody: dict[str, str]  # way -> a reference of the same shape that names no one


def matched(person: str) -> dict[str, str]:
    return {
        "resource_person": person,
        "resource_employer": "Régie",
        "framed_questions": "A;B;C",
        "accepted_on": "2026-07-08",
    }


def resource(app: App, org: int, name: str, email: str) -> int:
    with write(app) as tx:
        return directory.add_person(
            tx, name=name, org=org, role="resource", email=email, language="fr", channels=[], topics=["hr"]
        ).id


@pytest.fixture
def world(app: App) -> Iterator[World]:
    other = make_org(app, name="Réseau voisin")
    theirs = resource(app, other, "Sophie Voisine", "sophie@voisin.example.org")
    own = make_org(app, name="PTCE Lyon Sud", territory="FR-69")
    me = make_person(app, own, role="officer", email="moi@example.org")
    mine = resource(app, own, "Claire Fontaine", "claire@example.org")
    project = make_project(app, own, siret=None)
    ref = str(open_case(app, project, me, "peer_transfer").ref)
    decide(app, ref, "eligible", REQUEST | {"topics": "hr", "requested_resource_person": str(mine)})
    diagnosis = str(open_case(app, make_project(app, own), me, "diagnosis").ref)
    decide(app, diagnosis, "relevant", INTAKE_RELEVANT)
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=PASSWORD)
        token = accounts.create_token(tx, person=me, name="probe").token
    named = {"id": str(theirs), "handle": "sophie-voisine", "email": "sophie@voisin.example.org"}
    nobody = {"id": "999999", "handle": "sophie-inconnue", "email": "personne@voisin.example.org"}
    with TestClient(create_app(app)) as client:
        yield World(
            app,
            client,
            token,
            ref,
            diagnosis,
            own,
            mine,
            named | {"name": "Sophie Voisine"},
            nobody | {"name": "Sophie Inconnue"},
        )


def written(app: App, ref: str) -> tuple[int, int, int, int]:
    """What a refused decision must leave as it was: the case's version, entries, outbox, audit."""
    with app.store.read() as conn:
        version = conn.execute(select(CASE.c.version).where(CASE.c.ref == ref)).scalar_one()
        entries, jobs, audits = (
            int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in (ENTRY, JOB, AUDIT)
        )
    return int(version), entries, jobs, audits


def same(text: str, ref: str) -> str:
    """An answer with the reference it echoes set aside."""
    return text.replace(ref, "<ref>")


def test_api_a_decision_naming_another_organisations_person_is_answered_as_for_nobody(world: World) -> None:
    before = written(world.app, world.ref)
    diagnosis = written(world.app, world.diagnosis)
    headers = {"Authorization": f"Bearer {world.token}"}
    for way in WAYS:
        answers = []
        for ref in (world.theirs[way], world.nobody[way]):
            response = world.client.post(
                f"/api/v1/cases/{world.ref}/decisions",
                json={"outcome": "accepted", "values": matched(ref), "expected_version": before[0]},
                headers=headers,
            )
            assert response.status_code == 422, (way, response.text)
            assert response.json().get("field") == "resource_person", response.text
            answers.append(same(response.text, ref))
        assert answers[0] == answers[1], way
    # A list of persons: one of another organisation spoils the list as an unknown one does.
    for way in WAYS:
        answers = []
        for ref in (world.theirs[way], world.nobody[way]):
            values = DIAGNOSIS_ACCEPTED | {"managers_met": f"{world.own_resource};{ref}"}
            response = world.client.post(
                f"/api/v1/cases/{world.diagnosis}/decisions",
                json={"outcome": "accepted", "values": values, "expected_version": diagnosis[0]},
                headers=headers,
            )
            assert response.status_code == 422, (way, response.text)
            answers.append(same(response.text, ref))
        assert answers[0] == answers[1], way
    assert written(world.app, world.ref) == before
    assert written(world.app, world.diagnosis) == diagnosis
    # The own organisation's resource person is accepted: the refusal is about the organisation.
    ok = world.client.post(
        f"/api/v1/cases/{world.ref}/decisions",
        json={"outcome": "accepted", "values": matched("claire-fontaine"), "expected_version": before[0]},
        headers=headers,
    )
    assert ok.status_code == 201, ok.text
    attacked(
        "another organisation's person named in a decision (API)",
        tried=2 * len(WAYS),
        detail="422, the unknown person's body, by id, handle, e-mail and name; nothing written or queued",
    )


def test_cli_a_decision_naming_another_organisations_person_exits_2_as_for_nobody(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = written(world.app, world.ref)
    for way in WAYS:
        answers = []
        for ref in (world.theirs[way], world.nobody[way]):
            sets = [arg for name, value in matched(ref).items() for arg in ("--set", f"{name}={value}")]
            code, printed = run_cli(
                world.app, monkeypatch, capsys, "case", "decide", world.ref, "accepted", *sets
            )
            assert code == 2, (way, printed)
            assert "field 'resource_person': no person" in printed
            answers.append(same(printed, ref))
        assert answers[0] == answers[1], way
    assert written(world.app, world.ref) == before
    attacked(
        "another organisation's person named in a decision (CLI)",
        tried=len(WAYS),
        detail="exit 2 with the unknown person's message, by id, handle, e-mail and name; nothing written",
    )


def test_cli_decision_by_another_organisations_person_exits_3_as_for_nobody(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = written(world.app, world.ref)
    sets = [
        arg
        for name, value in matched(str(world.own_resource)).items()
        for arg in ("--set", f"{name}={value}")
    ]
    for way in WAYS:
        answers = []
        for ref in (world.theirs[way], world.nobody[way]):
            code, printed = run_cli(
                world.app, monkeypatch, capsys, "case", "decide", world.ref, "accepted", *sets, "--by", ref
            )
            assert code == 3, (way, printed)
            answers.append(same(printed, ref))
        assert answers[0] == answers[1], way
    assert written(world.app, world.ref) == before
    attacked(
        "another organisation's person recorded as who decided (CLI --by)",
        tried=len(WAYS),
        detail="exit 3 with the unknown person's message; nothing written",
    )


def test_a_case_officer_and_a_project_owner_are_members_of_the_projects_organisation(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.app
    with app.store.read() as conn:
        cases_before = conn.execute(select(func.count()).select_from(CASE)).scalar_one()
        projects_before = conn.execute(select(func.count()).select_from(PROJECT)).scalar_one()
    project = make_project(app, world.own_org)
    for way in WAYS:
        answers: list[tuple[str, ...]] = []
        for ref in (world.theirs[way], world.nobody[way]):
            code, printed = run_cli(
                app, monkeypatch, capsys, "case", "open", str(project), "diagnosis", "--officer", ref
            )
            assert code == 3, (way, printed)
            opened = same(printed, ref)
            code, printed = run_cli(
                app, monkeypatch, capsys, "project", "add", "Sonde", "--org", "ptce-lyon-sud", "--owner", ref
            )
            assert code == 3, (way, printed)
            answers.append((opened, same(printed, ref)))
            with write(app) as tx, pytest.raises(NotFound) as refused:
                directory.add_project(
                    tx, name="Sonde", org=world.own_org, owner=ref, siret=None, bce=None,
                    territory=None, phase="idea", legal_form=None,
                )  # fmt: skip
            answers[-1] += (same(str(refused.value), ref),)
        assert answers[0] == answers[1], way
    with app.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(CASE)).scalar_one() == cases_before
        assert conn.execute(select(func.count()).select_from(PROJECT)).scalar_one() == projects_before + 1
    attacked(
        "another organisation's person as a case's officer or a project's owner",
        tried=3 * len(WAYS),
        detail="CLI exit 3 and NotFound as for an unknown person; no case or project added",
    )


def test_csv_import_refuses_another_organisations_owner_as_an_unknown_one(
    world: World, tmp_path: Path
) -> None:
    app = world.app
    lines = ["name,org,owner"]
    for i, way in enumerate(WAYS):
        lines += [
            f"Projet {i}a,ptce-lyon-sud,{world.theirs[way]}",
            f"Projet {i}b,ptce-lyon-sud,{world.nobody[way]}",
        ]
    path = tmp_path / "projects.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with app.store.read() as conn:
        before = conn.execute(select(func.count()).select_from(PROJECT)).scalar_one()

    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_projects(app, path)

    problems = {p.line: p for p in refused.value.problems}
    assert sorted(problems) == list(range(2, 2 + 2 * len(WAYS)))
    for i, way in enumerate(WAYS):
        theirs, nobody = problems[2 + 2 * i], problems[3 + 2 * i]
        assert theirs.column == nobody.column == "owner"
        assert same(theirs.reason, world.theirs[way]) == same(nobody.reason, world.nobody[way]), way
    with app.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(PROJECT)).scalar_one() == before
    attacked(
        "another organisation's person as an imported project's owner",
        tried=len(WAYS),
        detail="the row is refused with the unknown person's reason; nothing imported",
    )


def test_matching_suggests_only_the_cases_organisations_resource_persons(world: World) -> None:
    with world.app.store.read() as conn:
        found = resources.suggest(conn, world.app.catalog, world.ref, now=world.app.clock.now())
    listed = {c["name"] for c in found["candidates"]} | {e["name"] for e in found["excluded"]}
    assert listed == {"Claire Fontaine"}  # Sophie Voisine's topic fits too, but she is another's
    assert not re.search("Voisine|voisin", repr(found))
    attacked(
        "another organisation's resource person suggested for a case",
        tried=1,
        detail="only the case organisation's resource persons are candidates",
    )


def test_a_person_listed_by_two_organisations_may_be_named_by_both(world: World) -> None:
    """The operator's explicit way to share a resource person: a role in each organisation."""
    with write(world.app) as tx:
        shared = directory.add_person(
            tx, name="Sophie Voisine", org=world.own_org, role="resource",
            email="SOPHIE@voisin.example.org", language="fr", channels=[], existing=True,
        )  # fmt: skip
    assert str(shared.id) == world.theirs["id"]
    decided = decide(world.app, world.ref, "accepted", matched("sophie@voisin.example.org"))
    assert decided.entered == "validation"
