"""A published version 1 never changes (services.casework.definitions), and version 1 files were
written before ``ask_owner`` existed: a stage of theirs asks the owner what the same stage of a
later version asks, so the owners of cases still on version 1 are not told "nothing for now"."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.domain.loader import PathwayCatalog, load_pathway_dir

PATHWAYS_DIR = Path(__file__).resolve().parents[2] / "config" / "pathways"


@pytest.fixture(scope="module")
def catalog() -> PathwayCatalog:
    return load_pathway_dir(PATHWAYS_DIR)


@pytest.mark.parametrize(
    ("pathway", "stage"),
    [("diagnosis", "intake"), ("diagnosis", "shared_diagnosis"), ("ongoing_support", "founding"),
     ("ongoing_support", "follow_up"), ("peer_transfer", "review")],
)  # fmt: skip
def test_a_version_1_stage_asks_what_the_latest_version_of_that_stage_asks(
    catalog: PathwayCatalog, pathway: str, stage: str
) -> None:
    assert not catalog.get(pathway, 1).stage(stage).ask_owner  # as published
    latest = catalog.get(pathway).stage(stage).ask_owner
    assert latest
    assert catalog.owner_asks(pathway, 1, stage) == latest


def test_a_stage_that_asks_keeps_its_own_asks_and_one_no_version_asks_stays_silent(
    catalog: PathwayCatalog,
) -> None:
    current = catalog.get("diagnosis")
    assert catalog.owner_asks("diagnosis", current.version, "intake") == current.stage("intake").ask_owner
    assert catalog.owner_asks("diagnosis", 1, "committee") == {}
