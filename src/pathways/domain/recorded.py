"""Reading the values a check needs: recorded dates, refused with the rule's name when they are not dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pathways.domain.rules import DecisionContext
from pathways.errors import RuleViolation

__all__ = ["as_date", "day_of", "required_date"]


def day_of(value: Any) -> date | None:
    """A recorded value as a date: a date, an instant's day or an ISO date text; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_date(value: Any, *, rule: str, name: str) -> date | None:
    """A recorded date value as a date (None when absent); refuses anything else."""
    if value is None:
        return None
    if (found := day_of(value)) is not None:
        return found
    raise RuleViolation(
        rule, f"field '{name}' holds {value!r}, not a date", hint=f"record '{name}' as a date"
    )


def required_date(ctx: DecisionContext, name: str, *, rule: str, why: str) -> date:
    """The date recorded in field `name`; refuses, saying `why` it is needed, when none is."""
    found = as_date(ctx.recorded(name), rule=rule, name=name)
    if found is None:
        raise RuleViolation(rule, f"no '{name}' recorded: {why}", hint=f"record '{name}' (a date)")
    return found
