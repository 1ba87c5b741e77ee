"""A fixed, hand-checkable history for the reports, timeline and export tests.

The ``ladder`` pathway (calendar days, one lifecycle phase per rung) is added to a
copy of the shipped configuration. :func:`build` walks eight projects of two
organisations through it at explicit instants ``D(n)`` (n days after 1 January
2026, 09:00 UTC); :data:`NOW` is ``D(78)``, 20 March 2026 (before the clocks change).

    project  org    added  phase at add  case (officer)  decisions
    P1       alpha  D0     idea          L1 (Alice)      feasible D10, rework D20, founded D30,
                                                         consolidated D60, scaled D75 (closed)
    P2       alpha  D5     idea          L2 (Alice)      feasible D9, founded D29 (open at growth)
    P3       alpha  D10    idea          L3 (Bob)        dropped D16 (closed)
    P4       alpha  D20    emergence     L4 (Bob)        feasible D22 (open at founding)
    P5       beta   D0     founded       L5 (Carla) D40  feasible D45, founded D50, consolidated D70
                                                         (open at scale)
    P6       alpha  D30    idea          L6 (Alice)      (open at feasibility)
    P7       alpha  D74    idea          L7 (Bob)        (open at feasibility)
    P8       alpha  D-40   idea          L8 (Alice)      dropped D-30 (closed, cohort 2025)

P1 to P4, P6 and P7 are in FR-75, P8 in FR-69, P5 in BE-BRU. Dan is an officer
of alpha with no case; Maud is alpha's manager.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from builders import VALID_SIRET, decide, make_org, open_case
from pathways.bootstrap import App, Clock
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.db import Store

CONFIG = Path(__file__).resolve().parents[1] / "config"
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
VALID_BCE = "1234567894"


def D(days: float) -> datetime:
    """`days` days after 1 January 2026, 09:00 UTC."""
    return T0 + timedelta(days=days)


NOW = D(78)

LADDER = """
id: ladder
version: 1
reference: LAD
title: {fr: Échelle, nl: Ladder, en: Ladder}
calendar: calendar_days
ends:
  abandoned: {fr: Abandon, nl: Stopgezet, en: Abandoned}
  scaled: {fr: Essaimé, nl: Opgeschaald, en: Scaled}
  completed: {fr: Terminé, nl: Afgerond, en: Completed}
