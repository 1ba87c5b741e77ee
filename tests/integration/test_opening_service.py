"""Opening a case through the use case the entry points call: `opening.open_new(app, OpenCase, by=...)`.

It opens its own transaction, checks what the principal may do (an organisation it has no role
in does not exist for it; a read-only role is refused) and returns a typed :class:`OpenedCase`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from builders import make_org, make_person, make_project, principal
from pathways.bootstrap import App
from pathways.errors import Forbidden, NotFound
from pathways.services.casework import opening
from pathways.services.casework.views import OpenedCase
from pathways.store.core import AUDIT, CASE


def count_cases(app: App) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(CASE)).scalar_one())


def test_an_officer_opens_a_case_in_their_charge_and_gets_a_typed_result(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    project = make_project(app, org)

    opened = opening.open_new(app, opening.OpenCase(project, "diagnosis"), by=principal(app, officer))

    assert isinstance(opened, OpenedCase)
    assert (opened.ref, opened.stage, opened.pathway) == ("DIAG-2026-0001", "intake", "diagnosis")
    assert opened.due_at is not None
    with app.store.read() as conn:
        row = conn.execute(select(CASE).where(CASE.c.id == opened.id)).mappings().one()
        event = conn.execute(select(AUDIT).where(AUDIT.c.case_id == opened.id)).mappings().one()
    assert (row["officer_id"], row["project_id"], row["due_at"]) == (officer, project, opened.due_at)
    assert (event["kind"], event["actor_id"]) == ("case_opened", officer)


def test_another_organisations_project_is_not_found_as_an_unknown_one(app: App) -> None:
    mine, theirs = make_org(app), make_org(app, name="Ailleurs")
    officer = make_person(app, mine)
    their_project = make_project(app, theirs)
    by = principal(app, officer)

    with pytest.raises(NotFound) as hidden:
        opening.open_new(app, opening.OpenCase(their_project, "diagnosis"), by=by)
    with pytest.raises(NotFound) as unknown:
        opening.open_new(app, opening.OpenCase(999_999, "diagnosis"), by=by)

    assert str(hidden.value) == str(unknown.value).replace("999999", str(their_project))
    assert str(hidden.value).startswith(f"no project '{their_project}'")
    assert count_cases(app) == 0


def test_a_read_only_role_is_refused_and_an_officer_must_be_staff(app: App) -> None:
    org = make_org(app)
    auditor = make_person(app, org, role="auditor")
    officer = make_person(app, org)
    owner = make_person(app, org, role="owner", name="Inès Dubois")
    project = make_project(app, org, owner=owner)

    with pytest.raises(Forbidden):
        opening.open_new(app, opening.OpenCase(project, "diagnosis"), by=principal(app, auditor))
    with pytest.raises(NotFound, match="as manager or officer"):
        opening.open_new(
            app, opening.OpenCase(project, "diagnosis", officer=owner), by=principal(app, officer)
        )

    assert count_cases(app) == 0


def test_the_operator_opens_for_an_officer_recorded_by_the_person_named(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    manager = make_person(app, org, role="manager", name="Hugo Petit")
    project = make_project(app, org)
    command = opening.OpenCase(str(project), "diagnosis", officer="Camille Martin", person="Hugo Petit")

    opened = opening.open_new(app, command, by=None)

    with app.store.read() as conn:
        officer_id = conn.execute(select(CASE.c.officer_id).where(CASE.c.id == opened.id)).scalar_one()
        actor = conn.execute(select(AUDIT.c.actor_id).where(AUDIT.c.case_id == opened.id)).scalar_one()
    assert (officer_id, actor) == (officer, manager)
    assert opened.due_at is not None
    assert opened.due_at > datetime(2026, 1, 1, tzinfo=UTC)
