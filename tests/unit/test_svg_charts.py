"""The dashboard's SVG charts (pathways.drawing): hostile words stay words, numbers read as the
reader writes them, and a screen reader gets the chart's title and every value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from pathways.domain.loader import load_pathway_dir
from pathways.drawing import charts
from pathways.drawing.svg import BarChart, Category, Series, nice_step, number, render
from pathways.services.reporting.funnel import FunnelRow
from pathways.services.reporting.reports import OutcomeRow, OverdueRow, StageRow, WorkloadRow
from pathways.web.i18n import texts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</text><script>alert(1)</script><text x="0">" onload="alert(2)&amp;\x0b\x00]]>'


def chart(label: str = "Idée", value: float = 1234.5, *, locale: str = "fr_FR") -> BarChart:
    return BarChart(
        title="Entonnoir",
        unit="projets",
        series=(Series("projets", "#2457c5"),),
        categories=(Category(label, (value,), note="→ Émergence : 50 %"),),
        locale=locale,
        decimals=1,
    )


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def test_a_hostile_label_is_text_in_well_formed_svg() -> None:
    svg = render(chart(HOSTILE))
    root = parsed(svg)
    assert root.find(f".//{SVG}script") is None
    assert not any(el.get("onload") for el in root.iter())
    texts_drawn = [el.text for el in root.iter(f"{SVG}text")]
    expected = HOSTILE.replace("\x0b", "").replace("\x00", "")  # characters XML cannot hold are dropped
    assert expected in [t for t in texts_drawn if t] or any(
        t and t.startswith(expected[:40]) for t in texts_drawn
    )
    assert "<script>" not in svg
    # The full label stays in the row's tooltip title.
    assert expected in [el.text for el in root.iter(f"{SVG}title")]


def test_a_hostile_chart_id_and_colour_cannot_break_out_of_their_attributes() -> None:
    hostile = BarChart(
        title="t",
        unit="",
        series=(Series('x" onclick="alert(1)', '"/><script>alert(1)</script>'),),
        categories=(Category("a", (1.0,)),),
        locale="en_GB",
    )
    root = parsed(render(hostile, chart_id='c" onfocus="alert(1)'))
    assert root.find(f".//{SVG}script") is None
    assert not any(el.get("onclick") or el.get("onfocus") for el in root.iter())


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr_FR", "1\u202f234,5"), ("nl_BE", "1.234,5"), ("en_GB", "1,234.5")],
)
def test_values_are_written_as_the_reader_writes_numbers(locale: str, expected: str) -> None:
    assert number(1234.5, locale, 1) == expected
    root = parsed(render(chart(locale=locale)))
    assert expected in [el.text for el in root.iter(f"{SVG}text")]
    assert expected in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]


def test_the_chart_is_an_image_named_by_its_title_and_described_by_its_values() -> None:
    root = parsed(render(chart(), chart_id="chart-funnel"))
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert (
        (title.get("id"), desc.get("id"))
        == (title_id, desc_id)
        == ("chart-funnel-title", "chart-funnel-desc")
    )
    assert title.text == "Entonnoir"
    assert desc.text == "Entonnoir (projets). Idée: 1\u202f234,5 (→ Émergence : 50 %)."
    assert list(root)[:2] == [title, desc]  # first children: what assistive technologies read


def test_an_empty_chart_says_so_and_a_standalone_one_is_an_svg_file() -> None:
    empty = BarChart(
        title="Charge", unit="", series=(), categories=(), locale="fr_FR", empty="Pas de données"
    )
    svg = render(empty, standalone=True, heading=True)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    root = parsed(svg.split("\n", 1)[1])
    drawn = [el.text for el in root.iter(f"{SVG}text")]
    assert "Pas de données" in drawn
    assert "Charge" in drawn


def test_ticks_are_round_numbers() -> None:
    assert [nice_step(top) for top in (4, 9, 37, 120, 0.9)] == [1, 5, 10, 50, 0.5]
    assert nice_step(0) == 1


def test_report_charts_speak_dutch() -> None:
    catalog = load_pathway_dir(Path("config/pathways"))
    specs = {s.id: s for s in catalog.latest()}
    labels = charts.Labels(words=texts("nl"), lang="nl", locale="nl_BE", specs=specs)
    due = datetime(2026, 7, 1, tzinfo=UTC)
    rows: dict[str, Sequence[Any]] = {
        "funnel": [
            FunnelRow("idea", "emergence", 6, 6, 3, 0.5, 12.0),
            FunnelRow("emergence", None, 3, 0, 0, None, None),
        ],
        "stages": [StageRow("diagnosis", "intake", 4, 2.5, 2.0, 4.26)],
        "overdue": [
            OverdueRow(
                "case", "DIAG-2026-0001", "diagnosis", "intake", "Recyclerie", None, due, 3.0, 0, None, None
            )
        ],
        "workload": [WorkloadRow(1, "Camille Martin", 5, 1, 2)],
        "outcomes": [OutcomeRow("diagnosis", "BE-BRU", 2026, "open", 2, 1.0)],
    }
    drawn = {name: charts.build(name, rows[name], labels) for name in charts.CHARTS}
    assert drawn["funnel"].title.startswith("Trechter")
    idea, emergence = (texts("nl").label("phase", p) for p in ("idea", "emergence"))
    assert [c.label for c in drawn["funnel"].categories] == [idea, emergence]
    assert drawn["funnel"].categories[0].note.startswith(f"→ {emergence}: 50%")
    intake = specs["diagnosis"].stage("intake").title.get("nl")
    assert drawn["stages"].categories[0].label == f"{specs['diagnosis'].title.get('nl')} · {intake}"
    assert drawn["stages"].rows()[0][1] == ["2", "4,3"]  # days, one decimal, Dutch decimal comma
    assert drawn["overdue"].categories[0].label == f"DIAG-2026-0001 · {intake}"
    assert [s.name for s in drawn["workload"].series] == [
        "te laat",
        "termijn binnen 7 dagen",
        "andere lopende dossiers",
    ]
    assert drawn["outcomes"].series[0].name == texts("nl").label("status", "open")
    for name, built in drawn.items():
        svg = render(built, chart_id=f"chart-{name}")
        parsed(svg)
        assert "intake" not in svg, name  # titles, never ids
        assert "diagnosis" not in svg, name
