"""`pathways project update` and `pathways person update` through the real entry point, on both databases.

Every refused option is named at once, exit 2, nothing written; an unknown project exits 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from builders import VALID_SIRET, make_org, make_person, make_project
from pathways.bootstrap import App
from pathways.store.core import AUDIT, PERSON, PROJECT
from security.inprocess_cli import environment, run


@pytest.fixture
def world(app: App, tmp_path: Path) -> dict[str, Any]:
    org = make_org(app, name="DLA de Paris")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    carrier = make_person(app, org, role="owner", name="Lucas Girard", email="lucas@example.org")
    project = make_project(app, org, name="Recyclerie du Canal", owner=owner, siret=None, phase="idea")
    return {
        "env": environment(app, tmp_path),
        "owner": owner,
        "carrier": carrier,
        "project": project,
    }


def row(app: App, table: Any, row_id: int) -> dict[str, Any]:
    with app.store.read() as conn:
        return dict(conn.execute(select(table).where(table.c.id == row_id)).mappings().one())


def test_project_update_sets_the_siret_and_the_owner_and_says_what_changed(
    app: App, world: dict[str, Any]
) -> None:
    ran = run(
        world["env"],
        "project",
        "update",
        str(world["project"]),
        "--siret",
        "732 829 320 00074",
        "--owner",
        "lucas@example.org",
        "--legal-form",
        "scic",
        "--json",
    )
    assert (ran.code, ran.crash) == (0, None), ran.output
    assert '"phase_from": "identifier"' in ran.out
    project = row(app, PROJECT, world["project"])
    assert (project["siret"], project["owner_id"], project["phase"], project["legal_form"]) == (
        VALID_SIRET,
        world["carrier"],
        "founded",
        "scic",
    )
    again = run(world["env"], "project", "update", "Recyclerie du Canal", "--jobs", "5")
    assert again.code == 0
    assert "updated: permanent_jobs" in again.out


def test_project_update_names_every_bad_option_exits_2_and_writes_nothing(
    app: App, world: dict[str, Any]
) -> None:
    before = row(app, PROJECT, world["project"])
    ran = run(
        world["env"],
        "project",
        "update",
        str(world["project"]),
        "--siret",
        "73282932000075",
        "--bce",
        "BE 0417.497.107",
        "--owner",
        "nobody@example.org",
        "--name",
        " ",
    )
    assert (ran.code, ran.crash) == (2, None), ran.output
    for said in (
        "4 fields refused",
        "name: is empty",
        "siret:",
        "bce:",
        "owner: no person 'nobody@example.org'",
    ):
        assert said in ran.output, said
    assert row(app, PROJECT, world["project"]) == before
    with app.store.read() as conn:
        assert conn.scalar(select(AUDIT.c.id).where(AUDIT.c.kind == "project_updated")) is None


def test_an_unknown_project_exits_3(world: dict[str, Any]) -> None:
    ran = run(world["env"], "project", "update", "999999", "--name", "X")
    assert (ran.code, ran.crash) == (3, None)
    assert "no project '999999'" in ran.output


def test_person_update_refuses_an_internal_channel_and_keeps_the_person_as_is(
    app: App, world: dict[str, Any]
) -> None:
    before = row(app, PERSON, world["owner"])
    ran = run(
        world["env"],
        "person",
        "update",
        "ines@example.org",
        "--lang",
        "nl",
        "--channel",
        "json://10.0.0.7/hook",
        "--email",
        "not-an-email",
    )
    assert (ran.code, ran.crash) == (2, None), ran.output
    assert "10.0.0.7" in ran.output
    assert "PATHWAYS_CHANNEL_ALLOW" in ran.output
    assert "email:" in ran.output
    assert row(app, PERSON, world["owner"]) == before


def test_person_update_changes_contacts_and_channels(app: App, world: dict[str, Any]) -> None:
    ran = run(
        world["env"],
        "person",
        "update",
        str(world["owner"]),
        "--email",
        "ines.dubois@example.org",
        "--lang",
        "en",
        "--channel",
        "mailto://ines.dubois@example.org",
        "--json",
    )
    assert (ran.code, ran.crash) == (0, None), ran.output
    person = row(app, PERSON, world["owner"])
    assert (person["email"], person["language"], person["channels"]) == (
        "ines.dubois@example.org",
        "en",
        ["mailto://ines.dubois@example.org"],
    )
    cleared = run(world["env"], "person", "update", str(world["owner"]), "--no-channels", "--phone", "")
    assert cleared.code == 0
    assert row(app, PERSON, world["owner"])["channels"] == []
    both = run(
        world["env"],
        "person",
        "update",
        str(world["owner"]),
        "--no-channels",
        "--channel",
        "mailto://a@b.org",
    )
    assert both.code == 2
