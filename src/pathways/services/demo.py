"""Demo data: fictitious but realistic French and Belgian organisations, people, projects and cases.

Deterministic (a seeded generator), built only through the public services, and
walked through the pathways with back-dated decisions so every stage, some
overdue work, hand-offs and a swarming parent with children are present.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from pathways.domain import identifiers
from pathways.domain.spec import FieldSpec, FieldType, PathwaySpec, Phase
from pathways.errors import PathwaysError
from pathways.services import cases, directory, work
from pathways.services.tx import write
from pathways.store.tables import Project

if TYPE_CHECKING:
    from pathways.bootstrap import App

ORGS = (
    ("DLA de Paris", "FR-75", "fr"),
    ("Incubateur ESS Grand Est", "FR-67", "fr"),
    ("Pôle territorial de coopération Lyon Sud", "FR-69", "fr"),
    ("Agence bruxelloise d'économie sociale", "BE-BRU", "fr"),
    ("Sociale Economie Vlaanderen Netwerk", "BE-VLG", "nl"),
    ("Réseau wallon d'essaimage", "BE-WAL", "fr"),
)
FIRST = (
    "Camille",
    "Léa",
    "Hugo",
    "Inès",
    "Jules",
    "Sofia",
    "Noah",
    "Emma",
    "Lars",
    "Fien",
    "Bram",
    "Elise",
    "Yasmine",
    "Karim",
    "Marie",
    "Pieter",
    "Anouk",
    "Tom",
)
LAST = (
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Peeters",
    "Janssens",
    "Maes",
    "Claes",
    "Moreau",
    "Girard",
    "Vermeulen",
    "Dupont",
    "Willems",
    "Lambert",
    "Nguyen",
    "Benali",
)
PROJECT_NAMES = (
    "Recyclerie du Canal",
    "Épicerie solidaire Les Tilleuls",
    "Garage solidaire de la Plaine",
    "Tiers-lieu La Fabrique",
    "Coopérative funéraire Bretonne",
    "Ressourcerie Emmaüs Est",
    "Cantine partagée Le Bol",
    "Atelier vélo Roue Libre",
    "SCIC Énergies Citoyennes",
    "Crèche parentale Les Lucioles",
    "Conciergerie de quartier",
    "Jardin de Cocagne du Val",
    "Régie de quartier Belleville",
    "GEIQ BTP Alsace",
    "Librairie coopérative L'Établi",
    "Brasserie coopérative du Nord",
    "Repair Café Molenbeek",
    "Buurtwinkel De Linde",
    "Kringwinkel Zuid",
    "Coöperatie Zonnewind",
    "Donkey Rides Wallonie",
    "Potager urbain Schaerbeek",
    "Les Petites Cantines Lille",
    "Mobilité douce Namur",
    "Fablab solidaire Liège",
    "Voedselteam Gent",
    "Café suspendu Anvers",
    "Habitat groupé La Ruche",
    "Laverie solidaire Saint-Denis",
    "Couveuse Artisans d'Alsace",
    "Ferme d'insertion Les Prés",
    "Imprimerie Coop'Encre",
)
LEGAL_FORMS_FR = ("association", "scic", "scop", "siae", "entreprise_adaptee", "esus")
LEGAL_FORMS_BE = ("asbl", "vzw", "sc", "cv")
CARRIERS = ("Régie de quartier Nord", "Régie de quartier Sud", "Régie de quartier Est")


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


def sample_value(spec: FieldSpec, *, on: date, person: str, rng: random.Random) -> Any:
    """A plausible valid value for a field (used to walk demo cases through their stages)."""
    kind = spec.items if spec.type is FieldType.LIST else spec.type
    single: Any
    match kind:
        case FieldType.INTEGER:
            single = int(spec.min) if spec.min is not None else rng.randint(1, 12)
        case FieldType.DECIMAL | FieldType.MONEY:
            single = str(spec.min if spec.min is not None else rng.randint(500, 20000))
        case FieldType.DATE:
            single = on.isoformat()
        case FieldType.CHOICE:
            assert spec.choices is not None
            single = next(iter(spec.choices))
        case FieldType.BOOLEAN:
            single = "yes"
        case FieldType.SIREN:
            single = _siret(rng)[:9]
        case FieldType.SIRET:
            single = _siret(rng)
        case FieldType.BCE:
            single = _bce(rng)
        case FieldType.PERSON:
            single = person
        case _:
            single = rng.choice(("Entretien avec le bureau", "Gesprek met de raad", "Meeting with the board"))
    if spec.type is FieldType.LIST:
        return ";".join(CARRIERS[:2]) if kind is FieldType.TEXT else f"{single}"
    return single


def _walk(
    app: App, ref: str, spec: PathwaySpec, steps: int, start: datetime, officer: str, rng: random.Random
) -> int:
    """Decide `steps` times along the first forward outcome of each stage; returns decisions made."""
    made = 0
    at = start
    for _ in range(steps):
        with app.store.read() as conn:
            row = cases.find_case(conn, ref)
        if row["status"] != "open":
            break
        stage = spec.stage(row["stage"])
        outcome = next((k for k, o in stage.outcomes.items() if o.next and o.next != stage.id), None)
        outcome = outcome or next((k for k, o in stage.outcomes.items() if o.end), next(iter(stage.outcomes)))
        at += timedelta(days=rng.randint(5, 20))
        values = {
            name: sample_value(f, on=at.date(), person=officer, rng=rng)
            for name, f in stage.fields_for(outcome).items()
            if f.required or rng.random() < 0.5
        }
        try:
            with write(app, actor_id=row["officer_id"], at=at) as tx:
                cases.decide(tx, app.catalog, case=ref, outcome=outcome, values=values, note="demo")
        except PathwaysError:
            break  # a programme rule holds the demo case here, as it would a real one
        made += 1
    return made


def load(app: App) -> dict[str, Any]:
    """Add the demo data once; a database that already has projects is left alone."""
    with app.store.read() as conn:
        existing = conn.execute(select(func.count()).select_from(Project.__table__)).scalar_one()  # type: ignore[attr-defined]
    if existing:
        return {"created": False, "projects": existing, "cases": 0}
    rng = random.Random(2026)  # noqa: S311  demo data, not security
    now = app.clock.now()
    base = now - timedelta(days=200)
    officers: list[tuple[str, str]] = []  # (org slug, officer handle)
    with write(app, at=base) as tx:
        for name, territory, lang in ORGS:
            org = directory.add_org(tx, name=name, territory=territory, language=lang)
            for role in ("manager", "officer", "officer"):
                person_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                person = directory.add_person(
                    tx,
                    name=person_name,
                    org=org.id,
                    role=role,
                    email=f"{directory.slugify(person_name)}@example.org",
                    language=lang,
                    channels=[f"mailto://{directory.slugify(person_name)}@example.org"],
                )
                if role == "officer":
                    officers.append((org.handle, person.handle))
            directory.add_person(
                tx,
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                org=org.id,
                role="resource",
                email=None,
                language=lang,
                channels=[],
                topics=rng.sample(["finance", "governance", "hr", "marketing", "legal"], 2),
            )
    projects = 0
    opened = 0
    pathways = list(app.catalog.latest())
    for i in range(60):
        org_slug, officer = officers[i % len(officers)]
        spec = pathways[i % len(pathways)]
        belgian = ORGS[(i % len(officers)) // 2][1].startswith("BE")
        lang = rng.choice(("fr", "nl", "en")) if belgian else rng.choice(("fr", "fr", "fr", "en"))
        phase = spec.lifecycle.requires[0] if spec.lifecycle.requires else Phase.IDEA
        at = base + timedelta(days=i * 2)
        with write(app, at=at) as tx:
            owner = directory.add_person(
                tx,
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                org=org_slug,
                role="owner",
                email=f"owner{i}@example.org",
                language=lang,
                channels=[f"mailto://owner{i}@example.org"],
            )
            project = directory.add_project(
                tx,
                name=f"{PROJECT_NAMES[i % len(PROJECT_NAMES)]}"
                + (f" {i // len(PROJECT_NAMES) + 1}" if i >= len(PROJECT_NAMES) else ""),
                org=org_slug,
                owner=owner.id,
                siret=None if belgian else _siret(rng),
                bce=_bce(rng) if belgian else None,
                territory=None,
                phase=phase.value,
                legal_form=rng.choice(LEGAL_FORMS_BE if belgian else LEGAL_FORMS_FR),
                permanent_jobs=rng.randint(1, 25),
            )
            projects += 1
            try:
                case = cases.open_case(tx, app.catalog, project=project.id, pathway=spec.id, officer=officer)
            except PathwaysError:
                continue
            opened += 1
        _walk(app, case["ref"], spec, steps=i % (len(spec.stages) + 1), start=at, officer=officer, rng=rng)
    work.run_pending(app)
    return {"created": True, "projects": projects, "cases": opened}
