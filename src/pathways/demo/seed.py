"""Demo data: fictitious but realistic French and Belgian organisations, people, projects and cases.

Built only through the public services, deterministically, with back-dated decisions:
every project of :mod:`pathways.demo.data` opens its case and replays the
outcomes listed for it, so every stage of every pathway holds a case *by construction*
(each project has the phase, legal form and facts its pathway's rules admit), some
overdue, some handed off, one swarming parent with its children.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from pathways.bootstrap import Clock
from pathways.demo.cooperation import cooperate
from pathways.demo.data import (
    CONSULTANTS,
    DEMOS,
    EXIT_REASONS,
    FIRST_NAMES,
    LAST_NAMES,
    ORGS,
    OTHER_EVALUATION,
    RESOURCES,
    SHOWCASE,
    SHOWCASE_EVALUATION,
    STAFF,
    Demo,
)
from pathways.demo.values import FIELD_VALUES, Context, bce, field_value, rna, siret
from pathways.services.casework import cases, closing, lookup, opening
from pathways.services.people import directory
from pathways.services.reporting import impact
from pathways.services.tx import write
from pathways.store.core import CASE, PERSON, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

OVERDUE_IDLE = 125  # days since the last decision: past any deadline but a yearly one


@dataclass
class _World:
    """What the demo created and what it must keep track of while it replays the cases."""

    app: App
    now: datetime
    rng: random.Random
    orgs: dict[str, int]  # key in demo_data -> organisation id
    officers: dict[str, list[int]]
    consultants: dict[str, int]
    resources: list[tuple[int, str, str, tuple[str, ...]]]  # (person id, org slug, employer, topics)
    transfers: Counter[tuple[int, int]]  # (resource person, year) -> validated transfers
    projects: int = 0
    cases: int = 0
    # Fabrique à initiatives: the person each project's lead will be (its owner once found).
    leads: dict[int, int] = field(default_factory=dict)

    def at(self, when: datetime) -> App:
        """The application with its clock at `when` (queued work then happens at that time too).

        Its executor is inline, whatever ``PATHWAYS_EXECUTOR`` says: the demo replays the past, so
        a change's follow-up (:meth:`App.after_commit`: documents, hand-offs) runs at the replayed time.
        """
        inline = self.app.settings.model_copy(update={"executor": "inline"})
        shifted = replace(self.app, clock=Clock(when), settings=inline)
        shifted.__dict__["catalog"] = self.app.catalog  # loaded once
        return shifted


def _resource_for(world: _World, org: str, year: int) -> tuple[int, str, str, tuple[str, ...]]:
    """The first resource person under the yearly cap, those of the case's network first (some reach it)."""
    ordered = sorted(world.resources, key=lambda r: r[1] != org)
    return next((r for r in ordered if world.transfers[(r[0], year)] < 2), ordered[-1])


def _decide(world: _World, ref: str, outcome: str, on: datetime, demo: Demo, next_on: datetime) -> None:
    app = world.at(on)
    with app.store.read() as conn:
        row = lookup.find_case(conn, ref)
    assert row.stage is not None  # the demo decides open, assigned cases
    assert row.officer_id is not None
    spec = app.catalog.get(row.pathway_id, row.pathway_version)
    stage = spec.stage(row.stage)
    resource, _, employer, topics = _resource_for(world, demo.org, on.year)
    ctx = Context(
        demo=demo,
        lang="nl" if demo.org == "vlg" else "fr",
        on=on.date(),
        next_on=next_on.date(),
        officer=row.officer_id,
        consultant=world.consultants[demo.org],
        resource=resource,
        topics=topics,
        employer=employer,
        rng=world.rng,
        lead=world.leads.get(row.project_id),
        today=world.now.date(),
    )
    values = {
        name: field_value(name, field, ctx)
        for name, field in stage.fields_for(outcome).items()
        if field.required or field.required_if or name in FIELD_VALUES
    }
    with write(app, actor_id=row.officer_id, at=on) as tx:
        cases.decide(
            tx,
            app.catalog,
            case=ref,
            outcome=outcome,
            values={k: v for k, v in values.items() if v is not None},
            note="demo",
        )
    if spec.id == "peer_transfer" and outcome == "validated":
        world.transfers[(int(row.data["matching"]["resource_person"]), on.year)] += 1
    _follow(app, row.id)


def _follow(app: App, case_id: int) -> None:
    """The change's follow-up, run by the App's after-commit mechanism (inline: see :meth:`_World.at`)."""
    app.after_commit(case_id)


