"""The stage graph of each shipped pathway, as Mermaid and as SVG (no database, no network)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_dir
from pathways.drawing import graph

CONFIG = Path(__file__).resolve().parents[2] / "config"
CATALOG = load_pathway_dir(CONFIG / "pathways")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("pathway", CATALOG.ids())
def test_the_mermaid_flowchart_has_every_stage_end_and_outcome(pathway: str) -> None:
    spec = CATALOG.get(pathway)

    text = graph.mermaid(spec, lang="fr")

    assert text.splitlines()[1] == "flowchart TD"
    for stage in spec.stages:
        assert f's_{stage.id}["{stage.title.fr.replace(chr(34), "#quot;")}' in text.replace("&#x27;", "'")
    used = {o.end for s in spec.stages for o in s.outcomes.values() if o.end}
    assert set(re.findall(r"^  e_(\w+)\(\[", text, re.MULTILINE)) == used
    arrows = re.findall(r"^  (\w+) (?:-->|-\.->)\|\"([^\"]+)\"\| (\w+)$", text, re.MULTILINE)
    labels = " / ".join(label for _, label, _ in arrows)
    for stage in spec.stages:
        for key in stage.outcomes:
            assert re.search(rf"\b{key}\b", labels), key
    assert not re.search(r"\bclass\b.* end$|classDef end ", text)  # `end` would close the flowchart


def test_loops_hand_offs_and_spawns_are_drawn_as_such() -> None:
    diagnosis = graph.mermaid(CATALOG.get("diagnosis"))
    swarming = graph.mermaid(CATALOG.get("swarming"))
    support = graph.mermaid(CATALOG.get("ongoing_support"))

    assert '  s_support_plan -.->|"revise"| s_support_plan' in diagnosis
    assert '  s_committee -.->|"with_reservations"| s_support_plan' in diagnosis
    assert '  s_committee -.->|"favourable: hand-off"| h_ongoing_support' in diagnosis
    assert 'h_ongoing_support[["opens ongoing_support<br/><small>same project</small>"]]' in diagnosis
    assert '  s_carrier_selection -.->|"selected: spawn"| c_ongoing_support_carriers' in swarming
    assert "new project each" in swarming
    assert '  s_labelling -->|"granted / conditional"| s_network_follow_up' in swarming
    assert '"created (project → scaling)"' in swarming
    assert "one consulting_mission per parallel_missions<br/><small>same project" in support


@pytest.mark.parametrize("pathway", CATALOG.ids())
@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_the_svg_drawing_is_a_standalone_document_with_a_box_per_stage(pathway: str, lang: str) -> None:
    spec = CATALOG.get(pathway)

    root = ET.fromstring(graph.svg(spec, lang=lang))

    assert root.tag == f"{SVG}svg"
    groups = root.findall(f"{SVG}g")
    titles = [g.findall(f"{SVG}text")[0].text for g in groups if g.get("class") == "stage"]
    assert titles == [stage.title.get(lang) for stage in spec.stages]
    ends = {g.findall(f"{SVG}text")[1].text for g in groups if g.get("class") == "end"}
    assert ends == {o.end for s in spec.stages for o in s.outcomes.values() if o.end}
    width = float(root.get("width", "0"))
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x", "0")) >= 0  # nothing drawn off the left edge (loop labels included)
        assert float(rect.get("x", "0")) + float(rect.get("width", "0")) <= width + 1
