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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from pathways.bootstrap import Clock
from pathways.demo.data import (
    CONSULTANTS,
    DEMOS,
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
from pathways.domain import identifiers
from pathways.domain.spec import FieldSpec, FieldType
from pathways.services.casework import cases, lookup, opening, work
from pathways.services.people import directory
from pathways.services.reporting import impact
from pathways.services.tx import write
from pathways.store.tables import Project

if TYPE_CHECKING:
    from pathways.bootstrap import App

INTAKE_FORMS = {"asbl": "asbl", "vzw": "asbl", "cv": "sc_cv", "sc": "sc_cv", "esus": "esus_company"}
OVERDUE_IDLE = 125  # days since the last decision: past any deadline but a yearly one


def _siret(rng: random.Random) -> str:
    """A SIRET whose SIREN and establishment both pass the Luhn check."""
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(13))
        for last in "0123456789":
            candidate = digits + last
            if identifiers.luhn_valid(candidate) and identifiers.luhn_valid(candidate[:9]):
                return candidate


def _bce(rng: random.Random) -> str:
    """A Belgian enterprise number: 8 digits (first 0 or 1) and their mod-97 complement."""
    base = rng.randint(2_000_000, 19_999_999)
    return f"{base:08d}{97 - base % 97:02d}"


def _rna(territory: str, rng: random.Random) -> str:
    """A French association's RNA number: W, the département, then digits (10 characters)."""
    department = territory.removeprefix("FR-")[:3]
    return f"W{department}{rng.randint(0, 10 ** (9 - len(department)) - 1):0{9 - len(department)}d}"


# Texts an officer records, in the organisation's language.
TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "request": "Consolider le modèle économique et structurer la gouvernance associative.",
        "priority_issues": "Modèle économique fragile (dépendance aux subventions) ; "
        "gouvernance à renouveler ; fonction RH à structurer.",
        "internal_actions": "Tableau de bord financier mensuel ; renouvellement du bureau.",
        "referrals": "France Active pour un prêt d'honneur ; "
        "fédération régionale pour la formation des bénévoles.",
        "missions": "Modèle économique;Gouvernance",
        "text": "Échange avec le bureau de la structure.",
        "reports": "Rapport de mission – modèle économique",
        "agenda": "J1 matin : diagnostic RH ; J1 après-midi : outils ; J2 : plan d'action.",
        "review": "Transfert utile, questions traitées, outils repris.",
        "kit": "Guide méthodologique;Modèle économique type;Statuts types;Charte",
    },
    "nl": {
        "request": "Het economisch model versterken en het bestuur professionaliseren.",
        "priority_issues": "Kwetsbaar verdienmodel (afhankelijk van subsidies); bestuur vernieuwen; "
        "personeelsbeleid uitbouwen.",
        "internal_actions": "Maandelijks financieel dashboard; vernieuwing van de raad van bestuur.",
        "referrals": "Trividend voor financiering; koepelorganisatie voor vrijwilligersvorming.",
        "missions": "Verdienmodel;Governance",
        "text": "Gesprek met de raad van bestuur.",
        "reports": "Opdrachtverslag – verdienmodel",
        "agenda": "Dag 1 voormiddag: HR-diagnose; namiddag: tools; dag 2: actieplan.",
        "review": "Nuttige overdracht, vragen behandeld, tools overgenomen.",
        "kit": "Methodologische handleiding;Modelbegroting;Modelstatuten;Charter",
    },
}


@dataclass(frozen=True, slots=True)
class _Context:
    """What the values of one decision depend on."""

    demo: Demo
    lang: str
    on: date
    next_on: date
    officer: int
    consultant: int
    resource: int
    topics: tuple[str, ...]
    employer: str
    rng: random.Random


def _text(ctx: _Context, key: str) -> str:
    return TEXTS.get(ctx.lang, TEXTS["fr"]).get(key, TEXTS["fr"]["text"])


def _belgian(ctx: _Context) -> bool:
    return ctx.demo.territory.startswith("BE")