def _close(world: _World, ref: str, result: str, on: datetime, demo: Demo) -> None:
    """Close the case through the exit `result`, with the reason an officer would give."""
    app = world.at(on)
    reason = EXIT_REASONS[result]["nl" if demo.org == "vlg" else "fr"]
    closing.close(app, closing.CloseCase(ref, result, reason), by=None)  # by its officer, at `on`


def _children(world: _World, case_id: int, known: set[int]) -> list[str]:
    with world.app.store.read() as conn:
        rows = conn.execute(
            select(CASE.c.id, CASE.c.ref).where(CASE.c.parent_id == case_id).order_by(CASE.c.id)
        ).all()
    return [ref for child_id, ref in rows if child_id not in known]


def _play(world: _World, demo: Demo, project: int, officer: int) -> None:
    """Open the demo's case and replay its outcomes, then those of the cases it opened, in order."""
    steps = len(demo.path) + sum(len(p) for p in demo.children)
    idle = OVERDUE_IDLE if demo.overdue else world.rng.randint(1, 5)
    idle = int(demo.extra.get("idle", idle))  # an incubatee's jury near its cohort's start
    gap = world.rng.randint(9, 14)
    slots = [
        world.now - timedelta(days=idle + gap * (steps - k), hours=world.rng.randint(0, 6))
        for k in range(1, steps + 1)
    ]
    opened_at = (slots[0] if slots else world.now - timedelta(days=idle)) - timedelta(days=gap)
    app = world.at(opened_at)
    if demo.pathway == "swarming":  # only a proven model is swarmed: its evaluation comes first
        with write(app, actor_id=officer, at=opened_at - timedelta(days=10)) as tx:
            _evaluate(tx, project, demo, world.now)
    with write(app, actor_id=officer, at=opened_at) as tx:
        opened = opening.open_case(tx, app.catalog, project=project, pathway=demo.pathway, officer=officer)
    _follow(app, opened.id)
    if demo.pathway == "cooperation":  # its members and shares, before its first decision
        cooperate(world.app, opened.ref, demo.name, opened_at, orgs=world.orgs)
    world.cases += 1
    queue: list[tuple[str, int, tuple[str, ...]]] = [(opened.ref, opened.id, demo.path)]
    pending = list(demo.children)
    seen = {opened.id}
    n = 0  # decisions made: the index of the next slot
    while queue:
        ref, case_id, path = queue.pop(0)
        for outcome in path:
            on = slots[n]
            next_on = slots[n + 1] if n + 1 < len(slots) else on + timedelta(days=20)
            if outcome.startswith("!"):  # an exit, with its reason
                _close(world, ref, outcome[1:], on, demo)
            else:
                _decide(world, ref, outcome, on, demo, next_on)
            n += 1
            for child in _children(world, case_id, seen):
                with world.app.store.read() as conn:
                    child_id = lookup.find_case(conn, child).id
                seen.add(child_id)
                world.cases += 1
                queue.append((child, child_id, pending.pop(0) if pending else ()))


def _setup(world: _World) -> None:
    """Organisations, their staff, resource persons and consultants."""
    with write(world.app, at=world.now - timedelta(days=900)) as tx:
        for slug, name, territory, lang in ORGS:
            world.orgs[slug] = directory.add_org(tx, name=name, territory=territory, language=lang).id
            manager, *officers = STAFF[slug]
            for person, role in ((manager, "manager"), *((o, "officer") for o in officers)):
                email = f"{directory.slugify(person)}@{slug}.example.org"
                created = directory.add_person(
                    tx,
                    name=person,
                    org=world.orgs[slug],
                    role=role,
                    email=email,
                    language=lang,
                    channels=[f"mailto://{email}"],
                )
                if role == "officer":
                    world.officers.setdefault(slug, []).append(created.id)
            # Lyon has no consultant of its own: it works with one of Paris's.
            for consultant in CONSULTANTS.get(slug, CONSULTANTS["paris"][:1] if slug == "lyon" else ()):
                with_email = f"{directory.slugify(consultant)}@conseil.example.org"
                existing = tx.conn.execute(select(PERSON.c.id).where(PERSON.c.email == with_email)).scalar()
                # A consultant several organisations work with has a role in each (decisions
                # name only the people of the case's organisation).
                world.consultants[slug] = directory.add_person(
                    tx,
                    name=consultant,
                    org=world.orgs[slug],
                    role="resource",
                    email=with_email,
                    language=lang,
                    channels=[],
                    existing=existing is not None,
                ).id
        for resource in RESOURCES:
            email = f"{directory.slugify(resource.name)}@pairs.example.org"
            created = directory.add_person(
                tx,
                name=resource.name,
                org=world.orgs[resource.org],
                role="resource",
                email=email,
                language=resource.language,
                channels=[f"mailto://{email}"],
                topics=list(resource.topics),
            )
            world.resources.append((created.id, resource.org, resource.employer, resource.topics))


