"""Open a case for a project at the first stage of a pathway, in one transaction.

:func:`open_new` is what the entry points call (``(app, command, *, by)``: it opens its
transaction and checks what `by` may do); :func:`open_case` is the step inside a transaction
that hand-offs, spawns, the demo and the tests run in theirs. Both return an :class:`OpenedCase`;
the caller runs :meth:`pathways.bootstrap.App.after_commit` for the work that follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update

from pathways.domain import case as machine
from pathways.domain import lifecycle
from pathways.domain.loader import PathwayCatalog
from pathways.domain.rules import DecisionContext
from pathways.errors import NotFound
from pathways.services.casework.facts import DbFacts
from pathways.services.casework.lookup import next_ref, org_zone, project_facts
from pathways.services.casework.recording import enter_stage
from pathways.services.casework.scoped import CASE_STAFF
from pathways.services.casework.views import OpenedCase
from pathways.services.people import among, directory, org_holidays
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import absent, require
from pathways.services.tx import Tx, write
from pathways.store.core import CASE

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["OpenCase", "OpenedCase", "open_case", "open_new"]

_SET_CURRENT_ENTRY = (
    update(CASE)
    .where(CASE.c.id == bindparam("b_id"))
    .values(
        current_entry_id=bindparam("b_entry", type_=CASE.c.current_entry_id.type),
        due_at=bindparam("b_due", type_=CASE.c.due_at.type),
    )
)


def open_case(
    tx: Tx,
    catalog: PathwayCatalog,
    *,
    project: str | int,
    pathway: str,
    officer: str | int | None,
    parent_id: int | None = None,
    version: int | None = None,
    org_id: int | None = None,
) -> OpenedCase:
    """Open a case for a project at the first stage of a pathway; checks its entry rules.

    `org_id`: the project must be one of that organisation's. The officer must be a member of
    the project's organisation: anyone else gets the answer an unknown person gets.
    """
    spec = catalog.get(pathway, version)
    facts, proj = project_facts(tx.conn, directory.find_project(tx.conn, project, org_id=org_id).id)
    officer_id = (
        directory.find_person(tx.conn, officer, org_id=proj.organisation_id).id
        if officer is not None
        else None
    )
    lifecycle.require_phase(spec, facts.name, facts.phase)
    ctx = DecisionContext(pathway=spec, project=facts, facts=DbFacts(tx.conn), now=tx.at)
    machine.run_checks(spec.checks, ctx)

    opened_by = None
    if parent_id is not None:  # a hand-off or a spawn: the pathway may start such cases elsewhere
        opened_by = tx.conn.execute(select(CASE.c.pathway_id).where(CASE.c.id == parent_id)).scalar_one()
    state, _events = machine.start(spec, opened_by)
    entry = spec.entry_stage(opened_by)
    ref = next_ref(tx.conn, spec.reference, tx.at.year)
    case_id = tx.insert(
        CASE,
        ref=ref,
        organisation_id=proj.organisation_id,
        project_id=proj.id,
        pathway_id=spec.id,
        pathway_version=spec.version,
        stage=state.stage,
        status="open",
        officer_id=officer_id,
        parent_id=parent_id,
        opened_at=tx.at,
        data={},
        version=1,
    )
    zone = org_zone(tx.conn, proj.organisation_id)
    entry_id, due = enter_stage(
        tx,
        case_id=case_id,
        ref=ref,
        spec=spec,
        stage=entry,
        seq=1,
        territory=proj.territory,
        extra_holidays=org_holidays.days_off(tx.conn, proj.organisation_id),
        zone=zone,
        recorded={},
    )
    tx.conn.execute(_SET_CURRENT_ENTRY, {"b_id": case_id, "b_entry": entry_id, "b_due": due})
    tx.audit(
        organisation_id=proj.organisation_id,
        case_id=case_id,
        kind="case_opened",
        payload={
            "ref": ref,
            "pathway": spec.id,
            "version": spec.version,
            "project": proj.id,
            "stage": state.stage,
            "officer": officer_id,
            "parent": parent_id,
        },
    )
    return OpenedCase(id=case_id, ref=ref, stage=entry.id, due_at=due, pathway=spec.id)


@dataclass(frozen=True, slots=True)
class OpenCase:
    """Open a case of `pathway` for `project` (id or name), in the charge of `officer`.

    With a principal, both are looked up among its organisations: the project one it may change,
    the officer an officer or manager of the project's organisation (without one: the principal,
    when it is one there). The operator (``by=None``): `person` records it (a member of the
    project's organisation); without one, the officer.
    """

    project: str | int
    pathway: str
    officer: str | int | None = None
    person: str | int | None = None


def open_new(app: App, command: OpenCase, *, by: Principal | None) -> OpenedCase:
    """Open a case, in a transaction of its own, if `by` may change its project.

    A project or officer of an organisation `by` has no role in is not found, as an unknown
    one is; a project it may read but not change is Forbidden.
    """
    officer: str | int | None
    with write(app, actor_id=by.person_id if by is not None else None) as opened:
        if by is not None:
            project, officer = _chosen(opened.conn, by, command)
            tx = opened
        else:
            found = directory.find_project(opened.conn, command.project)
            project, officer = found.id, command.officer
            who = command.person or command.officer
            actor = directory.find_person(opened.conn, who, org_id=found.organisation_id).id if who else None
            tx = replace(opened, actor_id=actor)
        return open_case(tx, app.catalog, project=project, pathway=command.pathway, officer=officer)


def _chosen(conn: Connection, by: Principal, command: OpenCase) -> tuple[int, int | None]:
    """The project's and the officer's ids, as `by` may name them."""
    visible = by.orgs(Permission.READ)
    try:
        project = among.project_among(conn, command.project, visible)
    except NotFound:
        raise absent("project", command.project) from None
    org_id = project.organisation_id
    require(by, org_id, Permission.WRITE, f"project '{str(command.project).strip()}'")
    if command.officer is None:
        return project.id, by.person_id if by.roles.get(org_id, frozenset()) & CASE_STAFF else None
    try:
        person = among.person_among(conn, command.officer, visible)
    except NotFound:
        raise absent("person", command.officer) from None
    held = {role for org, role in directory.roles_of(conn, person.id) if org == org_id}
    if not held & CASE_STAFF:  # only said of a person `by` may see (in another of its organisations)
        wanted = " or ".join(sorted(CASE_STAFF))
        shown = str(command.officer).strip()
        raise NotFound(
            f"no person '{shown}' in this organisation as {wanted}",
            code="officer_not_in_org",
            params={"person": shown},
        )
    return project.id, person.id
