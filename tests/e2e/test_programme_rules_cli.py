"""Each programme rule through the `pathways` command: refused (exit 4, named, nothing changed), then allowed.

One installation per module (`pathways init`, people, projects, two transfers already
validated this year), copied for each test.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_home import (
    CONSULTANT,
    OFFICER,
    OTHER_RESOURCE,
    RESOURCE,
    ROOT,
    Home,
    fresh_copy,
    seed,
    sets,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The journeys' installation, and two transfers validated in 2026 for the first resource person."""
    home = Home(tmp_path_factory.mktemp("rules-template"))
    seed(home)
    from pathways.bootstrap import App, Clock
    from pathways.services.casework import cases, opening, work
    from pathways.services.people import directory
    from pathways.services.tx import write
    from pathways.settings import load_settings
    from pathways.store.db import Store

    store = Store.from_url(home.url)
    settings = load_settings(
        database_url=home.url, config_dir=ROOT / "config", environment="test", home=home.folder
    )
    app = App(settings=settings, store=store, clock=Clock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    steps = [
        ("eligible", {"beneficiary_role": "founder", "network": "PTCE", "requested_resource_person": RESOURCE,
                      "topics": "governance", "reason": "Gouvernance"}),
        ("accepted", {"resource_person": RESOURCE, "resource_employer": "Régie", "framed_questions": "A;B;C",
                      "accepted_on": "2026-03-02"}),
        ("validated", {"validated_on": "2026-03-03"}),
    ]  # fmt: skip
    for name in ("Repair Café Gerland", "Tiers-lieu Les Halles"):
        with write(app) as tx:
            org = directory.find_org(tx.conn, "dla-de-paris-e2e").id
            project = directory.add_project(
                tx, name=name, org=org, owner=None, siret=None, bce=None, territory=None, phase="founded",
                legal_form="association", permanent_jobs=3,
            )  # fmt: skip
            ref = opening.open_case(
                tx, app.catalog, project=project.id, pathway="peer_transfer", officer=OFFICER
            ).ref
        for outcome, values in steps:
            with write(app) as tx:
                cases.decide(tx, app.catalog, case=ref, outcome=outcome, values=values)
    work.run_pending(app)
    store.dispose()
    return home


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return fresh_copy(template, tmp_path)


@dataclass(frozen=True)
class CharterHome(Home):
    """The same installation, its pathway files copied with some local rules (options) switched on."""

    config: Path = ROOT / "config"

    def env(self) -> dict[str, str]:
        return super().env() | {"PATHWAYS_CONFIG_DIR": str(self.config)}


def with_options(home: Home, tmp_path: Path, pathway: str, *options: str) -> CharterHome:
    """`home` with `pathway`'s file switching `options` on, published, as an organisation following a
    charter would: new cases take the next version, open ones keep theirs unless migrated."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    path = config / "pathways" / f"{pathway}.yaml"
    text = path.read_text(encoding="utf-8")
    for option in options:
        assert f"  {option}: false" in text
        text = text.replace(f"  {option}: false", f"  {option}: true")
    path.write_text(text, encoding="utf-8")
    charter = CharterHome(home.folder, config)
    published = charter.ok("pathway", "publish", str(path), "--json").json()
    current = next(int(line.split(":")[1]) for line in text.splitlines() if line.startswith("version:"))
    assert [(p["pathway_id"], p["version"], p["status"]) for p in published] == [
        (pathway, current + 1, "changed")
    ]
    return charter


def refused(home: Home, ref: str, outcome: str, values: dict[str, str], rule: str, *, now: str) -> None:
    """The decision is refused with exit 4 naming `rule`, and the case is exactly as before."""
    before = home.show(ref)
    result = home.run("case", "decide", ref, outcome, *sets(values), now=now)
    assert result.code == 4, result.out + result.err
    assert f"rule '{rule}'" in result.err
    assert "hint:" in result.err  # what to do instead
    assert home.show(ref) == before


def test_diagnosis_eligibility_and_no_board_approval_before_the_committee(home: Home, tmp_path: Path) -> None:
    ref = home.open(home.project("diagnosis"), "diagnosis", OFFICER, now="2026-07-08T10:00")
    intake = {
        "met_on": "2026-07-08",
        "legal_form": "association",
        "salaried_jobs": "4",
        "request": "Consolider",
    }

    refused(
        home, ref, "relevant", intake | {"legal_form": "other"}, "diagnosis_eligibility", now="2026-07-09"
    )
    refused(home, ref, "relevant", intake | {"salaried_jobs": "0"}, "diagnosis_eligibility", now="2026-07-09")
    assert home.decide(ref, "relevant", intake, now="2026-07-09")["entered"] == "shared_diagnosis"

    accepted = {"interviews": "2026-07-10", "validated_on": "2026-07-20", "priority_issues": "Gouvernance"}
    home.decide(ref, "accepted", accepted, now="2026-07-20")
    # Board approval is one DLA's charter rule (S27), checked before the action if at all.
    plan = {"board_approval": "no", "committee_date": "2026-09-15"}
    assert home.decide(ref, "validated", plan, now="2026-07-22")["entered"] == "committee"


def test_a_charter_asks_for_board_approval_before_the_consultant_is_engaged(
    home: Home, tmp_path: Path
) -> None:
    charter = with_options(home, tmp_path, "ongoing_support", "board_approval_before_action")
    ref = charter.open(charter.project("ongoing_support"), "ongoing_support", OFFICER, now="2026-07-08T10:00")
    brief = {"brief_sent_on": "2026-07-08", "consultant": CONSULTANT}

    refused(charter, ref, "consultant_chosen", brief, "board_approval_recorded", now="2026-07-17")
    approved = brief | {"board_approval": "yes", "board_approval_on": "2026-07-16", "governing_body": "board"}
    assert charter.decide(ref, "consultant_chosen", approved, now="2026-07-17")["entered"] == "mission"


def test_consultants_answer_a_brief_within_a_week_only_where_the_charter_says_so(
    home: Home, tmp_path: Path
) -> None:
    brief = {"brief_sent_on": "2026-07-08", "consultant": CONSULTANT}
    late = brief | {"consultant_answer_on": "2026-07-16"}
    elsewhere = home.open(home.project("ongoing_support"), "ongoing_support", OFFICER, now="2026-07-08T10:00")
    assert home.decide(elsewhere, "consultant_chosen", late, now="2026-07-17")["entered"] == "mission"

    charter = with_options(home, tmp_path, "ongoing_support", "consultant_bid_within_week")
    ref = charter.open(charter.project("diagnosis"), "ongoing_support", OFFICER, now="2026-07-08T10:00")
    refused(charter, ref, "consultant_chosen", late, "consultant_answer_within_week", now="2026-07-17")
    on_time = brief | {"consultant_answer_on": "2026-07-15"}
    assert charter.decide(ref, "consultant_chosen", on_time, now="2026-07-17")["entered"] == "mission"


def test_peer_transfer_yearly_cap_and_the_geiq_editions_three_month_window(
    home: Home, tmp_path: Path
) -> None:
    ref = home.open(home.project("peer_transfer"), "peer_transfer", OFFICER, now="2026-07-01T10:00")
    request = {"beneficiary_role": "salaried_director", "network": "PTCE", "topics": "governance"}
    request |= {"requested_resource_person": RESOURCE, "reason": "Gouvernance"}
    home.decide(ref, "eligible", request, now="2026-07-02")

    def accepted(resource: str) -> dict[str, str]:
        return {"resource_person": resource, "resource_employer": "Régie", "framed_questions": "A;B;C",
                "accepted_on": "2026-07-09"}  # fmt: skip

    home.decide(ref, "accepted", accepted(RESOURCE), now="2026-07-10")
    # The resource person already has two transfers validated in 2026 (see the template).
    refused(
        home, ref, "validated", {"validated_on": "2026-07-15"}, "resource_person_yearly_cap", now="2026-07-15"
    )
    home.decide(ref, "rematch", {"rematch_reason": "Plafond annuel atteint"}, now="2026-07-15")
    home.decide(ref, "accepted", accepted(OTHER_RESOURCE), now="2026-07-16")
    assert (
        home.decide(ref, "validated", {"validated_on": "2026-07-17"}, now="2026-07-17")["entered"]
        == "transfer"
    )
    geiq = with_options(home.fork(tmp_path / "geiq"), tmp_path, "peer_transfer", "geiq_transfer_days")
    geiq.ok("pathway", "migrate", "peer_transfer", "--from", "2", "--to", "3")  # the open case follows

    transfer = {"half_days": "4", "agenda": "Gouvernance"}
    late = transfer | {"transfer_days": "2026-08-03;2026-10-19"}  # the window ends on 17 October
    refused(geiq, ref, "done", late, "transfer_within_three_months", now="2026-10-20")
    in_time = transfer | {"transfer_days": "2026-08-03;2026-10-16"}
    assert geiq.decide(ref, "done", in_time, now="2026-10-20")["entered"] == "review"
    # Avise's TSF, as shipped, sets no such window.
    assert home.decide(ref, "done", late, now="2026-10-20")["entered"] == "review"


def test_only_a_proven_model_is_replicated(home: Home) -> None:
    # The model is codified, then proven: a pilot of a year, economic viability, an impact evaluation.
    unproven = home.open(home.project("unproven"), "swarming", OFFICER, now="2026-07-01T10:00")
    assert home.show(unproven)["stage"] == "codify"
    ready = {"pilot_since": "2025-09-01", "kit": "Guide"}
    refused(home, unproven, "ready", ready, "replication_readiness", now="2026-07-02")
    said = home.run("case", "decide", unproven, "ready", *sets(ready), now="2026-07-02").err
    for missing in ("at least a year", "economically_viable", "impact evaluation"):
        assert missing in said
    proof = {
        "economically_viable": "yes",
        "viability_evidence": "Comptes 2025",
        "impact_evidence": "Témoignages",
    }
    qualitative = ready | proof | {"pilot_since": "2025-06-01"}
    assert home.decide(unproven, "ready", qualitative, now="2026-07-02")["entered"] == "model_choice"

    measured = home.open(home.project("swarming"), "swarming", OFFICER, now="2026-07-01T10:00")
    viable = ready | {
        "pilot_since": "2024-01-01",
        "economically_viable": "yes",
        "viability_evidence": "Comptes",
    }
    assert home.decide(measured, "ready", viable, now="2026-07-02")["entered"] == "model_choice"
