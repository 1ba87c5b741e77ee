"""Versions that keep themselves: edit a deadline, publish, and running cases keep theirs.

Through real `pathways` processes on a copy of the shipped configuration: nobody bumps a
`version:` by hand, the case opened before the edit keeps the old deadline for its stages,
the case opened after gets the new one, and `versions`, `diff` and `migrate` see both.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_home import ROOT, Home

pytestmark = pytest.mark.e2e
OLD_DEADLINE = "deadline: {business_days: 15}"  # the diagnosis's intake
NEW_DEADLINE = "deadline: {business_days: 25}"


@dataclass(frozen=True)
class ConfiguredHome(Home):
    """A home whose pathway files are its own copy, for the test to edit."""

    config: Path = ROOT / "config"

    def env(self) -> dict[str, str]:
        return super().env() | {"PATHWAYS_CONFIG_DIR": str(self.config)}


def test_an_edited_deadline_is_published_as_a_new_version_and_running_cases_keep_theirs(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    home = ConfiguredHome(tmp_path / "home", config)
    home.folder.mkdir()
    home.ok("init")
    home.ok("org", "add", "DLA Test", "--territory", "FR-75")
    home.ok("person", "add", "Marie Dupuis", "--org", "dla-test", "--role", "officer")
    home.ok("person", "add", "Ines Diallo", "--org", "dla-test", "--role", "owner")
    for name, siret in (("Atelier", "73282932000074"), ("Recyclerie", "44306184100013")):
        home.ok("project", "add", name, "--org", "dla-test", "--owner", "ines-diallo", "--siret", siret)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    (before,) = [v for v in home.ok("pathway", "list", "--json").json() if v["id"] == "diagnosis"]
    old_version = before["version"]
    first = home.open("1", "diagnosis", "marie-dupuis", now=now)

    pathway_file = config / "pathways" / "diagnosis.yaml"
    text = pathway_file.read_text(encoding="utf-8")
    assert text.count(OLD_DEADLINE) == 1
    pathway_file.write_text(text.replace(OLD_DEADLINE, NEW_DEADLINE), encoding="utf-8")
    listed = home.ok("pathway", "list")
    assert f"{pathway_file} changed since it was published" in listed.err
    assert home.show(first)["pathway_version"] == old_version  # nothing changes before publishing

    published = {p["pathway_id"]: p for p in home.ok("pathway", "publish", "--json").json()}
    new_version = old_version + 1
    assert published["diagnosis"]["status"] == "changed"
    assert published["diagnosis"]["version"] == new_version
    assert {p["status"] for k, p in published.items() if k != "diagnosis"} == {"unchanged"}
    again = home.ok("pathway", "publish", "--json").json()
    assert {p["status"] for p in again} == {"unchanged"}
    assert "pathway" not in home.ok("pathway", "list").err  # nothing left to publish

    second = home.open("2", "diagnosis", "marie-dupuis", now=now)
    old_case, new_case = home.show(first), home.show(second)
    assert old_case["pathway_version"] == old_version
    assert new_case["pathway_version"] == new_version
    assert new_case["due_at"] > old_case["due_at"]  # 25 business days instead of 15, from the same day

    versions = {v["version"]: v for v in home.ok("pathway", "versions", "diagnosis", "--json").json()}
    assert versions[old_version]["open_cases"] == 1
    assert versions[new_version]["open_cases"] == 1
    changes = home.ok("pathway", "diff", "diagnosis", str(old_version), str(new_version)).out
    assert f"-    {OLD_DEADLINE}" in changes
    assert f"+    {NEW_DEADLINE}" in changes

    # Same-named stages map by themselves: no --map needed to see what a migration would do.
    plan = home.ok(
        "pathway",
        "migrate",
        "diagnosis",
        "--from",
        str(old_version),
        "--to",
        str(new_version),
        "--dry-run",
        "--json",
    ).json()
    assert [m["ref"] for m in plan["moved"]] == [first]
    assert home.show(first)["pathway_version"] == old_version  # a dry run changes nothing
    missing = home.run("pathway", "diff", "diagnosis", "1", "99")
    assert missing.code == 3
    assert "has no published version 99" in missing.err