stages:
  - id: feasibility
    title: {fr: Faisabilité, nl: Haalbaarheid, en: Feasibility}
    deadline: {days: 10}
    outcomes:
      feasible: {label: {fr: Faisable, nl: Haalbaar, en: Feasible}, next: founding, phase: emergence}
      dropped: {label: {fr: Abandon, nl: Stopgezet, en: Dropped}, end: abandoned}
  - id: founding
    title: {fr: Création, nl: Oprichting, en: Founding}
    deadline: {days: 20}
    escalate: [{after: {days: 1}, to: manager}]
    outcomes:
      founded:
        label: {fr: Créé, nl: Opgericht, en: Founded}
        next: growth
        phase: founded
        fields:
          founded_on: {type: date, label: {fr: Créé le, nl: Opgericht op, en: Founded on}}
      rework: {label: {fr: À reprendre, nl: Herwerken, en: Rework}, next: founding}
      dropped: {label: {fr: Abandon, nl: Stopgezet, en: Dropped}, end: abandoned}
  - id: growth
    title: {fr: Consolidation, nl: Consolidatie, en: Growth}
    deadline: {days: 30}
    outcomes:
      consolidated: {label: {fr: Consolidé, nl: Geconsolideerd, en: Consolidated}, next: scale,
                     phase: consolidation}
      dropped: {label: {fr: Abandon, nl: Stopgezet, en: Dropped}, end: abandoned}
  - id: scale
    title: {fr: Changement d'échelle, nl: Opschaling, en: Scaling}
    deadline: {days: 30}
    outcomes:
      scaled: {label: {fr: Essaimé, nl: Opgeschaald, en: Scaled}, end: scaled, phase: scaling}
      stopped: {label: {fr: Terminé, nl: Afgerond, en: Stopped}, end: completed}
"""

# Personal data of the fixture: none of it may appear in an export.
PEOPLE = {
    "alice": ("Alice Lambertini", "alice.lambertini@example.org"),
    "bob": ("Bob Vandersteen", "bob.vandersteen@example.org"),
    "carla": ("Carla Moreau-Dufresne", "carla.moreau@example.be"),
    "dan": ("Dan Okonkwo", "dan.okonkwo@example.org"),
    "maud": ("Maud Keraudren", "maud.keraudren@example.org"),
    "olivia": ("Olivia Proprietti", "olivia.proprietti@example.org"),
    "pieter": ("Pieter Zonnebloem", "pieter.zonnebloem@example.be"),
}
PHONES = ("+33612345678", "+32470123456")


@dataclass(frozen=True)
class Fixture:
    """Ids and references of what :func:`build` made."""

    alpha: int
    beta: int
    people: dict[str, int]
    projects: dict[str, int]
    cases: dict[str, str]  # L1..L8 -> reference


def ladder_app(store: Store, tmp_path: Path, now: datetime = NOW) -> App:
    """The application with the shipped configuration plus the ladder pathway, its clock at `now`."""
    root = tmp_path / "config"
    shutil.copytree(CONFIG / "pathways", root / "pathways")
    (root / "templates").symlink_to(CONFIG / "templates")
    (root / "territories.csv").symlink_to(CONFIG / "territories.csv")
    (root / "pathways" / "ladder.yaml").write_text(LADDER, encoding="utf-8")
    settings = load_settings(config_dir=root, environment="test")
    return App(settings=settings, store=store, clock=Clock(now))


def add_project(app: App, org: int, name: str, *, at: datetime, **values: Any) -> int:
    """A project added at `at` (its `project_added` audit event is dated then)."""
    fields: dict[str, Any] = {
        "owner": None,
        "siret": None,
        "bce": None,
        "territory": None,
        "phase": "idea",
        "legal_form": "association",
    }
    with write(app, at=at) as tx:
        return directory.add_project(tx, name=name, org=org, **(fields | values)).id


def build(app: App) -> Fixture:
    """The history of the module docstring."""
    alpha = make_org(app, name="DLA Alpha", territory="FR-75")
    beta = make_org(app, name="Réseau Beta", territory="BE-BRU")
    people = {}
    for key, org, role, phone in (
        ("alice", alpha, "officer", None),
        ("bob", alpha, "officer", None),
        ("dan", alpha, "officer", None),
        ("maud", alpha, "manager", None),
        ("carla", beta, "officer", None),
        ("olivia", alpha, "owner", PHONES[0]),
        ("pieter", beta, "owner", PHONES[1]),
    ):
        name, email = PEOPLE[key]
        with write(app) as tx:
            people[key] = directory.add_person(
                tx,
                name=name,
                org=org,
                role=role,
                email=email,
                phone=phone,
                language="fr",
                channels=[f"mailto://{email}"],
            ).id
    alice, bob, carla = people["alice"], people["bob"], people["carla"]
    projects = {
        "P1": add_project(
            app,
            alpha,
            "Recyclerie du Canal",
            at=D(0),
            owner=people["olivia"],
            siret=VALID_SIRET,
            legal_form="scic",
            sector="38.32Z",
        ),
        "P2": add_project(app, alpha, "Épicerie solidaire Les Tilleuls", at=D(5), sector="47.11B"),
        "P3": add_project(app, alpha, "Garage solidaire de la Plaine", at=D(10)),
        "P4": add_project(app, alpha, "Tiers-lieu La Fabrique", at=D(20), phase="emergence"),
        "P5": add_project(
            app,
            beta,
            "Repair Café Molenbeek",
            at=D(0),
            owner=people["pieter"],
            bce=VALID_BCE,
            phase="founded",
            legal_form="asbl",
            sector="95.29",
        ),
        "P6": add_project(app, alpha, "Atelier vélo Roue Libre", at=D(30)),
        "P7": add_project(app, alpha, "Cantine partagée Le Bol", at=D(74)),
        "P8": add_project(app, alpha, "Conciergerie de quartier", at=D(-40), territory="FR-69"),
    }
    opened = {
        "L1": (projects["P1"], alice, D(0)),
        "L2": (projects["P2"], alice, D(5)),
        "L3": (projects["P3"], bob, D(10)),
        "L4": (projects["P4"], bob, D(20)),
        "L5": (projects["P5"], carla, D(40)),
        "L6": (projects["P6"], alice, D(30)),
        "L7": (projects["P7"], bob, D(74)),
        "L8": (projects["P8"], alice, D(-40)),
    }
    refs = {
        key: open_case(app, project, officer, "ladder", at=at).ref
        for key, (project, officer, at) in opened.items()
    }
    decisions: list[tuple[str, str, float, dict[str, str]]] = [
        ("L8", "dropped", -30, {}),
        ("L1", "feasible", 10, {}),
        ("L1", "rework", 20, {}),
        ("L1", "founded", 30, {"founded_on": "2026-01-28"}),
        ("L1", "consolidated", 60, {}),
        ("L1", "scaled", 75, {}),
        ("L2", "feasible", 9, {}),
        ("L2", "founded", 29, {}),
        ("L3", "dropped", 16, {}),
        ("L4", "feasible", 22, {}),
        ("L5", "feasible", 45, {}),
        ("L5", "founded", 50, {}),
        ("L5", "consolidated", 70, {}),
    ]
    for key, outcome, day, values in decisions:
        decide(app, refs[key], outcome, values, by=opened[key][1], at=D(day))
    return Fixture(alpha=alpha, beta=beta, people=people, projects=projects, cases=refs)
