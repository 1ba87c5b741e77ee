"""Incubation's rules and words, as checks a pathway file names, and the names the cohort view reads.

A cohort ("promotion", "lichting") is recorded on each incubatee's case when it joins one: its
name in ``cohort``, its dates in ``cohort_start`` and ``cohort_end`` (the incubation stage is
due at the end). Incubators run cohorts of 6 to 12 months (Avise, S35): a usual range, not a
rule, so only the order of the dates is checked.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Final

from pathways.domain.recorded import required_date
from pathways.domain.rules import DecisionContext
from pathways.errors import RuleViolation

__all__ = ["COHORT_FIELDS", "INCUBATION", "cohort_dates", "cohort_key"]

INCUBATION: Final = "incubation"  # the shipped pathway whose cases join cohorts
# The fields a case records when it joins a cohort: name, first day, last day.
COHORT_FIELDS: Final = ("cohort", "cohort_start", "cohort_end")


def cohort_dates(ctx: DecisionContext) -> None:
    """Incubation: a cohort ends after it starts."""
    rule = "cohort_dates"
    start = required_date(ctx, "cohort_start", rule=rule, why="a cohort has a first day")
    end = required_date(ctx, "cohort_end", rule=rule, why="a cohort has a last day")
    if end <= start:
        raise RuleViolation(
            rule,
            f"the cohort ends on {end.isoformat()}, not after it starts ({start.isoformat()})",
            hint="check cohort_start and cohort_end (incubators run cohorts of 6 to 12 months)",
        )


def cohort_key(name: str) -> str:
    """The cohort a name means, as a URL-safe key: "Promotion 2026 – A" and "promotion 2026-a" are one.

    Accents and case are folded and every run of other characters becomes one hyphen, so two
    officers typing the same cohort a little differently put their incubatees in the same one.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").casefold()
    key = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    # A name written without any Latin letter or digit still needs a key of its own.
    return key or "cohort-" + hashlib.sha256(" ".join(name.split()).casefold().encode()).hexdigest()[:12]
