"""Funders' reports on a small history (tests/funders_fixture.py), on SQLite and PostgreSQL.

Every expected figure was worked out by hand from the fixture's docstring; the arithmetic is
in the comments, never done by the code under test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from funders_fixture import Funders, build
from pathways.bootstrap import App
from pathways.errors import FieldError
from pathways.services.reporting.funders import FunderLine, FunderQuery, funder_report


@pytest.fixture
def funders(app: App) -> Funders:
    return build(app)


def report(app: App, kind: str, year: int, *orgs: int) -> list[FunderLine]:
    with app.store.read() as conn:
        return list(funder_report(conn, FunderQuery(kind=kind, year=year, orgs=frozenset(orgs))).lines)


def D(text: str) -> Decimal:
    return Decimal(text)


def test_dla_2026_of_one_organisation(app: App, funders: Funders) -> None:
    assert report(app, "dla", 2026, funders.alpha) == [
        # P1 (intake, missions done), P2 (brief, missions, follow-up), P3 (consulting mission)
        FunderLine("structures", "", 3),
        FunderLine("structures_by_legal_form", "association", 2),  # P2, P3
        FunderLine("structures_by_legal_form", "scic", 1),  # P1
        FunderLine("structures_by_sector", "", 1),  # P3 has no sector at all
        FunderLine("structures_by_sector", "47.11B", 1),  # P2: its intake recorded none, the directory's
        FunderLine("structures_by_sector", "environment", 1),  # P1: recorded at its 2026 intake
        FunderLine("jobs_at_intake", "", 5),  # P1's intake; P2's was in 2025
        FunderLine("jobs_kept", "", 6),  # P2's follow-up
        FunderLine("jobs_created", "", 2),  # P2's follow-up
        # P1 (3 days, 2026-01-20) + P2 (4.5 days, 2026-04-01)
        FunderLine("missions", "ongoing_support", 2, days=D("7.50")),
        FunderLine("missions", "consulting_mission", 1, days=D("2.50")),  # P3
        # the same three missions by theme: P1 (3 days) and P3 (2.5, theme of its planning)
        FunderLine("missions_by_theme", "governance", 2, days=D("5.50")),
        FunderLine("missions_by_theme", "", 1, days=D("4.50")),  # P2 recorded no theme
        # P2's 8 500 (2026-02-03); P1's 4 000 was chosen in 2025
        FunderLine("mission_budgets", "", 1, amount=D("8500.00")),
    ]


def test_dla_2025_counts_what_took_effect_in_2025(app: App, funders: Funders) -> None:
    assert report(app, "dla", 2025, funders.alpha) == [
        # P1 (consultant chosen 2025-12-15), P2 (intake 2025-11-10)
        FunderLine("structures", "", 2),
        FunderLine("structures_by_legal_form", "association", 1),  # P2
        FunderLine("structures_by_legal_form", "scic", 1),  # P1
        FunderLine("structures_by_sector", "38.32Z", 1),  # P1's sector was recorded in 2026 only
        FunderLine("structures_by_sector", "47.11B", 1),
        FunderLine("jobs_at_intake", "", 7),  # P2's intake
        FunderLine("jobs_kept", "", 0),
        FunderLine("jobs_created", "", 0),
        FunderLine("missions", "ongoing_support", 0, days=D("0.00")),
        FunderLine("missions", "consulting_mission", 0, days=D("0.00")),
        # no mission ended in 2025: no line by theme
        FunderLine("mission_budgets", "", 1, amount=D("4000.00")),  # P1's
    ]


def test_dla_of_both_organisations_adds_the_other_one(app: App, funders: Funders) -> None:
    lines = report(app, "dla", 2026, funders.alpha, funders.beta)
    assert lines[0] == FunderLine("structures", "", 4)  # P1 P2 P3 + PB
    assert FunderLine("structures_by_legal_form", "association", 3) in lines  # P2 P3 PB
    assert FunderLine("structures_by_sector", "environment", 2) in lines  # P1 PB, recorded at intake
    assert not [line for line in lines if line.detail == "38.32Z"]  # their directory code gives way
    assert FunderLine("jobs_at_intake", "", 16) in lines  # 5 + PB's 11
    assert FunderLine("mission_budgets", "", 2, amount=D("108499.00")) in lines  # 8 500 + 99 999


def test_dla_of_the_other_organisation_alone(app: App, funders: Funders) -> None:
    lines = report(app, "dla", 2026, funders.beta)
    assert lines[0] == FunderLine("structures", "", 1)  # PB
    assert FunderLine("jobs_at_intake", "", 11) in lines
    assert FunderLine("mission_budgets", "", 1, amount=D("99999.00")) in lines


def test_tsf_2026_per_resource_person(app: App, funders: Funders) -> None:
    assert report(app, "tsf", 2026, funders.alpha) == [
        # T1 + T2: 2 + 1.5 days, 900 + 675 claimed
        FunderLine("transfers", "Rosa Ressource", 2, days=D("3.50"), amount=D("1575.00")),
        # T3 only: T4 was closed in 2025
        FunderLine("transfers", "Yann Ressource", 1, days=D("3.00"), amount=D("1350.00")),
        # 3 transfers, 3.5 + 3 days, 1 575 + 1 350; Zoé's (organisation B) is not counted
        FunderLine("transfers_total", "", 3, days=D("6.50"), amount=D("2925.00")),
    ]
    assert report(app, "tsf", 2025, funders.alpha) == [
        FunderLine("transfers", "Yann Ressource", 1, days=D("1.00"), amount=D("450.00")),  # T4
        FunderLine("transfers_total", "", 1, days=D("1.00"), amount=D("450.00")),
    ]


def test_an_empty_year_gives_zeros_and_no_person(app: App, funders: Funders) -> None:
    assert report(app, "tsf", 2024, funders.alpha) == [
        FunderLine("transfers_total", "", 0, days=D("0.00"), amount=D("0.00"))
    ]
    assert report(app, "dla", 2024, funders.alpha)[0] == FunderLine("structures", "", 0)


@pytest.mark.parametrize(("kind", "year", "field"), [("dlx", 2026, "kind"), ("dla", 1999, "year")])
def test_a_wrong_kind_or_year_names_the_field(kind: str, year: int, field: str) -> None:
    with pytest.raises(FieldError) as raised:
        FunderQuery(kind=kind, year=year, orgs=frozenset({1}))
    assert raised.value.field == field


def test_incubator_2026_cohort_outcomes(app: App, funders: Funders) -> None:
    assert report(app, "incubator", 2026, funders.alpha) == [
        # Promo 2025: I4 joined in 2025 (not counted), launched 2026-02-01 with 1 job
        FunderLine("cohort_joined", "Promo 2025", 0),
        FunderLine("founded", "Promo 2025", 1),
        FunderLine("first_revenue", "Promo 2025", 1),
        FunderLine("jobs_created", "Promo 2025", 1),
        FunderLine("stopped", "Promo 2025", 0),
        # Promo 2026: I1, I2 (jury) and I3 (from pre-incubation) joined; I1 launched with 2 jobs;
        # I2 abandoned; I5 (refused, no cohort) and IB (organisation B) are not counted
        FunderLine("cohort_joined", "Promo 2026", 3),
        FunderLine("founded", "Promo 2026", 1),
        FunderLine("first_revenue", "Promo 2026", 1),
        FunderLine("jobs_created", "Promo 2026", 2),
        FunderLine("stopped", "Promo 2026", 1),
    ]
    # 2025: only I4 joined Promo 2025
    assert report(app, "incubator", 2025, funders.alpha) == [
        FunderLine("cohort_joined", "Promo 2025", 1),
        FunderLine("founded", "Promo 2025", 0),
        FunderLine("first_revenue", "Promo 2025", 0),
        FunderLine("jobs_created", "Promo 2025", 0),
        FunderLine("stopped", "Promo 2025", 0),
    ]


def test_aces_2026_activity_report(app: App, funders: Funders) -> None:
    assert report(app, "aces", 2026, funders.alpha) == [
        # stays overlapping 2026: A2 (left 2026-02-01) and A3 (open); A1 left orientation in 2025.
        # Hours decided in 2026: A2's 2 (A1's 3 were recorded in 2025)
        FunderLine("aces_projects", "orientation", 2, hours=D("2.00")),
        FunderLine("aces_projects", "creation_support", 1, hours=D("10.00")),  # A1: 2025-11-10 to 2026-03-15
        FunderLine("aces_projects", "consultancy", 1, hours=D("6.00")),  # A2
        FunderLine("aces_projects", "follow_up", 1, hours=D("4.00")),  # A1
        # A1, A2, A3 (A4 ended in 2025; AB is organisation B's); 2 + 10 + 6 + 4 hours
        FunderLine("aces_projects_total", "", 3, hours=D("22.00")),
        FunderLine("aces_founded", "", 1),  # A1
        FunderLine("jobs_created", "", 2),  # A1 at its founding
        FunderLine("jobs_at_follow_up", "", 3),  # A1's follow-up
    ]
