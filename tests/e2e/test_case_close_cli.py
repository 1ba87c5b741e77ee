"""`pathways case close REF RESULT --reason TEXT` through real processes: closed, refused, said clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_home import OFFICER, Home, fresh_copy, seed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REASON = "La structure se retire : changement de présidence"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("close-template"))
    seed(home)
    return home


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return fresh_copy(template, tmp_path)


def opened(home: Home) -> str:
    return home.open(home.project("diagnosis"), "diagnosis", OFFICER, now="2026-07-08T10:00")


def test_case_show_lists_the_exits_and_case_close_closes_with_the_reason(home: Home) -> None:
    ref = opened(home)
    assert "exits (`case close`, any stage): withdrawn, abandoned" in home.ok("case", "show", ref).out

    closed = home.ok("case", "close", ref, "withdrawn", "--reason", REASON, now="2026-07-09T10:00")

    assert f"{ref}: closed at intake as withdrawn" in closed.out
    assert "cancelled: 4 reminders or escalations" in closed.out
    shown = home.show(ref)
    assert (shown["status"], shown["result"], shown["result_label"]) == (
        "closed", "withdrawn", "Withdrawn by the structure"
    )  # fmt: skip
    assert shown["entries"][-1]["note"] == REASON
    assert shown["entries"][-1]["decided_by"] == "Noémie Carpentier"
    assert home.history(ref)[-1]["details"]["exit"] is True
    assert home.ok("audit", "verify").code == 0


def test_case_close_json_says_what_was_cancelled(home: Home) -> None:
    ref = opened(home)

    closed = home.ok(
        "case", "close", ref, "abandoned", "--reason", REASON, "--json", now="2026-07-09T10:00"
    ).json()

    assert (closed["ref"], closed["left"], closed["result"], closed["version"]) == (
        ref,
        "intake",
        "abandoned",
        2,
    )
    assert closed["children_open"] == []


def test_without_reason_the_command_refuses_and_names_the_option(home: Home) -> None:
    ref = opened(home)

    missing = home.run("case", "close", ref, "withdrawn")
    blank = home.run("case", "close", ref, "withdrawn", "--reason", "   ")

    assert missing.code == 2
    assert "--reason" in missing.err
    assert blank.code == 2
    assert "field 'reason'" in blank.err
    assert home.show(ref)["status"] == "open"


def test_an_unknown_exit_is_refused_naming_the_exits(home: Home) -> None:
    ref = opened(home)

    refused = home.run("case", "close", ref, "transfer_not_held", "--reason", REASON)

    assert refused.code == 2
    assert "field 'result'" in refused.err
    assert "withdrawn, abandoned" in refused.err
    assert home.show(ref)["status"] == "open"


def test_an_already_closed_case_exits_4(home: Home) -> None:
    ref = opened(home)
    home.ok("case", "close", ref, "withdrawn", "--reason", REASON, now="2026-07-09T10:00")

    again = home.run("case", "close", ref, "abandoned", "--reason", "Encore")

    assert again.code == 4
    assert "already closed" in again.err
    assert home.show(ref)["result"] == "withdrawn"


def test_a_closing_on_an_old_version_exits_4_naming_the_decision(home: Home) -> None:
    ref = opened(home)
    values = {"met_on": "2026-07-08", "legal_form": "association", "salaried_jobs": "4", "request": "Modèle"}
    home.decide(ref, "relevant", values, now="2026-07-09T10:00")

    stale = home.run("case", "close", ref, "withdrawn", "--reason", REASON, "--expected-version", "1")

    assert stale.code == 4
    assert "'relevant' at intake" in stale.err
    assert home.show(ref)["status"] == "open"
