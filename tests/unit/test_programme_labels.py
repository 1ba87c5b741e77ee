"""What the case page says of the programmes, in French, Dutch and English (web/i18n_labels.py):

- every answer a shipped pathway asks of its project lead, and the project's registration, reads
  as words in the timeline (group "event"), never as the raw event kind
  (``owner_business_plan_sent``, ``project_identified``);
- every programme rule that may refuse a decision (``domain.programme.CHECKS``) is said in one
  sentence above the refused form (group "rule"), its English details under it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_dir
from pathways.domain.programme import CHECKS
from pathways.web.i18n import group_labels

ROOT = Path(__file__).resolve().parents[2]


def _event_kinds() -> set[str]:
    catalog = load_pathway_dir(ROOT / "config" / "pathways", templates=ROOT / "config" / "templates")
    kinds = {"project_identified", "phase_changed"}
    for spec in catalog.latest():
        for stage in spec.stages:
            kinds |= {f"owner_{answer}" for answer in stage.ask_owner}
    return kinds


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_owner_answer_and_registration_has_a_timeline_label(lang: str) -> None:
    labels = group_labels(lang)["event"]
    missing = sorted(kind for kind in _event_kinds() if not labels.get(kind))
    assert missing == []


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_programme_rule_is_said_in_the_readers_language(lang: str) -> None:
    said = group_labels(lang)["rule"]
    assert sorted(rule for rule in CHECKS if not said.get(rule)) == []
    if lang != "en":
        english = group_labels("en")["rule"]
        assert sorted(rule for rule in CHECKS if said[rule] == english[rule]) == []  # translated
