"""The outcomes chart of the dashboard names each territory (config/territories.csv), not its code."""

from __future__ import annotations

from pathlib import Path

from pathways.domain.loader import load_pathway_dir
from pathways.drawing import charts
from pathways.services.people.sheets import territory_names
from pathways.services.reporting.reports import OutcomeRow
from pathways.web.i18n import texts


def test_the_outcomes_chart_names_the_territory_and_keeps_an_unknown_code() -> None:
    specs = {s.id: s for s in load_pathway_dir(Path("config/pathways")).latest()}
    labels = charts.Labels(
        words=texts("nl"),
        lang="nl",
        locale="nl_BE",
        specs=specs,
        territories=territory_names(Path("config/territories.csv")),
    )
    rows = [
        OutcomeRow("diagnosis", "BE-VLG", 2026, "open", 2, 1.0),
        OutcomeRow("diagnosis", "XX-1", 2026, "open", 1, 1.0),
    ]
    shown = [c.label for c in charts.build("outcomes", rows, labels).categories]
    assert shown == [
        f"{labels.pathway('diagnosis')} · Vlaanderen · 2026",
        f"{labels.pathway('diagnosis')} · XX-1 · 2026",
    ]
