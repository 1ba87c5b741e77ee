"""A small history for the funders' reports (tests/integration/test_funder_reports.py).

Two organisations: "DLA Alpha" (A) and "Réseau Beta" (B). Every case is walked through the
services, each decision dated; the year a value counts in is the year of its decision.

DLA (organisation A)
    P1 Recyclerie (SCIC, sector 38.32Z): diagnosis intake "relevant" on 2026-03-02, 5 salaried
       jobs, sector of activity "environment"; ongoing support: consultant chosen 2025-12-15 with
       a budget of 4 000, missions done 2026-01-20 with 3 consultant-days, theme "governance".
    P2 Épicerie (association, 47.11B): diagnosis intake "relevant" on 2025-11-10, 7 salaried
       jobs, no sector of activity recorded; ongoing support: consultant chosen 2026-02-03 with a
       budget of 8 500, missions done 2026-04-01 with 4.5 consultant-days, no theme recorded,
       follow-up closed 2026-06-01: 2 jobs created, 6 kept.
    P3 Garage (association, no sector): consulting mission planned 2026-03-10 with the theme
       "governance", done 2026-05-20 with 2.5 consultant-days.
DLA (organisation B)
    PB Repair café (association, 38.32Z): intake "relevant" 2026-03-03 with 11 salaried jobs,
       sector of activity "environment"; consultant chosen 2026-03-05 with a budget of 99 999.

TSF (organisation A; resource people Rosa and Yann)
    T1 Rosa, closed 2026-04-10: 2 days, 900 claimed       T2 Rosa, closed 2026-09-10: 1.5 days, 675
    T3 Yann, closed 2026-05-15: 3 days, 1 350             T4 Yann, closed 2025-10-01: 1 day, 450
TSF (organisation B; resource person Zoé)
    TB Zoé, closed 2026-06-01: 3 days, 3 000

Incubation (organisation A; jury accepts or pre-incubation joins a cohort; launched = founded)
    I1 accepted 2026-01-15 into "Promo 2026", launched 2026-09-20 with 2 jobs
    I2 accepted 2026-01-15 into "Promo 2026", abandoned 2026-05-10
    I3 pre-incubation 2025-11-20, joins "promo 2026" (so written) on 2026-02-10, still incubating
    I4 accepted 2025-03-01 into "Promo 2025", launched 2026-02-01 with 1 job
    I5 refused by the jury on 2026-01-15 (never in a cohort)
    IB (organisation B) accepted 2026-01-15 into "Promo 2026", launched 2026-06-01 with 5 jobs

ACES (organisation A; hours are recorded when a stage is left)
    A1 orientation 2025-11-03 -> creation 2025-11-10 (3 h) -> founded 2026-03-15 (10 h, 2 jobs)
       -> follow-up closed 2026-11-20 (4 h, 3 jobs)
    A2 orientation 2026-01-25 -> consultancy 2026-02-01 (2 h) -> delivered 2026-02-20 (6 h)
    A3 orientation since 2026-06-01 (open)
    A4 orientation 2025-05-01 -> referred 2025-05-05 (1 h)
    AB (organisation B) orientation 2026-01-25 -> creation 2026-02-01 (99 h)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

from builders import decide, distinct_siret, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.services.people import directory
from pathways.services.tx import write

_serial = count(1)


def at(day: str) -> datetime:
    """10:00 UTC on an ISO day."""
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


@dataclass(frozen=True)
class Funders:
    """Ids of what :func:`build` made."""

    alpha: int
    beta: int
    manager: int  # manager of A
    officer: int  # officer of A
    beta_manager: int


def _intake(app: App, project: int, officer: int, day: str, jobs: int, form: str, sector: str = "") -> None:
    case = open_case(app, project, officer, "diagnosis", at=at(day))
    values = {"met_on": day, "legal_form": form, "salaried_jobs": str(jobs), "request": "Consolider"}
    if sector:
        values["activity_sector"] = sector
    decide(app, case.ref, "relevant", values, by=officer, at=at(day))


def _support(app: App, project: int, officer: int, consultant: int, steps: dict[str, Any]) -> None:
    opened = steps["chosen"][0]
    ref = open_case(app, project, officer, "ongoing_support", at=at(opened)).ref
    day, budget = steps["chosen"]
    chosen = {"brief_sent_on": day, "consultant": str(consultant), "mission_budget": budget}
    decide(app, ref, "consultant_chosen", chosen, by=officer, at=at(day))
    if "done" in steps:
        day, days = steps["done"]
        done = {"missions": "Étude de marché", "consultant_days": days, "reports": "Rapport"}
        if "theme" in steps:
            done["mission_theme"] = steps["theme"]
        decide(app, ref, "done", done, by=officer, at=at(day))
    if "closed" in steps:
        day, created, kept = steps["closed"]
        follow = {"jobs_created": created, "jobs_kept": kept, "financial_health": "stable"}
        decide(app, ref, "closed", follow, by=officer, at=at(day))


def _transfer(app: App, org: int, officer: int, resource: int, closed: str, days: str, claim: str) -> None:
    project = make_project(app, org)
    year = closed[:4]
    ref = open_case(app, project, officer, "peer_transfer", at=at(f"{year}-01-05")).ref
    request = {
        "beneficiary_role": "salaried_director",
        "network": "Réseau",
        "requested_resource_person": str(resource),
        "topics": "governance",
        "reason": "Gouvernance",
    }
    decide(app, ref, "eligible", request, by=officer, at=at(f"{year}-01-06"))
    accepted = {
        "resource_person": str(resource),
        "resource_employer": "Régie",
        "framed_questions": "Une ?;Deux ?;Trois ?",
        "accepted_on": f"{year}-01-07",
    }
    decide(app, ref, "accepted", accepted, by=officer, at=at(f"{year}-01-07"))
    validated = {"validated_on": f"{year}-01-08", "outside_usual_business": "yes"}
    decide(app, ref, "validated", validated, by=officer, at=at(f"{year}-01-08"))
    transfer = {"transfer_days": f"{year}-02-02", "half_days": "2", "agenda": "Gouvernance"}
    decide(app, ref, "done", transfer, by=officer, at=at(f"{year}-02-03"))
    review = {
        "beneficiary_review": "Utile",
        "resource_review": "Fait",
        "days_spent": days,
        "payment_claim": claim,
    }
    decide(app, ref, "closed", review, by=officer, at=at(closed))


def build(app: App) -> Funders:
    """The history of the module docstring."""
    alpha = make_org(app, name="DLA Alpha")
    beta = make_org(app, name="Réseau Beta", territory="BE-BRU")
    officer = make_person(app, alpha, name="Alice Officer", email="alice@example.org")
    manager = make_person(app, alpha, name="Maud Manager", role="manager", email="maud@example.org")
    b_officer = make_person(app, beta, name="Carla Officer")
    b_manager = make_person(app, beta, name="Bram Manager", role="manager", email="bram@example.org")
    consultant = make_person(app, alpha, name="Cyril Consultant", role="resource")
    rosa = make_person(app, alpha, name="Rosa Ressource", role="resource")
    yann = make_person(app, alpha, name="Yann Ressource", role="resource")
    zoe = make_person(app, beta, name="Zoé Ressource", role="resource")
    p1 = _project(app, alpha, "Recyclerie", "scic", "38.32Z")
    p2 = _project(app, alpha, "Épicerie", "association", "47.11B")
    p3 = _project(app, alpha, "Garage", "association", None)
    pb = _project(app, beta, "Repair café", "association", "38.32Z")

    _intake(app, p1, officer, "2026-03-02", 5, "scic", "environment")
    _support(
        app,
        p1,
        officer,
        consultant,
        {"chosen": ("2025-12-15", "4000"), "done": ("2026-01-20", "3"), "theme": "governance"},
    )
    _intake(app, p2, officer, "2025-11-10", 7, "association")
    _support(
        app,
        p2,
        officer,
        consultant,
        {"chosen": ("2026-02-03", "8500"), "done": ("2026-04-01", "4.5"), "closed": ("2026-06-01", "2", "6")},
    )
    mission = open_case(app, p3, officer, "consulting_mission", at=at("2026-03-09")).ref
    window = {
        "consultant": str(consultant),
        "planned_days": "3",
        "window_start": "2026-04-01",
        "window_end": "2026-06-30",
        "mission_theme": "governance",
    }
    decide(app, mission, "planned", window, by=officer, at=at("2026-03-10"))
    decide(app, mission, "done", {"days_delivered": "2.5", "report": "Fait"}, by=officer, at=at("2026-05-20"))
    _intake(app, pb, b_officer, "2026-03-03", 11, "association", "environment")
    _support(app, pb, b_officer, b_manager, {"chosen": ("2026-03-05", "99999")})

    _transfer(app, alpha, officer, rosa, "2026-04-10", "2", "900")
    _transfer(app, alpha, officer, rosa, "2026-09-10", "1.5", "675")
    _transfer(app, alpha, officer, yann, "2026-05-15", "3", "1350")
    _transfer(app, alpha, officer, yann, "2025-10-01", "1", "450")
    _transfer(app, beta, b_officer, zoe, "2026-06-01", "3", "3000")

    promo = {"cohort": "Promo 2026", "cohort_start": "2026-02-01", "cohort_end": "2026-10-31"}
    launched_i1 = _incubatee(app, alpha, officer, "2025-12-01", ("accepted", "2026-01-15", promo))
    decide(app, launched_i1, "launched", _launch("2026-09-20", "2"), by=officer, at=at("2026-09-20"))
    stopped = _incubatee(app, alpha, officer, "2025-12-01", ("accepted", "2026-01-15", promo))
    decide(app, stopped, "abandoned", {"reason": "Pas de local"}, by=officer, at=at("2026-05-10"))
    pre = {"pre_incubation_end": "2026-02-15", "to_work_on": "Modèle"}
    joining = _incubatee(app, alpha, officer, "2025-10-01", ("pre_incubation", "2025-11-20", pre))
    # typed differently, the same cohort (pathways.domain.incubation.cohort_key)
    decide(app, joining, "joins_cohort", promo | {"cohort": "promo 2026"}, by=officer, at=at("2026-02-10"))
    old = {"cohort": "Promo 2025", "cohort_start": "2025-03-15", "cohort_end": "2026-01-31"}
    launched_i4 = _incubatee(app, alpha, officer, "2025-01-10", ("accepted", "2025-03-01", old))
    decide(app, launched_i4, "launched", _launch("2026-02-01", "1"), by=officer, at=at("2026-02-01"))
    _incubatee(app, alpha, officer, "2025-12-01", ("refused", "2026-01-15", {"reason": "Trop tôt"}))
    other = _incubatee(app, beta, b_officer, "2025-12-01", ("accepted", "2026-01-15", promo))
    decide(app, other, "launched", _launch("2026-06-01", "5"), by=b_officer, at=at("2026-06-01"))

    a1 = _aces(app, alpha, officer, "2025-11-03", "creation", "2025-11-10", "3")
    founded = {
        "hours_spent": "10",
        "bce": _bce(),
        "legal_form": "sc_cv",
        "founded_on": "2026-03-10",
        "jobs_created": "2",
    }
    decide(app, a1, "founded", founded, by=officer, at=at("2026-03-15"))
    decide(app, a1, "closed", {"hours_spent": "4", "jobs": "3"}, by=officer, at=at("2026-11-20"))
    a2 = _aces(app, alpha, officer, "2026-01-25", "consultancy", "2026-02-01", "2")
    advice = {"topic": "governance", "hours_spent": "6", "advice": "Statuts revus"}
    decide(app, a2, "delivered", advice, by=officer, at=at("2026-02-20"))
    open_case(
        app,
        _project(app, alpha, "Agence A3", "asbl", None, phase="idea"),
        officer,
        "aces_support",
        at=at("2026-06-01"),
    )
    _aces(app, alpha, officer, "2025-05-01", "referred", "2025-05-05", "1")
    _aces(app, beta, b_officer, "2026-01-25", "creation", "2026-02-01", "99")
    return Funders(alpha=alpha, beta=beta, manager=manager, officer=officer, beta_manager=b_manager)


def _incubatee(app: App, org: int, officer: int, opened: str, jury: tuple[str, str, dict[str, str]]) -> str:
    project = _project(app, org, f"Incubé {next(_serial)}", "association", None, phase="idea")
    ref: str = open_case(app, project, officer, "incubation", at=at(opened)).ref
    decide(app, ref, "applies", {"application_due": opened}, by=officer, at=at(opened))
    submitted = {"application_received_on": opened, "jury_date": jury[1]}
    decide(app, ref, "submitted", submitted, by=officer, at=at(opened))
    outcome, day, values = jury
    decide(app, ref, outcome, values, by=officer, at=at(day))
    return ref


def _launch(day: str, jobs: str) -> dict[str, str]:
    return {
        "country": "fr",
        "siret": distinct_siret(),
        "founded_on": day,
        "first_revenue_on": day,
        "jobs_created": jobs,
    }


def _bce() -> str:
    base = 2_000_000 + next(_serial)  # 0 and seven digits, then 97 - (those eight digits mod 97)
    return f"0{base:07d}{97 - base % 97:02d}"


def _aces(app: App, org: int, officer: int, opened: str, outcome: str, day: str, hours: str) -> str:
    project = _project(app, org, f"Agence {next(_serial)}", "asbl", None, phase="idea")
    ref: str = open_case(app, project, officer, "aces_support", at=at(opened)).ref
    values = {"request": "Créer une coopérative", "hours_spent": hours}
    extra = {"creation": {"creation_kind": "new_enterprise"}, "referred": {"referred_to": "Autre agence"}}
    decide(app, ref, outcome, values | extra.get(outcome, {}), by=officer, at=at(day))
    return ref


def _project(app: App, org: int, name: str, form: str, sector: str | None, *, phase: str = "founded") -> int:
    with write(app) as tx:
        return directory.add_project(
            tx,
            name=name,
            org=org,
            owner=None,
            siret=distinct_siret() if phase == "founded" else None,
            bce=None,
            territory=None,
            phase=phase,
            legal_form=form,
            permanent_jobs=3,
            sector=sector,
        ).id
