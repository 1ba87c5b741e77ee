"""Report figures on the ladder fixture (tests/ladder.py), on SQLite and PostgreSQL.

Every expected figure below was worked out by hand from the fixture's table; the
arithmetic is in the comments, never done by the code under test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import typer
from typer.testing import CliRunner

from ladder import NOW, D, Fixture, build, ladder_app
from pathways.bootstrap import App
from pathways.cli import report as report_cli
from pathways.drawing import charts
from pathways.errors import InvalidInput
from pathways.services.reporting import reports
from pathways.store.db import Store
from pathways.web.i18n import texts
from pdfs import printing_available

SECOND = 1 / 86400


@pytest.fixture
def app(store: Store, tmp_path: Path) -> App:
    return ladder_app(store, tmp_path)


@pytest.fixture
def fixture(app: App) -> Fixture:
    return build(app)


def funnel(app: App, **filters: object) -> list[tuple[object, ...]]:
    with app.store.read() as conn:
        rows = reports.funnel(conn, now=NOW, **filters)  # type: ignore[arg-type]
    return [
        (r.phase, r.reached, r.started_here, r.moved_on, r.conversion, r.median_days_to_next) for r in rows
    ]


def test_funnel_counts_conversions_and_median_days_between_phases(app: App, fixture: Fixture) -> None:
    assert funnel(app) == [
        # P1 P2 P3 P6 P7 P8 start at idea; P1 (10 days) and P2 (4 days) move on: median 7
        ("idea", 6, 6, 2, pytest.approx(2 / 6), 7.0),
        # P1 P2 arrive, P4 starts here; P1 (D10->D30) and P2 (D9->D29) move on after 20 days
        ("emergence", 3, 1, 2, pytest.approx(2 / 3), 20.0),
        # P1 P2 arrive, P5 starts here; P1 (D30->D60, 30 days) and P5 (D0->D70, 70 days) move on
        ("founded", 3, 1, 2, pytest.approx(2 / 3), 50.0),
        # P1 (D60->D75, 15 days) scales, P5 stays
        ("consolidation", 2, 0, 1, 0.5, 15.0),
        ("scaling", 1, 0, 0, None, None),
    ]


def test_funnel_of_one_organisation_leaves_the_other_out(app: App, fixture: Fixture) -> None:
    assert funnel(app, org="DLA Alpha") == [
        ("idea", 6, 6, 2, pytest.approx(1 / 3), 7.0),
        ("emergence", 3, 1, 2, pytest.approx(2 / 3), 20.0),
        ("founded", 2, 0, 1, 0.5, 30.0),  # P5 (beta) is gone: only P1 and P2
        ("consolidation", 1, 0, 1, 1.0, 15.0),
        ("scaling", 1, 0, 0, None, None),
    ]


def test_funnel_period_selects_the_cohort_added_in_it(app: App, fixture: Fixture) -> None:
    # Added in [D0, D10): P1 (D0), P5 (D0), P2 (D5); their progress is followed until now.
    assert funnel(app, start=D(0), end=D(10)) == [
        ("idea", 2, 2, 2, 1.0, 7.0),
        ("emergence", 2, 0, 2, 1.0, 20.0),
        ("founded", 3, 1, 2, pytest.approx(2 / 3), 50.0),
        ("consolidation", 2, 0, 1, 0.5, 15.0),
        ("scaling", 1, 0, 0, None, None),
    ]


def test_funnel_of_a_pathway_nobody_followed_is_empty(app: App, fixture: Fixture) -> None:
    assert [row[1] for row in funnel(app, pathway="swarming")] == [0, 0, 0, 0, 0]


def stages(app: App, **filters: object) -> list[tuple[object, ...]]:
    with app.store.read() as conn:
        rows = reports.stages(conn, now=NOW, **filters)  # type: ignore[arg-type]
    return [(r.pathway, r.stage, r.stays, r.mean_days, r.p50_days, r.p90_days) for r in rows]


def test_time_in_stage_p50_and_p90_per_pathway_and_stage(app: App, fixture: Fixture) -> None:
    assert stages(app) == [
        # stays [2, 4, 5, 6, 10, 10]: mean 37/6; p50 at rank 2.5 -> 5.5; p90 at rank 4.5 -> 10
        ("ladder", "feasibility", 6, pytest.approx(37 / 6), pytest.approx(5.5), pytest.approx(10.0)),
        # stays [5, 10, 10, 20] (L1's loop counts twice): p50 at 1.5 -> 10; p90 at 2.7 -> 10 + 0.7 * 10
        ("ladder", "founding", 4, pytest.approx(11.25), pytest.approx(10.0), pytest.approx(17.0)),
        # stays [20, 30]: p50 at 0.5 -> 25; p90 at 0.9 -> 20 + 0.9 * 10
        ("ladder", "growth", 2, pytest.approx(25.0), pytest.approx(25.0), pytest.approx(29.0)),
        ("ladder", "scale", 1, pytest.approx(15.0), pytest.approx(15.0), pytest.approx(15.0)),
    ]


def test_time_in_stage_counts_stays_that_ended_in_the_period(app: App, fixture: Fixture) -> None:
    # Left in [D20, D60): L4 feasible D22 (2), L5 feasible D45 (5); founding: L1 D20 and D30 (10, 10),
    # L2 D29 (20), L5 D50 (5). L1's growth stay ends at D60: outside.
    assert stages(app, start=D(20), end=D(60)) == [
        ("ladder", "feasibility", 2, pytest.approx(3.5), pytest.approx(3.5), pytest.approx(4.7)),
        ("ladder", "founding", 4, pytest.approx(11.25), pytest.approx(10.0), pytest.approx(17.0)),
    ]
    assert stages(app, org="Réseau Beta") == [
        ("ladder", "feasibility", 1, pytest.approx(5.0), pytest.approx(5.0), pytest.approx(5.0)),
        ("ladder", "founding", 1, pytest.approx(5.0), pytest.approx(5.0), pytest.approx(5.0)),
        ("ladder", "growth", 1, pytest.approx(20.0), pytest.approx(20.0), pytest.approx(20.0)),
    ]


def test_overdue_lists_late_cases_and_unsent_notices_oldest_first(app: App, fixture: Fixture) -> None:
    with app.store.read() as conn:
        rows = reports.overdue(conn, now=NOW)
    # Due at 23:59:59 in Paris (22:59:59 UTC) on entry day + deadline; now is 20 March 09:00 UTC.
    found: list[tuple[object, ...]] = [
        (r.item, r.ref, r.stage, r.officer, r.due_at, r.days_overdue, r.rule) for r in rows
    ]
    assert found == [
        # L6 entered 31 Jan, 10 days: due 10 Feb; 37 days 10:00:01 late
        ("case", fixture.cases["L6"], "feasibility", "Alice Lambertini",
         datetime(2026, 2, 10, 22, 59, 59, tzinfo=UTC), pytest.approx(37 + 10 / 24 + SECOND), None),
        # L4 entered 23 Jan, 20 days: due 12 Feb
        ("case", fixture.cases["L4"], "founding", "Bob Vandersteen",
         datetime(2026, 2, 12, 22, 59, 59, tzinfo=UTC), pytest.approx(35 + 10 / 24 + SECOND), None),
        # its escalation, 1 day after the due day at 09:00 Paris, has not been swept
        ("escalation", fixture.cases["L4"], "founding", "Bob Vandersteen",
         datetime(2026, 2, 13, 8, 0, tzinfo=UTC), pytest.approx(35 + 1 / 24), "escalate:0"),
        # L2 entered growth 30 Jan, 30 days: due 1 March
        ("case", fixture.cases["L2"], "growth", "Alice Lambertini",
         datetime(2026, 3, 1, 22, 59, 59, tzinfo=UTC), pytest.approx(18 + 10 / 24 + SECOND), None),
    ]  # fmt: skip
    assert {r.escalations for r in rows} == {0}
    with app.store.read() as conn:
        due_11_to_13_february = reports.overdue(conn, now=NOW, start=D(41), end=D(43))
    assert [(r.item, r.ref) for r in due_11_to_13_february] == [
        ("case", fixture.cases["L4"]),
        ("escalation", fixture.cases["L4"]),
    ]


def test_workload_per_officer_includes_officers_without_cases(app: App, fixture: Fixture) -> None:
    with app.store.read() as conn:
        everyone = reports.workload(conn, now=NOW)
        alpha = reports.workload(conn, now=NOW, org="DLA Alpha")
    # Alice: L2, L6 (both late). Bob: L4 (late), L7 (due 26 March, within 7 days). Carla: L5 (11 April).
    assert [(r.officer, r.open_cases, r.overdue, r.due_within_7_days) for r in everyone] == [
        ("Alice Lambertini", 2, 2, 0),
        ("Bob Vandersteen", 2, 1, 1),
        ("Carla Moreau-Dufresne", 1, 0, 0),
        ("Dan Okonkwo", 0, 0, 0),
    ]
    assert [r.officer for r in alpha] == ["Alice Lambertini", "Bob Vandersteen", "Dan Okonkwo"]


def test_outcomes_by_pathway_territory_and_cohort(app: App, fixture: Fixture) -> None:
    with app.store.read() as conn:
        rows = reports.outcomes(conn, now=NOW)
        this_year = reports.outcomes(conn, now=NOW, start=datetime(2026, 1, 1, tzinfo=UTC))
    assert [(r.pathway, r.territory, r.cohort, r.result, r.cases, r.share) for r in rows] == [
        ("ladder", "BE-BRU", 2026, "open", 1, 1.0),
        ("ladder", "FR-69", 2025, "abandoned", 1, 1.0),  # L8, opened 22 November 2025
        # L2 L4 L6 L7 open, L3 dropped, L1 scaled: 6 cases
        ("ladder", "FR-75", 2026, "open", 4, pytest.approx(4 / 6)),
        ("ladder", "FR-75", 2026, "abandoned", 1, pytest.approx(1 / 6)),
        ("ladder", "FR-75", 2026, "scaled", 1, pytest.approx(1 / 6)),
    ]
    assert [(r.territory, r.cohort) for r in this_year if r.territory == "FR-69"] == []


def test_every_report_draws_as_svg_in_each_language(sqlite_store: Store, tmp_path: Path) -> None:
    # Charts only read rows: one backend is enough.
    app = ladder_app(sqlite_store, tmp_path)
    build(app)
    specs = {s.id: s for s in app.catalog.latest()}
    for name, report in reports.REPORTS.items():
        with app.store.read() as conn:
            rows = report(conn, now=NOW)
        assert rows, name
        for lang, locale, title in (
            ("fr", "fr_FR", "Entonnoir"),
            ("nl", "nl_BE", "Trechter"),
            ("en", "en_GB", ""),
        ):
            labels = charts.Labels(words=texts(lang), lang=lang, locale=locale, specs=specs)
            svg = charts.svg(name, rows, labels)
            assert svg.startswith("<?xml"), name
            ET.fromstring(svg.split("\n", 1)[1])  # well-formed XML
            assert charts.svg(name, rows, labels) == svg  # deterministic: dashboards can cache it
            if name == "funnel" and title:
                assert title in svg, (lang, svg[:400])


def test_charts_of_empty_reports_say_so() -> None:
    labels = charts.Labels(words=texts("fr"), lang="fr", locale="fr_FR", specs={})
    assert "Pas encore de données." in charts.svg("workload", [], labels)
    with pytest.raises(InvalidInput):
        charts.svg("weather", [], labels)


def test_report_command_prints_json_csv_and_writes_charts(app: App, fixture: Fixture, tmp_path: Path) -> None:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"now": NOW}

    root.add_typer(report_cli.app, name="report")
    env = {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_CONFIG_DIR": str(app.settings.config_dir),
        "PATHWAYS_ENVIRONMENT": "test",
        "COLUMNS": "200",
    }
    runner = CliRunner()
    svg, pdf = tmp_path / "funnel.svg", tmp_path / "funnel.pdf"

    arguments = ["report", "funnel", "--org", "DLA Alpha", "--json", "--svg", str(svg), "--lang", "nl"]
    funnel_json = runner.invoke(root, arguments, env=env)
    assert funnel_json.exit_code == 0, funnel_json.output
    assert [(r["phase"], r["reached"]) for r in json.loads(funnel_json.stdout)] == [
        ("idea", 6), ("emergence", 3), ("founded", 2), ("consolidation", 1), ("scaling", 1),
    ]  # fmt: skip
    assert "<svg" in svg.read_text(encoding="utf-8")
    assert "Trechter" in svg.read_text(encoding="utf-8")  # the chart in Dutch, as asked
    if printing_available():
        drawn = runner.invoke(root, ["report", "funnel", "--pdf", str(pdf)], env=env)
        assert drawn.exit_code == 0, drawn.output
        assert pdf.read_bytes().startswith(b"%PDF-")
    gone = runner.invoke(root, ["report", "funnel", "--png", str(tmp_path / "f.png")], env=env)
    assert isinstance(gone.exception, InvalidInput)  # `pathways` exits 2 with it
    assert "--svg" in str(gone.exception)

    # --to with a bare date includes that whole day (in Paris): L5 left founding on 20 February, 09:00 UTC
    def stays(last_day: str) -> list[list[str]]:
        result = runner.invoke(root, ["report", "stages", "--to", last_day, "--csv"], env=env)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == "pathway,stage,stays,mean_days,p50_days,p90_days"
        return [line.split(",")[1:3] for line in lines[1:]]

    assert stays("2026-02-19") == [["feasibility", "6"], ["founding", "3"]]
    assert stays("2026-02-20") == [["feasibility", "6"], ["founding", "4"]]

    table = runner.invoke(root, ["report", "workload"], env=env)
    assert table.exit_code == 0, table.output
    assert "Dan Okonkwo" in table.stdout

    wrong = runner.invoke(root, ["report", "overdue", "--from", "next week"], env=env)
    assert wrong.exit_code == 2
    assert "not an ISO-8601 date" in wrong.output
