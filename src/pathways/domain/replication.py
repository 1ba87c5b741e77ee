"""Replication's rules (essaimage), as checks a pathway file names.

Only a proven model is replicated: "une évaluation positive de son impact social" and "sa
viabilité économique" (SAW-B, S14), and in franchise practice a pilot run of at least a year
(DOMAIN). The evaluation may be measured (indicators with values) or qualitative (testimonies,
documents: the VISES approach, S22).
"""

from __future__ import annotations

from typing import Final

from pathways.domain.calendar import add_calendar
from pathways.domain.recorded import as_date
from pathways.domain.rules import DecisionContext
from pathways.errors import RuleViolation

__all__ = ["PILOT_MONTHS", "proven_model", "replication_readiness"]

PILOT_MONTHS: Final = 12


def proven_model(ctx: DecisionContext) -> None:
    """Replication (version 1's gate, at opening): the project has a measured impact evaluation."""
    if not ctx.facts.has_impact_evaluation(ctx.project.id):
        raise RuleViolation(
            "proven_model",
            f"project '{ctx.project.name}' has no recorded impact evaluation; "
            "only a proven model is replicated",
            hint="record the project's impact evaluation (indicators with values) first, then open the case",
        )


def replication_readiness(ctx: DecisionContext) -> None:
    """Replication: a pilot of at least a year, economic viability and an impact evaluation."""
    rule = "replication_readiness"
    today = ctx.now.date()
    pilot = as_date(ctx.recorded("pilot_since"), rule=rule, name="pilot_since")
    missing: list[str] = []
    if pilot is None:
        missing.append("pilot_since: since when the pilot runs (at least a year)")
    elif add_calendar(pilot, months=PILOT_MONTHS) > today:
        missing.append(
            f"a pilot running for at least a year: it runs since {pilot.isoformat()}, a year on "
            f"{add_calendar(pilot, months=PILOT_MONTHS).isoformat()}"
        )
    if ctx.recorded("economically_viable") is not True:
        missing.append("economically_viable: true, with viability_evidence (accounts, own revenue)")
    elif not str(ctx.recorded("viability_evidence") or "").strip():
        missing.append("viability_evidence: what shows the model is economically viable")
    qualitative = str(ctx.recorded("impact_evidence") or "").strip()
    if not qualitative and not ctx.facts.has_impact_evaluation(ctx.project.id):
        missing.append(
            "an impact evaluation: measured (`pathways impact add`, indicators with values) or "
            "qualitative (impact_evidence: testimonies, documents)"
        )
    if missing:
        raise RuleViolation(
            rule,
            "only a proven model is replicated; missing: " + "; ".join(missing),
            hint="record what is missing, or choose outcome not_ready and say what is missing",
        )
