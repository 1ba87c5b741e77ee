"""`case documents`, `resource list|suggest`, `impact ...`, `pathway show --mermaid|--svg` as processes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_home import OFFICER, RESOURCE, Home, fresh_copy, seed

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("commands-template"))
    seed(home)
    return home


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return fresh_copy(template, tmp_path)


def test_a_cases_documents_are_listed_written_out_and_printed(home: Home, tmp_path: Path) -> None:
    ref = home.open(home.project("diagnosis"), "diagnosis", OFFICER, now="2026-07-08T10:00")
    intake = {
        "met_on": "2026-07-08",
        "legal_form": "association",
        "salaried_jobs": "4",
        "request": "Consolider",
    }
    home.decide(ref, "relevant", intake, now="2026-07-09")
    accepted = {"interviews": "2026-07-10", "validated_on": "2026-07-20", "priority_issues": "Gouvernance"}
    home.decide(ref, "accepted", accepted, now="2026-07-20")

    listed = home.ok("case", "documents", ref, "--output", str(tmp_path / "out"), "--json").json()

    assert [(d["stage"], d["language"]) for d in listed] == [("intake", "fr"), ("support_plan", "fr")]
    assert listed[1]["title"] == f"Diagnostic partagé – Ressourcerie du Port ({ref})"
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"{ref}-diagnosis.intake.html", f"{ref}-diagnosis.support_plan.html"]
    printed = home.ok("case", "documents", ref, "--print", str(listed[1]["id"])).out
    assert printed.startswith("<!DOCTYPE html>")
    assert "<h1>Diagnostic partagé</h1>" in printed
    assert "Gouvernance" in printed
    missing = home.run("case", "documents", ref, "--print", "999")
    assert missing.code == 3
    assert "no document 999" in missing.err


def test_the_resource_directory_and_its_suggestions(home: Home) -> None:
    ref = home.open(home.project("peer_transfer"), "peer_transfer", OFFICER, now="2026-07-01T10:00")
    request = {"beneficiary_role": "salaried_director", "network": "PTCE", "topics": "finance"}
    home.decide(
        ref,
        "eligible",
        request | {"requested_resource_person": RESOURCE, "reason": "Finances"},
        now="2026-07-02",
    )

    listed = {r["handle"]: r for r in home.ok("resource", "list", "--json").json()}
    suggested = home.ok("resource", "suggest", ref, "--json").json()
    diagnosis = home.open(home.project("diagnosis"), "diagnosis", OFFICER, now="2026-07-01T10:00")
    too_early = home.run("resource", "suggest", diagnosis)

    assert set(listed) == {"claire-fontaine", "mathieu-roux"}  # the consultant has no topic
    assert listed["claire-fontaine"]["topics"] == ["governance", "hr"]
    assert listed["claire-fontaine"]["transfers_this_year"] == 0
    assert [(c["handle"], c["fits"]) for c in suggested["candidates"]] == [("mathieu-roux", ["finance"])]
    assert too_early.code == 4
    assert "peer_transfer case at matching" in too_early.err


def test_an_impact_evaluation_through_the_command(home: Home) -> None:
    ref = home.open(home.project("unproven"), "ongoing_support", OFFICER, now="2026-07-01T10:00")

    evaluation = home.ok(
        "impact", "add", ref, "--question", "Des emplois ?", "--tool", "MESIS", "--json"
    ).json()
    indicator = home.ok(
        "impact", "indicator", str(evaluation["id"]), "--name", "Emplois", "--unit", "ETP",
        "--baseline", "6", "--target", "10", "--json",
    ).json()  # fmt: skip
    home.ok("impact", "value", str(indicator["id"]), "8", "--on", "2026-06-30")
    shown = home.ok("impact", "show", ref, "--json").json()
    bad = home.run("impact", "add", ref, "--question", "?", "--tool", "Tableur")

    (listed,) = shown["evaluations"]
    (measured,) = listed["indicators"]
    assert (listed["tool"], listed["case"]) == ("MESIS", ref)
    assert (measured["latest"]["value"], measured["progress_percent"]) == ("8", "50.0")
    assert shown["proven_model_evidence"] is True
    assert bad.code == 2
    assert "'Tableur' is not a known tool" in bad.err
    kinds = [e["kind"] for e in home.history(ref)]
    assert kinds[-3:] == ["impact_evaluation_added", "impact_indicator_added", "impact_value_recorded"]


def test_the_stage_graph_as_mermaid_and_svg(home: Home, tmp_path: Path) -> None:
    mermaid = home.ok("pathway", "show", "swarming", "--mermaid", "--lang", "fr").out
    drawn = home.ok("pathway", "show", "diagnosis", "--svg", str(tmp_path / "diagnosis.svg"))

    assert mermaid.splitlines()[1] == "flowchart TD"
    assert 's_codify["Modélisation (kit, guide)' in mermaid
    assert "spawn" in mermaid
    assert "written to" in drawn.err
    root = ET.parse(tmp_path / "diagnosis.svg").getroot()
    assert root.tag.endswith("svg")
