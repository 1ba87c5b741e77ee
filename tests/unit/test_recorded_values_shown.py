"""How the case page shows a recorded value (templates/_recorded.html): numbers and money recorded
as text (a decimal as JSON keeps it: "4000.00") read in the page's language, as typed ones do."""

from __future__ import annotations

import pytest

from pathways.services.casework.readable import RecordedValue
from pathways.web.render import templates


def shown(lang: str, value: RecordedValue) -> str:
    env = templates().get(lang, "Europe/Brussels").env
    macro = env.get_template("_recorded.html").module.recorded_value  # type: ignore[attr-defined]  # a macro: made at run time
    return str(macro(value)).strip()


@pytest.mark.parametrize(
    ("lang", "money", "decimal"),
    [("nl", "€\xa04.000,00", "3,5"), ("fr", "4\u202f000,00\xa0€", "3,5"), ("en", "€4,000.00", "3.5")],
)
def test_money_and_decimals_recorded_as_text_are_in_the_page_language(
    lang: str, money: str, decimal: str
) -> None:
    assert shown(lang, RecordedValue("mission_budget", "Budget", "money", "4000.00")) == money
    assert shown(lang, RecordedValue("days", "Days", "decimal", "3.5")) == decimal


def test_a_list_and_a_plain_text_are_shown_as_they_are() -> None:
    assert shown("nl", RecordedValue("themes", "Themes", "text", ["Verdienmodel", "Governance"])) == (
        "Verdienmodel, Governance"
    )
    assert shown("nl", RecordedValue("note", "Note", "text", "4000.00")) == "4000.00"