FIELD_VALUES: dict[str, Callable[[_Context], Any]] = {
    "met_on": lambda c: c.on - timedelta(days=3),
    "legal_form": lambda c: INTAKE_FORMS.get(c.demo.legal_form or "", c.demo.legal_form or "other"),
    "salaried_jobs": lambda c: c.demo.jobs,
    "request": lambda c: _text(c, "request"),
    "documents_received": lambda _: True,
    "redirected_to": lambda c: "France Active Paris" if not _belgian(c) else "Crédal",
    "redirect_reason": lambda _: "legal_form",
    "interviews": lambda c: [c.on - timedelta(days=9), c.on - timedelta(days=2)],
    "validated_on": lambda c: c.on,
    "priority_issues": lambda c: _text(c, "priority_issues"),
    "internal_actions": lambda c: _text(c, "internal_actions"),
    "referrals": lambda c: _text(c, "referrals"),
    "consulting_missions": lambda c: _text(c, "missions"),
    "board_approval": lambda _: True,
    "board_approval_on": lambda c: c.on - timedelta(days=1),
    "committee_date": lambda c: c.next_on,
    "opinion_on": lambda c: c.on,
    "brief_sent_on": lambda c: c.on - timedelta(days=6),
    "consultant": lambda c: c.consultant,
    "consultant_answer_on": lambda c: c.on - timedelta(days=2),
    "mission_budget": lambda c: c.rng.choice((2400, 3200, 4000)),
    "parallel_missions": lambda c: c.demo.extra.get("parallel_missions"),
    "consultant_days": lambda c: c.rng.choice(("3.5", "4", "4.5")),
    "missions": lambda c: _text(c, "missions"),
    "reports": lambda c: _text(c, "reports"),
    "country": lambda c: "be" if _belgian(c) else "fr",
    "siret": lambda c: None if _belgian(c) else _siret(c.rng),
    "bce": lambda c: _bce(c.rng) if _belgian(c) else None,
    "founded_on": lambda c: c.on - timedelta(days=5),
    "jobs_created": lambda c: c.rng.randint(0, 3),
    "jobs_kept": lambda c: max(c.demo.jobs, 1),
    "financial_health": lambda c: c.rng.choice(("fragile", "stable", "sound")),
    "beneficiary_role": lambda c: "founder" if c.demo.phase == "emergence" else "salaried_director",
    "network": lambda c: (
        "Pôle territorial de coopération Lyon Sud" if not _belgian(c) else "Netwerk sociale economie"
    ),
    "requested_resource_person": lambda c: c.resource,
    "topics": lambda c: list(c.topics),
    "resource_person": lambda c: c.resource,
    "resource_employer": lambda c: c.employer,
    "framed_questions": lambda _: "Comment organiser la gouvernance ?;Quels outils RH ?;Comment recruter ?",
    "accepted_on": lambda c: c.on - timedelta(days=1),
    "declined_by": lambda c: c.resource,
    "transfer_days": lambda c: [c.on - timedelta(days=6), c.on - timedelta(days=1)],
    "half_days": lambda _: 4,
    "agenda": lambda c: _text(c, "agenda"),
    "beneficiary_review": lambda c: _text(c, "review"),
    "resource_review": lambda c: _text(c, "review"),
    "days_spent": lambda _: "2",
    "payment_claim": lambda _: "900",
    "pilot_since": lambda c: c.on - timedelta(days=3 * 365),
    "kit": lambda c: _text(c, "kit"),
    "variant": lambda _: "centralised_duplication",
    "trigger": lambda _: "project_driven",
    "charter": lambda _: "Charte du réseau (1991), 14 critères de labellisation",
    "territories_scanned": lambda _: "Seine-Saint-Denis;Val-de-Marne;Moselle;Namur",
    "territories_go": lambda _: "Seine-Saint-Denis",
    "carriers": lambda c: c.demo.extra.get("carriers", "Structure locale"),
    "carriers_created": lambda c: c.demo.extra.get("carriers", "Structure locale"),
    "label_name": lambda _: "Label du réseau",
    "decided_on": lambda c: c.on,
    "planned_days": lambda c: c.rng.choice(("3", "4", "5")),
    "window_start": lambda c: c.on + timedelta(days=3),
    "window_end": lambda c: c.on + timedelta(days=45),
    "days_delivered": lambda _: "4",
    "report": lambda c: _text(c, "reports"),
}