def _add_project(world: _World, demo: Demo, index: int) -> int:
    lang = demo.lang
    first = FIRST_NAMES[lang][index % len(FIRST_NAMES[lang])]
    last = LAST_NAMES[lang][(index * 7) % len(LAST_NAMES[lang])]
    registered = demo.phase not in ("idea", "emergence")
    belgian = demo.territory.startswith("BE")
    with write(world.app, at=world.now - timedelta(days=800 - index)) as tx:
        email = f"{directory.slugify(first + ' ' + last)}.{index}@example.net"
        owner = directory.add_person(
            tx,
            name=f"{first} {last}",
            org=world.orgs[demo.org],
            role="owner",
            email=email,
            language=lang,
            channels=[f"mailto://{email}"],
        )
        # A Fabrique à initiatives starts from a need: its project has no lead until one is found.
        lead_wanted = demo.pathway == "fabrique"
        project = directory.add_project(
            tx,
            name=demo.name,
            org=world.orgs[demo.org],
            owner=None if lead_wanted else owner.id,
            siret=siret(world.rng) if registered and not belgian else None,
            bce=bce(world.rng) if registered and belgian else None,
            territory=demo.territory,
            phase=demo.phase,
            legal_form=demo.legal_form,
            permanent_jobs=demo.jobs,
            fixed_term_jobs=world.rng.randint(0, 2) if demo.jobs else 0,
            rna=rna(demo.territory, world.rng) if demo.legal_form == "association" and registered else None,
            sector=demo.sector,
            ess_status=None if not registered else _ess_status(demo),
        )
    world.projects += 1
    if lead_wanted:
        world.leads[project.id] = owner.id
    return project.id


def _ess_status(demo: Demo) -> str:
    if demo.org == "vlg":
        return "sociale economie"
    if demo.territory.startswith("BE"):
        return "économie sociale"
    return "ESUS" if demo.legal_form in ("esus", "siae", "entreprise_adaptee") else "ESS"


def _evaluate(tx: Any, project: int, demo: Demo, now: datetime) -> None:
    """The impact evaluation that makes a model proven (VISES: question, indicators, dated values)."""
    indicators: tuple[tuple[str, str, str, str, tuple[tuple[int, str], ...]], ...]
    if demo.name == SHOWCASE:
        question, tool, indicators = SHOWCASE_EVALUATION
    else:
        question, tool, (name, unit) = OTHER_EVALUATION
        indicators = ((name, unit, str(demo.jobs), str(demo.jobs + 5), ((400, str(demo.jobs + 2)),)),)
    evaluation = impact.add_evaluation(tx, target=project, question=question, tool=tool)
    for name, unit, baseline, target, values in indicators:
        indicator = impact.add_indicator(
            tx, evaluation=evaluation, name=name, unit=unit, baseline=baseline, target=target
        )
        for days_ago, value in values:
            impact.add_value(tx, indicator=indicator, value=value, on=(now - timedelta(days=days_ago)).date())


def load(app: App) -> dict[str, Any]:
    """Add the demo data once; a database that already has projects is left alone."""
    with app.store.read() as conn:
        existing = conn.execute(select(func.count()).select_from(PROJECT)).scalar_one()
    if existing:
        return {"created": False, "projects": existing, "cases": 0}
    world = _World(
        app=app,
        now=app.clock.now(),
        rng=random.Random(2026),  # noqa: S311  demo data, not security
        orgs={},
        officers={},
        consultants={},
        resources=[],
        transfers=Counter(),
    )
    _setup(world)
    for index, demo in enumerate(DEMOS):
        project = _add_project(world, demo, index)
        officers = world.officers[demo.org]
        _play(world, demo, project, officers[index % len(officers)])
    with app.store.read() as conn:
        projects = conn.execute(select(func.count()).select_from(PROJECT)).scalar_one()
    return {"created": True, "projects": projects, "cases": world.cases}


def summary(app: App) -> Mapping[str, Any]:
    """How the demo's cases spread over pathways and stages (for checks and the `run` banner)."""
    with app.store.read() as conn:
        rows = conn.execute(
            select(CASE.c.pathway_id, CASE.c.stage, CASE.c.result, func.count()).group_by(
                CASE.c.pathway_id, CASE.c.stage, CASE.c.result
            )
        ).all()
    return {f"{p}:{s or 'closed:' + str(r)}": n for p, s, r, n in rows}
