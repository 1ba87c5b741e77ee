"""The audit page lists a decision's values as the case page does: dates, amounts and decimals
recorded as text ("2026-11-26", "4000.00", "3.5") in the reader's language, not as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_dir
from pathways.services.audit.journal import AuditEntry, AuditPage
from pathways.web.i18n import texts
from pathways.web.manager import auditview

AT = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)


def _decision(stage: str, outcome: str, values: dict[str, object]) -> AuditEntry:
    payload = {"stage": stage, "outcome": outcome, "values": values}
    return AuditEntry(
        organisation_id=1,
        seq=7,
        kind="decision",
        effective_at=AT,
        recorded_at=AT,
        case_id=3,
        case="SUPP-2026-0001",
        pathway="ongoing_support",
        pathway_version=None,
        actor_id=5,
        actor="Bram Peeters",
        payload=payload,
    )


@pytest.mark.parametrize(
    ("lang", "day", "amount", "days"),
    [
        ("nl", "13 nov 2026", "€\xa04.000,00", "3,5"),
        ("fr", "13 nov. 2026", "4\u202f000,00\xa0€", "3,5"),
        ("en", "Nov 13, 2026", "€4,000.00", "3.5"),
    ],
)
def test_dates_amounts_and_decimals_recorded_as_text_read_in_the_page_language(
    lang: str, day: str, amount: str, days: str
) -> None:
    catalog = load_pathway_dir(Path("config/pathways"))
    chosen = {
        "consultant_answer_on": "2026-11-13",
        "mission_budget": "4000.00",
        "chosen_with_structure": True,
    }
    entries = (
        _decision("brief", "consultant_chosen", chosen),
        _decision("mission", "done", {"consultant_days": "3.5"}),
    )
    page = AuditPage(organisation_id=1, entries=entries, next_before=None, people={})
    first, second = auditview.views(page, catalog, texts(lang), str)
    assert not any("2026-11-13" in d or "4000.00" in d for d in first.details), first.details
    assert any(d.endswith(day) for d in first.details), first.details
    assert any(d.endswith(amount) for d in first.details), first.details
    assert second.details[0].endswith(days), second.details