def _value(name: str, spec: FieldSpec, ctx: _Context) -> Any:
    value = FIELD_VALUES[name](ctx) if name in FIELD_VALUES else _text(ctx, "text")
    if spec.type is FieldType.CHOICE and spec.choices and not spec.multiple and value not in spec.choices:
        return "other" if "other" in spec.choices else next(iter(spec.choices))
    return value


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

    def at(self, when: datetime) -> App:
        """The application with its clock at `when` (queued work then happens at that time too)."""
        shifted = replace(self.app, clock=Clock(when))
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
    spec = app.catalog.get(row["pathway_id"], row["pathway_version"])
    stage = spec.stage(row["stage"])
    resource, _, employer, topics = _resource_for(world, demo.org, on.year)
    ctx = _Context(
        demo=demo,
        lang="nl" if demo.org == "vlg" else "fr",
        on=on.date(),
        next_on=next_on.date(),
        officer=row["officer_id"],
        consultant=world.consultants[demo.org],
        resource=resource,
        topics=topics,
        employer=employer,
        rng=world.rng,
    )
    values = {
        name: _value(name, field, ctx)
        for name, field in stage.fields_for(outcome).items()
        if field.required or field.required_if or name in FIELD_VALUES
    }
    with write(app, actor_id=row["officer_id"], at=on) as tx:
        cases.decide(
            tx,
            app.catalog,
            case=ref,
            outcome=outcome,
            values={k: v for k, v in values.items() if v is not None},
            note="demo",
        )
    if spec.id == "peer_transfer" and outcome == "validated":
        world.transfers[(int(row["data"]["matching"]["resource_person"]), on.year)] += 1
    work.run_pending(app, case_id=row["id"])


def _children(world: _World, case_id: int, known: set[int]) -> list[str]:
    with world.app.store.read() as conn:
        rows = conn.execute(
            select(lookup.CASE.c.id, lookup.CASE.c.ref)
            .where(lookup.CASE.c.parent_id == case_id)
            .order_by(lookup.CASE.c.id)
        ).all()
    return [ref for child_id, ref in rows if child_id not in known]


def _play(world: _World, demo: Demo, project: int, officer: int) -> None:
    """Open the demo's case and replay its outcomes, then those of the cases it opened, in order."""
    steps = len(demo.path) + sum(len(p) for p in demo.children)
    idle = OVERDUE_IDLE if demo.overdue else world.rng.randint(1, 5)
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
    work.run_pending(app, case_id=opened["id"])
    world.cases += 1
    queue: list[tuple[str, int, tuple[str, ...]]] = [(opened["ref"], opened["id"], demo.path)]
    pending = list(demo.children)
    seen = {opened["id"]}
    n = 0  # decisions made: the index of the next slot
    while queue:
        ref, case_id, path = queue.pop(0)
        for outcome in path:
            on = slots[n]
            next_on = slots[n + 1] if n + 1 < len(slots) else on + timedelta(days=20)
            _decide(world, ref, outcome, on, demo, next_on)
            n += 1
            for child in _children(world, case_id, seen):
                with world.app.store.read() as conn:
                    child_id = lookup.find_case(conn, child)["id"]
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
                existing = tx.conn.execute(
                    select(directory.PERSON.c.id).where(directory.PERSON.c.email == with_email)
                ).scalar()
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
        project = directory.add_project(
            tx,
            name=demo.name,
            org=world.orgs[demo.org],
            owner=owner.id,
            siret=_siret(world.rng) if registered and not belgian else None,
            bce=_bce(world.rng) if registered and belgian else None,
            territory=demo.territory,
            phase=demo.phase,
            legal_form=demo.legal_form,
            permanent_jobs=demo.jobs,
            fixed_term_jobs=world.rng.randint(0, 2) if demo.jobs else 0,
            rna=_rna(demo.territory, world.rng) if demo.legal_form == "association" and registered else None,
            sector=demo.sector,
            ess_status=None if not registered else _ess_status(demo),
        )
    world.projects += 1
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
        existing = conn.execute(select(func.count()).select_from(Project.__table__)).scalar_one()  # type: ignore[attr-defined]
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
    work.run_pending(app)
    with app.store.read() as conn:
        projects = conn.execute(select(func.count()).select_from(Project.__table__)).scalar_one()  # type: ignore[attr-defined]
    return {"created": True, "projects": projects, "cases": world.cases}


def summary(app: App) -> Mapping[str, Any]:
    """How the demo's cases spread over pathways and stages (for checks and the `run` banner)."""
    with app.store.read() as conn:
        rows = conn.execute(
            select(
                lookup.CASE.c.pathway_id, lookup.CASE.c.stage, lookup.CASE.c.result, func.count()
            ).group_by(lookup.CASE.c.pathway_id, lookup.CASE.c.stage, lookup.CASE.c.result)
        ).all()
    return {f"{p}:{s or 'closed:' + str(r)}": n for p, s, r, n in rows}
